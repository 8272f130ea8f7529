using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace AutoGrad.Nn.Serialization;

/// <summary>
/// Saves and loads parameter trees in the safetensors format (an 8-byte little-endian header length, a
/// JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data), which
/// PyTorch and Hugging Face tools also read. Tree paths ("0.W") are the tensor names; string metadata
/// (e.g. the model's layer sizes) goes in "__metadata__". Files are written atomically: to a temporary
/// file in the same directory, then renamed over the target, so a crash never leaves a partial file.
/// </summary>
public static class SafeTensors
{
    /// <summary>Writes <paramref name="tree"/> (and optional string metadata) to <paramref name="path"/>.</summary>
    public static void Save(string path, TensorTree tree, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tree);
        var leaves = tree.Leaves();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var (name, t) in leaves)
        {
            var bytes = ToBytes(t);
            header[name.Length == 0 ? "value" : name] = new Dictionary<string, object>
            {
                ["dtype"] = t.DType switch { DType.Float32 => "F32", DType.Float64 => "F64", _ => "I32" },
                ["shape"] = t.Shape.ToArray(),
                ["data_offsets"] = new[] { offset, offset + bytes.Length },
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padding = (8 - json.Length % 8) % 8;
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        string temp = fullPath + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
                stream.Write(length);
                stream.Write(json);
                for (int i = 0; i < padding; i++)
                {
                    stream.WriteByte((byte)' ');
                }

                foreach (var blob in blobs)
                {
                    stream.Write(blob);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Reads a file written by <see cref="Save"/> (or any safetensors file of F32/F64/I32 tensors): the tree and its metadata.</summary>
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
            throw new InvalidDataException($"{path}: too short for a safetensors file ({bytes.Length} bytes)");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException($"{path}: the header claims {headerLength} bytes but the file has {bytes.Length - 8} after the length (truncated or not safetensors)");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message})");
        }

        using (doc)
        {
            var data = bytes.AsSpan(8 + (int)headerLength);
            var metadata = new Dictionary<string, string>();
            var leaves = new List<(string Name, Tensor Value)>();
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (var m in entry.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.GetString() ?? "";
                    }

                    continue;
                }

                leaves.Add((entry.Name, ReadTensor(path, entry.Name, entry.Value, data)));
            }

            return (BuildTree(path, leaves), metadata);
        }
    }

    private static Tensor ReadTensor(string path, string name, JsonElement spec, ReadOnlySpan<byte> data)
    {
        string dtype;
        int[] shape;
        long[] offsets;
        try
        {
            dtype = spec.GetProperty("dtype").GetString() ?? "";
            shape = spec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            offsets = spec.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' lacks a valid dtype, shape or data_offsets entry");
        }

        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (d < 0 || count > int.MaxValue)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' has an impossible shape [{string.Join(",", shape)}]");
            }
        }

        int size = (int)count;
        int width = dtype switch { "F32" or "I32" => 4, "F64" => 8, _ => throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype} (F32, F64, I32 are supported)") };
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > data.Length || offsets[1] - offsets[0] != (long)size * width)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' {dtype}[{string.Join(",", shape)}] has byte range [{string.Join(",", offsets)}], inconsistent with its size or the file (truncated?)");
        }

        var raw = data.Slice((int)offsets[0], size * width);
        switch (dtype)
        {
            case "F32":
            {
                var v = new float[size];
                for (int i = 0; i < size; i++)
                {
                    v[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                }

                return Tensor.FromArray(v, shape);
            }

            case "F64":
            {
                var v = new double[size];
                for (int i = 0; i < size; i++)
                {
                    v[i] = BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                }

                return Tensor.FromArray(v, shape);
            }

            default:
            {
                var v = new int[size];
                for (int i = 0; i < size; i++)
                {
                    v[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                }

                return Tensor.FromArray(v, shape);
            }
        }
    }

    private static byte[] ToBytes(Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32:
            {
                var v = t.ToFloatArray();
                var b = new byte[v.Length * 4];
                for (int i = 0; i < v.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
                }

                return b;
            }

            case DType.Float64:
            {
                var v = t.ToDoubleArray();
                var b = new byte[v.Length * 8];
                for (int i = 0; i < v.Length; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]);
                }

                return b;
            }

            default:
            {
                var v = t.ToInt32Array();
                var b = new byte[v.Length * 4];
                for (int i = 0; i < v.Length; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]);
                }

                return b;
            }
        }
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
                else if (node.Subtree(parts[i]).IsLeaf)
                {
                    throw new InvalidDataException($"{path}: '{name}' nests under a tensor");
                }

                node = node.Subtree(parts[i]);
                if (node.IsLeaf)
                {
                    throw new InvalidDataException($"{path}: '{name}' nests under a tensor");
                }
            }

            if (node.Keys.Contains(parts[^1]))
            {
                throw new InvalidDataException($"{path}: '{name}' appears twice or clashes with a longer name");
            }

            node.Add(parts[^1], value);
        }

        return root;
    }
}
