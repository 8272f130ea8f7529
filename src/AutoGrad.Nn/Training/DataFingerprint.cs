using System.Globalization;
using System.Runtime.InteropServices;
using AutoGrad.Nn.Data;

namespace AutoGrad.Nn.Training;

/// <summary>
/// A short description of a dataset's contents (its size and a 64-bit hash of every feature and label or target),
/// kept in a checkpoint so that resuming on other data is refused instead of silently continuing a different run.
/// </summary>
internal static class DataFingerprint
{
    // Rows are read in chunks of about this many values: small enough that each chunk's arrays stay off the large-object
    // heap (read as one 12 MB chunk at a time, MNIST took 0.8 s, nearly all of it allocating; in 32 KB chunks, about 0.1 s).
    private const int ChunkValues = 8192;

    /// <summary>E.g. <c>120 rows × 4 features, 3 classes, hash 0123456789abcdef</c>.</summary>
    public static string Of(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ulong hash = 0xCBF29CE484222325UL; // FNV-1a over 32-bit words
        int chunkRows = Math.Max(1, ChunkValues / Math.Max(1, data.FeatureCount));
        for (int start = 0; start < data.Count; start += chunkRows)
        {
            using var scope = TensorScope.Begin(); // each chunk's tensors go back to the pool
            var (x, y) = data.Rows(Enumerable.Range(start, Math.Min(chunkRows, data.Count - start)).ToArray());
            hash = Mix(hash, MemoryMarshal.Cast<float, uint>(x.ToFloatArray()));
            hash = data.IsClassification ? Mix(hash, MemoryMarshal.Cast<int, uint>(y.ToInt32Array())) : Mix(hash, MemoryMarshal.Cast<float, uint>(y.ToFloatArray()));
        }

        string kind = data.IsClassification ? $"{data.ClassCount} classes" : $"{data.TargetCount} target(s)";
        return string.Create(CultureInfo.InvariantCulture, $"{data.Count} rows × {data.FeatureCount} features, {kind}, hash {hash:x16}");
    }

    private static ulong Mix(ulong hash, ReadOnlySpan<uint> words)
    {
        foreach (uint word in words)
        {
            hash = (hash ^ word) * 0x100000001B3UL;
        }

        return hash;
    }
}
