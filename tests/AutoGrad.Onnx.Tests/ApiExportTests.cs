using System.Text.Json;

namespace AutoGrad.Onnx.Tests;

/// <summary>The API: standardization and class outputs in the graph, the file written atomically, and bad arguments refused.</summary>
public sealed class ApiExportTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (Mlp Net, TensorTree Parameters) Small() { var net = new Mlp([3, 5, 2], [Activation.Relu]); return (net, net.Init(new Generator(1))); }

    [Fact]
    public void StandardizationAndProbabilitiesAreInTheGraph()
    {
        var (net, parameters) = Small();
        float[] mean = [1, -2, 0.5f], std = [2, 0, 0.25f]; // a zero std reads as 1, as in `autograd predict`
        var options = new OnnxExportOptions { FeatureMean = mean, FeatureStd = std, ClassNames = ["no", "yes, \"quoted\""], Metadata = new Dictionary<string, string> { ["dataset"] = "made up" } };
        string path = Path.Combine(_dir, "m.onnx");
        OnnxExport.Save(net, parameters, path, options);
        float[] raw = [0, 0, 0, 3, -1, 2, -5, 4, 0.75f, 10, 10, 10];
        var x = raw.Select((v, k) => (v - mean[k % 3]) / (std[k % 3] == 0 ? 1 : std[k % 3])).ToArray();
        var outputs = net.Apply(parameters, Tensor.FromArray(x, [4, 3]));
        var ort = Ort.Run(path, raw, 3);
        Ort.Close(outputs.ToFloatArray(), ort["output"], 1e-5, "output");
        Ort.Close(outputs.Softmax(-1).ToFloatArray(), ort["probabilities"], 1e-5, "probabilities");

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var meta = session.ModelMetadata;
        Assert.Equal("AutoGrad", meta.ProducerName);
        Assert.Equal(["no", "yes, \"quoted\""], JsonSerializer.Deserialize<string[]>(meta.CustomMetadataMap["classes"])!);
        Assert.Equal("made up", meta.CustomMetadataMap["dataset"]);
        Assert.Equal(new long[] { -1, 3 }, session.InputMetadata["input"].Dimensions.Select(d => (long)d));
        Assert.Equal("batch", session.InputMetadata["input"].SymbolicDimensions[0]);
    }

    [Fact]
    public void TheFileIsOnnxProtobufWithOpset20()
    {
        var (net, parameters) = Small();
        var model = OnnxExport.Build(net, parameters, null);
        Assert.Equal(OnnxExport.IrVersion, model.IrVersion);
        Assert.Equal(20, model.OpsetImport.Single().Version);
        Assert.Equal(["Gemm", "Relu", "Gemm"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["0.W", "0.b", "1.W", "1.b"], model.Graph.Initializer.Select(t => t.Name));
        var parsed = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(net, parameters));
        Assert.Equal(model, parsed);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheReason()
    {
        var (net, parameters) = Small();
        var other = new Mlp([3, 4, 2], [Activation.Relu]).Init(new Generator(0));
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, other));
        Assert.Contains("'0.W' has shape [3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, new TensorTree()));
        Assert.Contains("empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, parameters, new OnnxExportOptions { FeatureMean = [0, 0, 0] }));
        Assert.Contains("go together", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, parameters, new OnnxExportOptions { FeatureMean = [0, 0], FeatureStd = [1, 1] }));
        Assert.Contains("3 inputs", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, parameters, new OnnxExportOptions { ClassNames = ["a", "b", "c"] }));
        Assert.Contains("3 class names for the network's 2 outputs", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, parameters, new OnnxExportOptions { DType = DType.Int32 }));
        Assert.Contains("float32 or float64", e.Message);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(net, parameters.Map((p, t) => p == "1.b" ? t.To(DType.Float64) : t)));
        Assert.Contains("'1.b' is float64", e.Message);
    }
}
