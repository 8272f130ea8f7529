namespace AutoGrad.Onnx.Tests;

/// <summary>
/// Every activation the library has, exported in a small random float32 network (the activation on both layers) and
/// run in ONNX Runtime: its outputs match <see cref="Mlp.Apply"/> to 1e-5.
/// </summary>
public class ActivationExportTests
{
    public static TheoryData<string> Names() => [.. Activation.Names];

    private static (Mlp Net, TensorTree Parameters, float[] Rows) Network(Activation activation, ulong seed, int rows = 9)
    {
        var net = new Mlp([5, 7, 4], [activation, activation]);
        var parameters = net.Init(new Generator(seed));
        // Non-zero biases, so the bias path is checked too.
        parameters = parameters.Map((path, t) => path.EndsWith(".b", StringComparison.Ordinal) ? Tensor.RandomNormal(t.Shape.ToArray(), new Generator(seed + 7)) * 0.3 : t);
        var x = Tensor.RandomNormal([rows, 5], new Generator(seed + 1)).ToFloatArray();
        return (net, parameters, x);
    }

    private static void AssertMatches(Activation activation, ulong seed)
    {
        var (net, parameters, rows) = Network(activation, seed);
        var expected = net.Apply(parameters, Tensor.FromArray(rows, [rows.Length / 5, 5])).ToFloatArray();
        var outputs = Ort.Run(OnnxExport.ToBytes(net, parameters), rows, 5);
        Assert.Equal(["output"], outputs.Keys);
        Ort.Close(expected, outputs["output"], 1e-5, activation.Name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryActivationRunsInOnnxRuntimeAsInTheLibrary(string name)
    {
        var activation = Activation.Parse(name);
        for (ulong seed = 1; seed <= 3; seed++)
        {
            AssertMatches(activation, seed);
        }
    }

    [Theory]
    [InlineData(0.2, 0.5)]
    [InlineData(0.001, 2.5)]
    public void LeakyReluAndEluKeepTheirParameter(double slope, double alpha)
    {
        AssertMatches(Activation.LeakyRelu(slope), 4);
        AssertMatches(Activation.Elu(alpha), 5);
    }

    [Fact]
    public void MixedActivationsInADeeperNetwork()
    {
        var net = new Mlp([6, 8, 8, 8, 8, 3], [Activation.Gelu, Activation.Swish, Activation.Elu(0.7), Activation.Softplus, Activation.Softmax]);
        var parameters = net.Init(new Generator(11));
        var rows = Tensor.RandomNormal([32, 6], new Generator(12)).ToFloatArray();
        var expected = net.Apply(parameters, Tensor.FromArray(rows, [32, 6])).ToFloatArray();
        Ort.Close(expected, Ort.Run(OnnxExport.ToBytes(net, parameters), rows, 6)["output"], 1e-5, net.ToString());
    }

    [Fact]
    public void TheOpsOfEachActivation()
    {
        var table = Activation.Names.ToDictionary(n => n, n => string.Join(" ", OnnxExport.OpsFor(Activation.Parse(n))));
        Assert.Equal("Sigmoid", table["sigmoid"]);
        Assert.Equal("Tanh", table["tanh"]);
        Assert.Equal("Relu", table["relu"]);
        Assert.Equal("LeakyRelu", table["leaky-relu"]);
        Assert.Equal("Elu", table["elu"]);
        Assert.Equal("Gelu", table["gelu"]);
        Assert.Equal("Softplus", table["softplus"]);
        Assert.Equal("Sigmoid Mul", table["swish"]);
        Assert.Equal("Sigmoid Mul", table["silu"]);
        Assert.Equal("Softmax", table["softmax"]);
        Assert.Equal("Exp", table["exponential"]);
        Assert.Equal("", table["linear"]);
        Assert.Equal("GreaterOrEqual Cast", table["step"]);
    }

    [Fact]
    public void SoftplusAndExponentialAtLargeInputs()
    {
        // Softplus's stable form (max(x, 0) + log1p(e^−|x|)) and exp at the edge of float range.
        var net = new Mlp([1, 1], [Activation.Softplus]);
        var parameters = new TensorTree { { "0", new TensorTree { { "W", Tensor.FromArray(new float[] { 1 }, [1, 1]) }, { "b", Tensor.FromArray(new float[] { 0 }, [1]) } } } };
        float[] rows = [-100, -20, -1e-3f, 0, 1e-3f, 20, 80, 100];
        var expected = net.Apply(parameters, Tensor.FromArray(rows, [rows.Length, 1])).ToFloatArray();
        Ort.Close(expected, Ort.Run(OnnxExport.ToBytes(net, parameters), rows, 1)["output"], 1e-5, "softplus");
    }

    [Fact]
    public void DoubleSoftplusEluAndLeakyReluCompositionsAtLargeInputs()
    {
        double[] rows = [-800, -100, -20, -1e-3, 0, 1e-3, 20, 100, 800];
        foreach (var activation in new[] { Activation.Softplus, Activation.Elu(0.5), Activation.LeakyRelu(0.3) })
        {
            var net = new Mlp([1, 1], [activation]);
            var parameters = new TensorTree { { "0", new TensorTree { { "W", Tensor.FromArray(new double[] { 1 }, [1, 1]) }, { "b", Tensor.FromArray(new double[] { 0 }, [1]) } } } };
            var expected = net.Apply(parameters, Tensor.FromArray(rows, [rows.Length, 1])).ToDoubleArray();
            Ort.Close(expected, Ort.Run(OnnxExport.ToBytes(net, parameters), rows, 1)["output"], 1e-12, activation.Name);
        }
    }

    [Fact]
    public void StepIsOneAtZero()
    {
        var net = new Mlp([1, 1], [Activation.Step]);
        var parameters = new TensorTree { { "0", new TensorTree { { "W", Tensor.FromArray(new float[] { 1 }, [1, 1]) }, { "b", Tensor.FromArray(new float[] { 0 }, [1]) } } } };
        float[] rows = [-1, -1e-30f, 0, 1e-30f, 2];
        Assert.Equal(new float[] { 0, 0, 1, 1, 1 }, Ort.Run(OnnxExport.ToBytes(net, parameters), rows, 1)["output"]);
        Assert.Equal(new float[] { 0, 0, 1, 1, 1 }, net.Apply(parameters, Tensor.FromArray(rows, [5, 1])).ToFloatArray());
    }

    public static TheoryData<string> NamesButGelu() => [.. Activation.Names.Where(n => n != "gelu")];

    [Theory]
    [MemberData(nameof(NamesButGelu))]
    public void Float64NetworksExportAsDouble(string name)
    {
        var activation = Activation.Parse(name);
        var net = new Mlp([5, 7, 4], [activation, activation]);
        var parameters = net.Init(new Generator(3), DType.Float64);
        var rows = Tensor.RandomNormal([9, 5], new Generator(4), DType.Float64).ToDoubleArray();
        var expected = net.Apply(parameters, Tensor.FromArray(rows, [9, 5])).ToDoubleArray();
        Ort.Close(expected, Ort.Run(OnnxExport.ToBytes(net, parameters), rows, 5)["output"], 1e-12, name);
    }

    [Fact]
    public void AFloat64GeluIsStandardOnnxThatOnnxRuntimeCannotRunInDouble()
    {
        // ONNX defines Gelu (and Erf) for double; ONNX Runtime's CPU provider implements them for float only.
        // docs/onnx.md says so and suggests exporting such a model as float32.
        var net = new Mlp([5, 4], [Activation.Gelu]);
        var bytes = OnnxExport.ToBytes(net, net.Init(new Generator(3), DType.Float64));
        var e = Assert.ThrowsAny<Exception>(() => Ort.Run(bytes, new double[5], 5));
        Assert.Contains("NotImplemented", e.Message);
    }

    [Fact]
    public void AFloat64ModelExportsAsFloat32OnRequest()
    {
        var net = new Mlp([5, 7, 4], [Activation.Gelu, Activation.Softplus]);
        var parameters = net.Init(new Generator(3), DType.Float64);
        var rows = Tensor.RandomNormal([9, 5], new Generator(4)).ToFloatArray();
        var expected = net.Apply(parameters, Tensor.FromArray(rows, [9, 5]).To(DType.Float64)).ToDoubleArray();
        var actual = Ort.Run(OnnxExport.ToBytes(net, parameters, new OnnxExportOptions { DType = DType.Float32 }), rows, 5)["output"];
        Ort.Close(expected, Array.ConvertAll(actual, v => (double)v), 1e-5, "float64 as float32");
    }
}
