using System.Globalization;
using AutoGrad.Nn.Data;

namespace AutoGrad.Nn.Training;

/// <summary>
/// A short description of a dataset's contents (its size and a 64-bit hash of every feature and label or target),
/// kept in a checkpoint so that resuming on other data is refused instead of silently continuing a different run.
/// </summary>
internal static class DataFingerprint
{
    private const int ChunkRows = 4096;

    /// <summary>E.g. <c>120 rows × 4 features, 3 classes, hash 0123456789abcdef</c>.</summary>
    public static string Of(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ulong hash = 0xCBF29CE484222325UL; // FNV-1a over 32-bit words
        void Mix(uint word) => hash = (hash ^ word) * 0x100000001B3UL;

        for (int start = 0; start < data.Count; start += ChunkRows)
        {
            using var scope = TensorScope.Begin(); // each chunk's tensors go back to the pool
            var rows = Enumerable.Range(start, Math.Min(ChunkRows, data.Count - start)).ToArray();
            var (x, y) = data.Rows(rows);
            foreach (float v in x.ToFloatArray())
            {
                Mix(BitConverter.SingleToUInt32Bits(v));
            }

            if (data.IsClassification)
            {
                foreach (int label in y.ToInt32Array())
                {
                    Mix((uint)label);
                }
            }
            else
            {
                foreach (float v in y.ToFloatArray())
                {
                    Mix(BitConverter.SingleToUInt32Bits(v));
                }
            }
        }

        string kind = data.IsClassification ? $"{data.ClassCount} classes" : $"{data.TargetCount} target(s)";
        return string.Create(CultureInfo.InvariantCulture, $"{data.Count} rows × {data.FeatureCount} features, {kind}, hash {hash:x16}");
    }
}
