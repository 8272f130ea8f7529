using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Serialization;
using Xunit;

namespace AutoGrad.Nn.Tests.Data;

public class SafeTensorsTests
{
    [Fact]
    public void SaveAndLoadRoundTripATreeWithMetadata()
    {
        var mlp = new Mlp([4, 3, 2], [Activation.Relu]);
        var p = mlp.Init(new Generator(1));
        p.Add("extra", new TensorTree { { "d", Tensor.FromArray(new[] { 1.5, -2 }) }, { "i", Tensor.FromArray(new[] { 7 }) } });
        var path = Path.Combine(Path.GetTempPath(), $"ag-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, p, new Dictionary<string, string> { ["sizes"] = "4-3-2" });
            var (q, meta) = SafeTensors.Load(path);
            Assert.Equal("4-3-2", meta["sizes"]);
            Assert.True(q.HasSameStructure(p));
            foreach (var ((name, a), (_, b)) in p.Leaves().Zip(q.Leaves()))
            {
                Assert.Equal(a.DType, b.DType);
                Assert.Equal(a.Shape, b.Shape);
                Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
            }

            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*.tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CorruptFilesGiveClearErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ag-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, new TensorTree { { "w", Tensor.Ones([4, 4]) } });
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..^10]);
            Assert.Contains("data section has 54 bytes after the header but the tensors need 64 (truncated?)", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
            File.WriteAllBytes(path, [1, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);
            Assert.Contains("header must be a JSON object followed only by spaces", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
            File.WriteAllBytes(path, [255, 255, 0, 0, 0, 0, 0, 0]);
            Assert.Contains("truncated or not safetensors", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
            Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
