using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AutoGrad.Nn.Serialization;

/// <summary>One tensor's entry in a safetensors header: its name, dtype, shape and byte range in the data section.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public int ElementCount => checked((int)Shape.Aggregate(1L, (n, d) => n * d));
}

/// <summary>
/// Reads and checks a safetensors header strictly, so that a file either loads exactly as written or is rejected
/// with an <see cref="InvalidDataException"/>: valid UTF-8 JSON starting at the first header byte, padded only with
/// spaces; an object of tensor entries plus an optional string-to-string "__metadata__"; no duplicate or unknown
/// fields; names that map onto a parameter tree; and byte ranges that, sorted, tile the data section exactly
/// (from 0, no gap, no overlap, ending at the end of the file).
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>The tensor dtypes this library reads and writes, with their widths in bytes.</summary>
    public static readonly IReadOnlyDictionary<string, int> Widths = new Dictionary<string, int> { ["F32"] = 4, ["F64"] = 8, ["I32"] = 4 };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(string path, ReadOnlyMemory<byte> header, long dataLength)
    {
        var span = header.Span;
        try
        {
            StrictUtf8.GetCharCount(span);
        }
        catch (DecoderFallbackException)
        {
            throw ModelFileError.Reject(path, "header", "is not valid UTF-8");
        }

        if (span.Length == 0 || span[0] != (byte)'{')
        {
            throw ModelFileError.Reject(path, "header", "does not start with '{' (the header length is wrong, or this is not a safetensors file)");
        }

        int end = span.Length;
        while (end > 0 && span[end - 1] == (byte)' ')
        {
            end--;
        }

        if (span[end - 1] != (byte)'}')
        {
            throw ModelFileError.Reject(path, "header", "must be a JSON object followed only by spaces (the header length is wrong, or the padding holds other bytes)");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header[..end], new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw ModelFileError.Reject(path, "header", $"is not valid JSON ({e.Message})");
        }

        using (doc)
        {
            if (FirstBadString(header.Span[..end]) is { } bad)
            {
                throw ModelFileError.Reject(path, "header", $"holds the string {bad}, an escaped lone surrogate (not valid UTF-16)");
            }

            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ModelFileError.Reject(path, "header", $"must be a JSON object, not {doc.RootElement.ValueKind}");
            }

            var entries = new List<SafeTensorsEntry>();
            Dictionary<string, string>? metadata = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw ModelFileError.Reject(path, $"tensor '{property.Name}'", "appears twice in the header");
                }

                if (property.Name == "__metadata__")
                {
                    metadata = ReadMetadata(path, property.Value);
                    continue;
                }

                entries.Add(ReadEntry(path, property.Name, property.Value));
            }

            CheckLayout(path, entries, dataLength);
            return (entries, metadata ?? []);
        }
    }

    /// <summary>
    /// The raw text of the first string or property name whose escapes decode to invalid UTF-16 (<c>"\ud800"</c>), else
    /// null. Such JSON parses, but reading the string throws <see cref="InvalidOperationException"/>, so it is caught here.
    /// </summary>
    public static string? FirstBadString(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return "\"" + Encoding.UTF8.GetString(reader.ValueSpan) + "\"";
                }
            }
        }

        return null;
    }

    private static Dictionary<string, string> ReadMetadata(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw ModelFileError.Reject(path, "__metadata__", $"must be an object of strings, not {value.ValueKind}");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw ModelFileError.Reject(path, $"__metadata__.{item.Name}", $"must be a string, not {item.Value.ValueKind}");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw ModelFileError.Reject(path, $"__metadata__.{item.Name}", "appears twice");
            }
        }

        return metadata;
    }

    private static SafeTensorsEntry ReadEntry(string path, string name, JsonElement spec)
    {
        string field = $"tensor '{name}'";
        if (CheckName(name) is { } problem)
        {
            throw ModelFileError.Reject(path, field, problem);
        }

        if (spec.ValueKind != JsonValueKind.Object)
        {
            throw ModelFileError.Reject(path, field, $"must be an object with dtype, shape and data_offsets, not {spec.ValueKind}");
        }

        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        foreach (var item in spec.EnumerateObject())
        {
            switch (item.Name)
            {
                case "dtype" when dtype is null:
                    dtype = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw ModelFileError.Reject(path, field, "dtype must be a string");
                    break;
                case "shape" when shape is null:
                    shape = Integers(path, field, "shape", item.Value, int.MaxValue).Select(d => (int)d).ToArray();
                    break;
                case "data_offsets" when offsets is null:
                    offsets = Integers(path, field, "data_offsets", item.Value, long.MaxValue);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw ModelFileError.Reject(path, field, $"{item.Name} appears twice");
                default:
                    throw ModelFileError.Reject(path, field, $"has an unknown field '{item.Name}' (expected dtype, shape, data_offsets)");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            throw ModelFileError.Reject(path, field, "lacks a valid dtype, shape or data_offsets entry");
        }

        if (!Widths.TryGetValue(dtype, out int width))
        {
            throw ModelFileError.Reject(path, field, $"has unsupported dtype {dtype} (F32, F64 and I32 are supported)");
        }

        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > int.MaxValue)
            {
                throw ModelFileError.Reject(path, field, $"has an impossible shape [{string.Join(",", shape)}] (more than {int.MaxValue} elements)");
            }
        }

        if (offsets.Length != 2 || offsets[0] > offsets[1])
        {
            throw ModelFileError.Reject(path, field, $"data_offsets must be [begin, end] with begin <= end, got [{string.Join(",", offsets)}]");
        }

        if (offsets[1] - offsets[0] != count * width)
        {
            throw ModelFileError.Reject(path, field,
                $"{dtype}[{string.Join(",", shape)}] needs {count * width} bytes but data_offsets [{offsets[0]},{offsets[1]}] span {offsets[1] - offsets[0]}");
        }

        return new SafeTensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] Integers(string path, string field, string what, JsonElement array, long max)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw ModelFileError.Reject(path, field, $"{what} must be an array of non-negative integers, not {array.ValueKind}");
        }

        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            // Only plain digits: "1e2", "2.0" or "-0" would be a number a writer never meant as a size.
            if (item.ValueKind != JsonValueKind.Number || !long.TryParse(item.GetRawText(), NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v > max)
            {
                throw ModelFileError.Reject(path, field, $"{what} must be an array of non-negative integers, got {item.GetRawText()}");
            }

            values[i++] = v;
        }

        return values;
    }

    /// <summary>Null when <paramref name="name"/> can be a path in a parameter tree, else why not.</summary>
    public static string? CheckName(string name)
    {
        if (name.Length == 0)
        {
            return "has an empty name";
        }

        foreach (var part in name.Split('.'))
        {
            if (part.Length == 0)
            {
                return "has an empty part in its dotted name (a leading, trailing or doubled '.')";
            }
        }

        return null;
    }

    /// <summary>Sorted by position, the tensors' byte ranges must cover the data section exactly: every byte belongs to one tensor.</summary>
    private static void CheckLayout(string path, List<SafeTensorsEntry> entries, long dataLength)
    {
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long position = 0;
        foreach (var e in ordered)
        {
            if (e.Begin != position)
            {
                string what = e.Begin > position ? $"a gap of {e.Begin - position} bytes before it" : $"it overlaps the previous tensor by {position - e.Begin} bytes";
                throw ModelFileError.Reject(path, $"tensor '{e.Name}'", $"data_offsets [{e.Begin},{e.End}] leave {what} (tensors must be stored back to back from offset 0)");
            }

            position = e.End;
        }

        if (position != dataLength)
        {
            string what = position < dataLength
                ? $"has {dataLength - position} bytes after the last tensor (trailing bytes, or a header length that is too short)"
                : $"has {dataLength} bytes after the header but the tensors need {position} (truncated?)";
            throw ModelFileError.Reject(path, "data section", what);
        }
    }
}
