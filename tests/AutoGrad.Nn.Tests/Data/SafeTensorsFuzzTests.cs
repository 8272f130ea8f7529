using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using AutoGrad.Nn.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace AutoGrad.Nn.Tests.Data;

/// <summary>
/// Mutates valid float32 and float64 files in every way a disk, a transfer or a hostile writer can, and loads each
/// mutant. The outcomes are counted and asserted: no exception but <see cref="InvalidDataException"/>; no load that
/// returns other tensors (names, dtypes, shapes or bits) than the original's unless the mutation touched only data
/// bytes; no load slower than a second. Meaning-preserving JSON edits (reordered entries, whitespace, escaped names)
/// must load identically, and edits that break a rule must be rejected.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ag-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private enum Outcome { Rejected, Identical, MetadataChanged, Renamed, ValuesChanged }

    private sealed class Tally
    {
        public readonly Dictionary<(string Kind, Outcome Outcome), int> Counts = [];
        public int Total;
        public double SlowestSeconds;
        public readonly List<string> Failures = [];

        public void Add(string kind, Outcome outcome) => Counts[(kind, outcome)] = Counts.GetValueOrDefault((kind, outcome)) + 1;

        public int Count(Func<string, bool> kind, Outcome outcome) => Counts.Where(c => kind(c.Key.Kind) && c.Key.Outcome == outcome).Sum(c => c.Value);
    }

    private static TensorTree Original(DType dtype)
    {
        var g = new Generator(dtype == DType.Float32 ? 1UL : 2UL);
        Tensor R(params int[] shape) => Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => g.NextNormal()).ToArray(), shape).To(dtype);
        return new TensorTree
        {
            { "0", new TensorTree { { "W", R(3, 4) }, { "b", R(4) } } },
            { "1", new TensorTree { { "W", R(4, 2) }, { "b", R(2) } } },
            { "steps", Tensor.FromArray(new[] { 7, -1 }) },
        };
    }

    private static readonly Dictionary<string, string> Metadata = new() { ["sizes"] = "3-4-2", ["classes"] = "[\"red, dark\",\"blue\"]" };

    [Fact]
    public void TenThousandMutationsOfValidFilesNeverLoadWrong()
    {
        var tally = new Tally();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var path = Path.Combine(_dir, $"valid-{dtype}.safetensors");
            SafeTensors.Save(path, Original(dtype), Metadata);
            var valid = File.ReadAllBytes(path);
            var (reference, referenceMetadata) = SafeTensors.Load(path);
            int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
            int dataStart = 8 + headerLength;
            var random = new Random(dtype == DType.Float32 ? 17 : 29);

            // Every single-bit flip of the length field and the header, and every byte value in the length's low byte.
            for (int position = 0; position < dataStart; position++)
            {
                for (int bit = 0; bit < 8; bit++)
                {
                    var m = (byte[])valid.Clone();
                    m[position] ^= (byte)(1 << bit);
                    Check(tally, position < 8 ? "length bit flip" : "header bit flip", m, onlyData: false, reference, referenceMetadata);
                }
            }

            // Random byte values written over header bytes.
            for (int i = 0; i < 1500; i++)
            {
                var m = (byte[])valid.Clone();
                int position = random.Next(8, dataStart);
                byte value = (byte)random.Next(256);
                if (m[position] == value)
                {
                    continue;
                }

                m[position] = value;
                Check(tally, "header byte write", m, onlyData: false, reference, referenceMetadata);
            }

            // Each digit of each data offset replaced by every other digit.
            var header = Encoding.UTF8.GetString(valid, 8, headerLength);
            for (int at = header.IndexOf("\"data_offsets\":[", StringComparison.Ordinal); at >= 0; at = header.IndexOf("\"data_offsets\":[", at + 1, StringComparison.Ordinal))
            {
                for (int p = at + 16; header[p] != ']'; p++)
                {
                    if (!char.IsAsciiDigit(header[p]))
                    {
                        continue;
                    }

                    for (char d = '0'; d <= '9'; d++)
                    {
                        if (d == header[p])
                        {
                            continue;
                        }

                        var m = (byte[])valid.Clone();
                        m[8 + p] = (byte)d;
                        Check(tally, "offset digit", m, onlyData: false, reference, referenceMetadata);
                    }
                }
            }

            // The header length off by ±1 … ±64.
            for (int delta = -64; delta <= 64; delta++)
            {
                if (delta == 0)
                {
                    continue;
                }

                var m = (byte[])valid.Clone();
                BinaryPrimitives.WriteUInt64LittleEndian(m, (ulong)(headerLength + delta));
                Check(tally, "header length", m, onlyData: false, reference, referenceMetadata);
            }

            // Truncation at every length, and bytes appended.
            for (int length = 0; length < valid.Length; length++)
            {
                Check(tally, "truncation", valid[..length], onlyData: false, reference, referenceMetadata);
            }

            for (int extra = 1; extra <= 16; extra++)
            {
                Check(tally, "appended", [.. valid, .. new byte[extra]], onlyData: false, reference, referenceMetadata);
            }

            // Random JSON edits, each re-serialized with a correct length: those that break a rule must be rejected,
            // those that keep the meaning must load the same tensors.
            var json = JsonNode.Parse(header.TrimEnd(' '))!.AsObject();
            var data = valid[dataStart..];
            for (int i = 0; i < 1200; i++)
            {
                var (kind, edited, keepsMeaning) = JsonEdit(json, random);
                var outcome = Check(tally, "json " + kind, Pack(edited, data), onlyData: false, reference, referenceMetadata);
                bool expected = keepsMeaning ? outcome is Outcome.Identical : outcome is Outcome.Rejected;
                if (!expected)
                {
                    tally.Failures.Add($"json edit '{kind}' gave {outcome}: {edited}");
                }
            }

            // Flips inside the data section only: these may load other values (the format has no checksum), never fail otherwise.
            for (int i = 0; i < 400; i++)
            {
                var m = (byte[])valid.Clone();
                m[random.Next(dataStart, m.Length)] ^= (byte)(1 << random.Next(8));
                Check(tally, "data bit flip", m, onlyData: true, reference, referenceMetadata);
            }
        }

        foreach (var ((kind, outcome), count) in tally.Counts.OrderBy(c => c.Key.Kind).ThenBy(c => c.Key.Outcome))
        {
            output.WriteLine($"{kind,-28} {outcome,-16} {count,6}");
        }

        output.WriteLine($"{tally.Total} mutations; slowest load {tally.SlowestSeconds * 1000:F1} ms");
        Assert.True(tally.Total >= 10_000, $"only {tally.Total} mutations");
        Assert.Empty(tally.Failures);
        Assert.Equal(0, tally.Count(k => k != "data bit flip", Outcome.ValuesChanged));
        Assert.True(tally.Count(k => k == "data bit flip", Outcome.ValuesChanged) > 0, "the data flips must be seen to change values: the comparison can fail");
        Assert.True(tally.Count(_ => true, Outcome.Rejected) > 5_000);
        Assert.True(tally.SlowestSeconds < 1.0, $"a load took {tally.SlowestSeconds:F2} s");
    }

    private Outcome Check(Tally tally, string kind, byte[] mutant, bool onlyData, TensorTree reference, IReadOnlyDictionary<string, string> referenceMetadata)
    {
        var path = Path.Combine(_dir, "mutant.safetensors");
        File.WriteAllBytes(path, mutant);
        tally.Total++;
        var clock = Stopwatch.StartNew();
        Outcome outcome;
        try
        {
            var (tree, metadata) = SafeTensors.Load(path);
            outcome = Compare(reference, referenceMetadata, tree, metadata);
        }
        catch (InvalidDataException e)
        {
            if (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                tally.Failures.Add($"{kind}: the message does not name the file: {e.Message}");
            }

            outcome = Outcome.Rejected;
        }
        catch (Exception e)
        {
            tally.Failures.Add($"{kind}: {e.GetType().Name}: {e.Message}");
            outcome = Outcome.Rejected;
        }

        tally.SlowestSeconds = Math.Max(tally.SlowestSeconds, clock.Elapsed.TotalSeconds);
        tally.Add(kind, outcome);
        if (outcome == Outcome.ValuesChanged && !onlyData)
        {
            tally.Failures.Add($"{kind}: loaded different tensors");
        }

        return outcome;
    }

    /// <summary>
    /// Identical tensors (as a name → tensor map: safetensors gives entry order no meaning) with the same metadata;
    /// the same values under other names (a flipped bit in a name makes another valid name); or other values.
    /// </summary>
    private static Outcome Compare(TensorTree reference, IReadOnlyDictionary<string, string> referenceMetadata, TensorTree tree, IReadOnlyDictionary<string, string> metadata)
    {
        static string Key(Tensor t) => $"{t.DType}{t.Shape}:" + Convert.ToHexString(t.DType switch
        {
            DType.Float32 => t.ToFloatArray().SelectMany(BitConverter.GetBytes).ToArray(),
            DType.Float64 => t.ToDoubleArray().SelectMany(BitConverter.GetBytes).ToArray(),
            _ => t.ToInt32Array().SelectMany(BitConverter.GetBytes).ToArray(),
        });

        var expected = reference.Leaves().ToDictionary(l => l.Path, l => Key(l.Value));
        var actual = tree.IsLeaf ? new Dictionary<string, string> { [""] = Key(tree.Value) } : tree.Leaves().ToDictionary(l => l.Path, l => Key(l.Value));
        if (expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out var v) && v == e.Value))
        {
            return referenceMetadata.Count == metadata.Count && referenceMetadata.All(m => metadata.TryGetValue(m.Key, out var v) && v == m.Value)
                ? Outcome.Identical
                : Outcome.MetadataChanged;
        }

        return expected.Values.Order().SequenceEqual(actual.Values.Order()) ? Outcome.Renamed : Outcome.ValuesChanged;
    }

    private static byte[] Pack(string json, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>One random edit of the header: its name, the edited JSON, and whether the file still means the same.</summary>
    private static (string Kind, string Json, bool KeepsMeaning) JsonEdit(JsonObject original, Random random)
    {
        var root = original.DeepClone().AsObject();
        var tensors = root.Where(p => p.Key != "__metadata__").Select(p => p.Key).ToList();
        string name = tensors[random.Next(tensors.Count)];
        var entry = root[name]!.AsObject();
        var offsets = entry["data_offsets"]!.AsArray();
        var shape = entry["shape"]!.AsArray();
        switch (random.Next(20))
        {
            case 0:
                root.Remove(name);
                return ("remove tensor", root.ToJsonString(), false);
            case 1:
                entry.Remove(new[] { "dtype", "shape", "data_offsets" }[random.Next(3)]);
                return ("remove field", root.ToJsonString(), false);
            case 2:
                entry["extra"] = random.Next(10);
                return ("unknown field", root.ToJsonString(), false);
            case 3:
            {
                string dtype = (string)entry["dtype"]!;
                // Other widths, unknown names and wrong cases; a same-width retyping (F32 ↔ I32) describes another valid file.
                var choices = new[] { "F64", "F32", "BF16", "F16", "U8", "f32", "F 32", "" }.Where(d => d != dtype && !(dtype is "F32" or "I32" && d is "F32" or "I32")).ToArray();
                entry["dtype"] = choices[random.Next(choices.Length)];
                return ("dtype", root.ToJsonString(), false);
            }

            case 4:
                int dim = random.Next(shape.Count);
                shape[dim] = shape[dim]!.GetValue<int>() + 1 + random.Next(3);
                return ("shape grows", root.ToJsonString(), false);
            case 5:
                shape.Add(2 + random.Next(3));
                return ("shape gains a dimension", root.ToJsonString(), false);
            case 6:
                int at = random.Next(2);
                long delta = random.Next(1, 9) * (random.Next(2) == 0 ? 1 : -1);
                offsets[at] = Math.Max(0, offsets[at]!.GetValue<long>() + delta) is var v && v == offsets[at]!.GetValue<long>() ? v + 4 : v;
                return ("offset shifted", root.ToJsonString(), false);
            case 7:
                (offsets[0], offsets[1]) = (offsets[1]!.GetValue<long>(), offsets[0]!.GetValue<long>());
                return (offsets[0]!.GetValue<long>() == offsets[1]!.GetValue<long>() ? "offsets swapped (empty tensor)" : "offsets swapped", root.ToJsonString(), offsets[0]!.GetValue<long>() == offsets[1]!.GetValue<long>());
            case 8:
                root["__metadata__"]!.AsObject()["sizes"] = random.Next(100);
                return ("metadata not a string", root.ToJsonString(), false);
            case 9:
                root.Remove(name);
                root[new[] { "", ".x", "x.", "a..b", name == "steps" ? "0.W.x" : "steps.x" }[random.Next(5)]] = entry.DeepClone(); // the last nests under a tensor
                return ("bad name", root.ToJsonString(), false);
            case 10:
                return ("root array", "[" + root.ToJsonString() + "]", false);
            case 11:
                return ("duplicate key", root.ToJsonString().Insert(1, $"\"{name}\":{entry.ToJsonString()},"), false);
            case 12:
                offsets[random.Next(2)] = JsonValue.Create(offsets[0]!.GetValue<long>() + 0.5);
                return ("fractional offset", root.ToJsonString(), false);
            case 13:
                return ("trailing garbage", root.ToJsonString() + new[] { "x", "\n", "\t", "}", "\0" }[random.Next(5)], false);
            case 14:
            {
                // The same entries in another order: the data layout is unchanged, so the file means the same.
                var shuffled = new JsonObject();
                foreach (var key in root.Select(p => p.Key).OrderBy(_ => random.Next()).ToList())
                {
                    shuffled[key] = root[key]!.DeepClone();
                }

                return ("reordered", shuffled.ToJsonString(), true);
            }

            case 15:
                return ("whitespace", root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), true);
            case 16:
                return ("escaped name", root.ToJsonString().Replace($"\"{name}\":", "\"" + string.Concat(name.Select(c => $"\\u{(int)c:x4}")) + "\":", StringComparison.Ordinal), true);
            case 17:
                return ("space padding", root.ToJsonString() + new string(' ', random.Next(1, 40)), true);
            case 18:
                // Parses as JSON, but decodes to invalid UTF-16: reading it must not escape as another exception type.
                return ("escaped lone surrogate", root.ToJsonString().Replace($"\"{name}\":", $"\"{name}\\ud800\":", StringComparison.Ordinal), false);
            default:
                entry["data_offsets"] = new JsonArray(JsonValue.Create("0"), JsonValue.Create("8"));
                return ("offsets as strings", root.ToJsonString(), false);
        }
    }
}
