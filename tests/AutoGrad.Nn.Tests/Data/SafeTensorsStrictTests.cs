using System.Buffers.Binary;
using System.Text;
using AutoGrad.Nn.Serialization;
using Xunit;

namespace AutoGrad.Nn.Tests.Data;

/// <summary>The loader's rules: a file loads exactly as written or is rejected with an InvalidDataException naming the file and the field.</summary>
public sealed class SafeTensorsStrictTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ag-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A file with the given JSON header (padded with spaces to <paramref name="padTo"/> when given) and data bytes.</summary>
    private string Raw(string json, byte[] data, int? padTo = null, ulong? claimedLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        if (padTo is { } n)
        {
            header = [.. header, .. Enumerable.Repeat((byte)' ', n - header.Length)];
        }

        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        var path = PathOf($"f{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Rejected(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ":", e.Message);
        return e.Message;
    }

    private const string TwoTensors = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";

    [Fact]
    public void AWellFormedHandWrittenFileLoads()
    {
        var data = new byte[12];
        BitConverter.TryWriteBytes(data.AsSpan(0), 1.5f);
        BitConverter.TryWriteBytes(data.AsSpan(4), -2f);
        BitConverter.TryWriteBytes(data.AsSpan(8), 7f);
        var (tree, _) = SafeTensors.Load(Raw(TwoTensors, data, padTo: 128));
        Assert.Equal([1.5f, -2f], tree["a"].ToFloatArray());
        Assert.Equal([7f], tree["b"].ToFloatArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void AHeaderLengthShortByAFewPaddingBytesIsRejectedNotLoadedShifted(int shortBy)
    {
        var path = PathOf("m.safetensors");
        SafeTensors.Save(path, new TensorTree { { "w", Tensor.FromArray(new[] { 1f, 2f, 3f }) } });
        var bytes = File.ReadAllBytes(path);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length - (ulong)shortBy);
        File.WriteAllBytes(path, bytes);
        var message = Rejected(path);
        Assert.True(message.Contains("after the last tensor", StringComparison.Ordinal) || message.Contains("followed only by spaces", StringComparison.Ordinal), message);
    }

    [Fact]
    public void GapsOverlapsAndTrailingBytesAreRejected()
    {
        var gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Assert.Contains("tensor 'b' data_offsets [8,12] leave a gap of 4 bytes", Rejected(Raw(gap, new byte[12])));
        var overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Assert.Contains("overlaps the previous tensor by 4 bytes", Rejected(Raw(overlap, new byte[8])));
        Assert.Contains("data section has 4 bytes after the last tensor", Rejected(Raw(TwoTensors, new byte[16])));
        var notFromZero = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Assert.Contains("leave a gap of 4 bytes", Rejected(Raw(notFromZero, new byte[8])));
    }

    [Fact]
    public void TensorsStoredOutOfHeaderOrderButBackToBackLoad()
    {
        var json = "{\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        var (tree, _) = SafeTensors.Load(Raw(json, [1, 0, 0, 0, 2, 0, 0, 0]));
        Assert.Equal(["b", "a"], tree.Keys);
        Assert.Equal([2], tree["b"].ToInt32Array());
        Assert.Equal([1], tree["a"].ToInt32Array());
    }

    [Fact]
    public void PaddingThatIsNotSpacesIsRejected()
    {
        var json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
        Assert.Contains("followed only by spaces", Rejected(Raw(json + "\n   ", [])));
        Assert.Contains("followed only by spaces", Rejected(Raw(json + "\0\0\0", [])));
        Assert.Contains("does not start with '{'", Rejected(Raw("  " + json, [])));
    }

    [Fact]
    public void MalformedHeadersAreInvalidDataNotOtherExceptions()
    {
        Assert.Contains("header is not valid UTF-8", Rejected(RawBytes([(byte)'{', 0xC3, 0x28, (byte)'}'])));
        Assert.Contains("header does not start with", Rejected(Raw("[1,2]", [])));
        Assert.Contains("header does not start with", Rejected(Raw("\"x\"", [])));
        Assert.Contains("__metadata__.k must be a string, not Number", Rejected(Raw("{\"__metadata__\":{\"k\":1}}", [])));
        Assert.Contains("__metadata__ must be an object of strings", Rejected(Raw("{\"__metadata__\":[\"k\"]}", [])));
        Assert.Contains("tensor 'a' appears twice", Rejected(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", [])));
        Assert.Contains("unknown field 'extra'", Rejected(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"extra\":1}}", [])));
        Assert.Contains("must be an object with dtype", Rejected(Raw("{\"a\":5}", [])));
        Assert.Contains("unsupported dtype BF16", Rejected(Raw("{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", [0, 0])));
        Assert.Contains("shape must be an array of non-negative integers, got 1.0", Rejected(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("needs 8 bytes but data_offsets [0,4] span 4", Rejected(Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("header length claims", Rejected(Raw("{}", [], claimedLength: ulong.MaxValue)));
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"seed\":\"\\ud800\"}}")]
    [InlineData("{\"0.\\udc00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")]
    [InlineData("{\"a\":{\"dty\\ud800pe\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")]
    [InlineData("{\"a\":{\"dtype\":\"F\\udfff32\",\"shape\":[0],\"data_offsets\":[0,0]}}")]
    public void EscapedLoneSurrogatesAreInvalidData(string json)
    {
        Assert.Contains("an escaped lone surrogate", Rejected(Raw(json, [])));
    }

    private string RawBytes(byte[] header)
    {
        var path = PathOf($"b{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header]);
        return path;
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".W")]
    [InlineData("W.")]
    public void NamesThatAreNotTreePathsAreInvalidData(string name)
    {
        var message = Rejected(Raw($"{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", new byte[4]));
        Assert.Contains($"tensor '{name}'", message);
    }

    [Fact]
    public void SaveRefusesWhatLoadCannotReadBack()
    {
        var path = PathOf("x.safetensors");
        var reserved = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new TensorTree { { "__metadata__", Tensor.Ones([1]) } }));
        Assert.Contains("'__metadata__' is reserved", reserved.Message);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new TensorTree { { "a", Tensor.Ones([1]) } }, new Dictionary<string, string> { [SafeTensors.RootLeafKey] = "x" }));
        Assert.Contains("not valid Unicode", Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new TensorTree { { "a\ud800", Tensor.Ones([1]) } })).Message);
        Assert.Contains("not valid Unicode", Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new TensorTree { { "a", Tensor.Ones([1]) } }, new Dictionary<string, string> { ["k"] = "\udc00" })).Message);
        Assert.False(File.Exists(path));
        // A nested key of that name is an ordinary tensor name.
        SafeTensors.Save(path, new TensorTree { { "a", new TensorTree { { "__metadata__", Tensor.Ones([1]) } } } });
        Assert.Equal([1f], SafeTensors.Load(path).Tree["a.__metadata__"].ToFloatArray());
    }

    [Fact]
    public void ARootLeafTreeRoundTripsAsItself()
    {
        var path = PathOf("leaf.safetensors");
        var leaf = TensorTree.Leaf(Tensor.FromArray(new[] { 1.0, double.NaN, -0.0 }, [3]));
        SafeTensors.Save(path, leaf, new Dictionary<string, string> { ["note"] = "x" });
        var (tree, metadata) = SafeTensors.Load(path);
        Assert.True(tree.IsLeaf);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(tree.Value.ToDoubleArray()[2]));
        Assert.True(double.IsNaN(tree.Value.ToDoubleArray()[1]));
        Assert.Equal(new Dictionary<string, string> { ["note"] = "x" }, metadata);
        // A tree holding one tensor named "value" stays a tree.
        SafeTensors.Save(path, new TensorTree { { "value", Tensor.Ones([1]) } });
        Assert.False(SafeTensors.Load(path).Tree.IsLeaf);
    }

    [Fact]
    public void UnicodeAndPunctuationInNamesAndMetadataRoundTrip()
    {
        var path = PathOf("u.safetensors");
        var tree = new TensorTree { { "größe \"q\" , ü", Tensor.FromArray(new[] { 3 }) }, { "日本", new TensorTree { { "0", Tensor.Zeros([2, 0]) } } } };
        var metadata = new Dictionary<string, string> { ["classes"] = "[\"red, dark\",\"a\\\"b\"]", ["é"] = "\n\t" };
        SafeTensors.Save(path, tree, metadata);
        var (back, meta) = SafeTensors.Load(path);
        Assert.Equal(tree.Leaves().Select(l => l.Path), back.Leaves().Select(l => l.Path));
        Assert.Equal([2, 0], back["日本.0"].Shape.ToArray());
        Assert.Equal(metadata, meta);
    }

    [Fact]
    public void ATemporaryFileLeftByAKilledSaveIsRemovedByTheNextSave()
    {
        var path = PathOf("model.safetensors");
        // What a save killed half-way leaves: a temporary named after a process that no longer exists.
        int deadPid = DeadProcessId();
        var stale = PathOf($".model.safetensors.{deadPid}.{Guid.NewGuid():N}.tmp.safetensors");
        File.WriteAllBytes(stale, new byte[100]);
        var live = PathOf($".model.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp.safetensors");
        File.WriteAllBytes(live, new byte[1]); // a save in progress in a live process (this one) is left alone
        var unrelated = PathOf(".model.safetensors.notes.tmp");
        File.WriteAllBytes(unrelated, new byte[1]);
        SafeTensors.Save(path, new TensorTree { { "w", Tensor.Ones([2]) } });
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(unrelated));
        Assert.Equal(new[] { path, live, unrelated }.Order(), Directory.GetFiles(_dir).Order());
    }

    private static int DeadProcessId()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
