using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AutoGrad.Nn.Serialization;

/// <summary>
/// Saves and loads parameter trees in the safetensors format (an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data), which PyTorch and Hugging Face
/// tools also read. Tree paths ("0.W") are the tensor names; string metadata (e.g. the model's layer sizes) goes in
/// "__metadata__".
/// </summary>
/// <remarks>
/// <para>
/// Loading is strict, so a file loads exactly as written or not at all: the header is UTF-8 JSON padded only with
/// spaces, has no duplicate or unknown fields, its metadata values are strings, every tensor name is a tree path
/// (non-empty dotted parts), and the tensors' byte ranges, sorted, run back to back from offset 0 to the last byte of
/// the file. Every rejection is a <see cref="InvalidDataException"/> naming
/// the file and the tensor or field at fault.
/// </para>
/// <para>
/// Saving refuses what loading would reject (a top-level key "__metadata__", text that is not valid Unicode) and
/// writes atomically through <see cref="AtomicFile"/>: a crash leaves the old file or the new one, never a partial
/// one, and the temporary file of a killed save is removed by the next save to the same path.
/// </para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>
    /// The metadata key that marks a file holding a single-tensor tree (<see cref="TensorTree.Leaf"/>), stored under the
    /// tensor name "value"; <see cref="Load"/> consumes it, so it never appears in the returned metadata.
    /// </summary>
    public const string RootLeafKey = "autograd.tree";

    private const string RootLeafName = "value";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="tree"/> (and optional string metadata) to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The tree or metadata holds something the format cannot carry back exactly.</exception>
    public static void Save(string path, TensorTree tree, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tree);
        var header = Header(path, tree, metadata, out var blobs);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            foreach (var blob in blobs)
            {
                stream.Write(blob);
            }
        });
    }

    /// <summary>Reads a file written by <see cref="Save"/> (or any safetensors file of F32/F64/I32 tensors): the tree and its metadata.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file of supported tensors.</exception>
    public static (TensorTree Tree, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"parameter file not found: {path}", path);
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8)
        {
            throw ModelFileError.Reject(path, null, $"too short for a safetensors file ({bytes.Length} bytes)");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw ModelFileError.Reject(path, "header length", $"claims {headerLength} bytes but the file has {bytes.Length - 8} after the length (truncated or not safetensors)");
        }

        int dataStart = 8 + (int)headerLength;
        var (entries, metadata) = SafeTensorsHeader.Parse(path, bytes.AsMemory(8, (int)headerLength), bytes.Length - dataStart);
        var leaves = entries.Select(e => (e.Name, Value: ReadTensor(e, bytes.AsSpan(dataStart + (int)e.Begin, (int)(e.End - e.Begin))))).ToList();

        if (metadata.Remove(RootLeafKey, out var marker))
        {
            if (marker != "leaf" || leaves.Count != 1 || leaves[0].Name != RootLeafName)
            {
                throw ModelFileError.Reject(path, $"__metadata__.{RootLeafKey}", $"must be \"leaf\" and mark a file of one tensor named '{RootLeafName}'");
            }

            return (TensorTree.Leaf(leaves[0].Value), metadata);
        }

        return (BuildTree(path, leaves), metadata);
    }

    private static byte[] Header(string path, TensorTree tree, IReadOnlyDictionary<string, string>? metadata, out List<byte[]> blobs)
    {
        var names = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (key, value) in names)
        {
            if (key is null || value is null)
            {
                throw new ArgumentException($"SafeTensors.Save {path}: metadata entry '{key}' has a null value", nameof(metadata));
            }

            RequireUnicode(path, "metadata key", key);
            RequireUnicode(path, $"metadata '{key}'", value);
            if (key == RootLeafKey)
            {
                throw new ArgumentException($"SafeTensors.Save {path}: the metadata key '{RootLeafKey}' is reserved (it marks a single-tensor tree)", nameof(metadata));
            }
        }

        if (tree.IsLeaf)
        {
            names[RootLeafKey] = "leaf";
        }
        else if (tree.Keys.Contains("__metadata__"))
        {
            throw new ArgumentException($"SafeTensors.Save {path}: the tree key '__metadata__' is reserved by the format for metadata; rename it", nameof(tree));
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (names.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in names)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            blobs = [];
            foreach (var (leafPath, t) in tree.Leaves())
            {
                string name = leafPath.Length == 0 ? RootLeafName : leafPath;
                RequireUnicode(path, "tree key", name);
                var bytes = ToBytes(t);
                json.WriteStartObject(name);
                json.WriteString("dtype", t.DType switch { DType.Float32 => "F32", DType.Float64 => "F64", DType.Int32 => "I32", _ => throw new ArgumentException($"SafeTensors.Save {path}: tensor '{name}' has dtype {t.DType.Name()}, which the format cannot hold") });
                json.WriteStartArray("shape");
                foreach (int d in t.Shape.ToArray())
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes.Length;
                blobs.Add(bytes);
            }

            json.WriteEndObject();
        }

        // The data section starts 8-byte aligned (as the reference writer does): the JSON is padded with spaces.
        int length = (int)buffer.Length;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header.AsSpan(8));
        header.AsSpan(8 + length).Fill((byte)' ');
        return header;
    }

    private static void RequireUnicode(string path, string what, string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"SafeTensors.Save {path}: {what} '{text}' is not valid Unicode (a lone surrogate), which JSON cannot carry");
        }
    }

    private static Tensor ReadTensor(SafeTensorsEntry entry, ReadOnlySpan<byte> raw)
    {
        // The format is little-endian, as is every platform .NET runs on; a cast copies the bits exactly (NaN payloads included).
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("SafeTensors: big-endian platforms are not supported");
        }

        return entry.DType switch
        {
            "F32" => Tensor.FromArray(MemoryMarshal.Cast<byte, float>(raw).ToArray(), entry.Shape),
            "F64" => Tensor.FromArray(MemoryMarshal.Cast<byte, double>(raw).ToArray(), entry.Shape),
            _ => Tensor.FromArray(MemoryMarshal.Cast<byte, int>(raw).ToArray(), entry.Shape),
        };
    }

    private static byte[] ToBytes(Tensor t)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("SafeTensors: big-endian platforms are not supported");
        }

        return t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.ToFloatArray().AsSpan()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.ToDoubleArray().AsSpan()).ToArray(),
            _ => MemoryMarshal.AsBytes(t.ToInt32Array().AsSpan()).ToArray(),
        };
    }

    /// <summary>Rebuilds the nested tree from dotted names, keeping the file's order.</summary>
    private static TensorTree BuildTree(string path, List<(string Name, Tensor Value)> leaves)
    {
        var root = new TensorTree();
        foreach (var (name, value) in leaves)
        {
            var parts = name.Split('.');
            var node = root;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!node.Keys.Contains(parts[i]))
                {
                    node.Add(parts[i], new TensorTree());
                }

                node = node.Subtree(parts[i]);
                if (node.IsLeaf)
                {
                    throw ModelFileError.Reject(path, $"tensor '{name}'", $"nests under the tensor '{string.Join(".", parts[..(i + 1)])}'");
                }
            }

            if (node.Keys.Contains(parts[^1]))
            {
                throw ModelFileError.Reject(path, $"tensor '{name}'", "appears twice or clashes with a longer name");
            }

            node.Add(parts[^1], value);
        }

        return root;
    }
}
