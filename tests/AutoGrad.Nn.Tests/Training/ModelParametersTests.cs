using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>A model's parameters by path ("0.W", "1.b"): read one, replace one layer's, refused when the layout differs (issue 19).</summary>
public class ModelParametersTests
{
    private static Model NewModel() =>
        new Model(new Mlp([4, 5, 3], [Activation.Relu]), new Generator(1)).Compile(new GradientDescent(0.1), (o, y) => Loss.CrossEntropy(o, y));

    [Fact]
    public void TheParametersAreOneSubtreePerLayerWithWAndB()
    {
        var model = NewModel();
        Assert.Equal(["0.W", "0.b", "1.W", "1.b"], model.Parameters.Leaves().Select(l => l.Path));
        Assert.Equal(new Shape(4, 5), model.Parameters["0.W"].Shape);
        Assert.Equal(new Shape(3), model.Parameters.Subtree("1")["b"].Shape);
    }

    [Fact]
    public void ReplacingOneLayersParametersChangesWhatTheModelComputes()
    {
        var model = NewModel();
        var x = Datasets.Iris().Rows([0, 1]).X;
        var bias = Tensor.FromArray(new float[] { 1, 2, 3 });
        model.Parameters = model.Parameters.Map((path, t) => path switch
        {
            "1.W" => Tensor.ZerosLike(t),
            "1.b" => bias,
            _ => t,
        });
        Assert.Equal([1.0, 2, 3, 1, 2, 3], model.Predict(x).ToDoubleArray());
        Assert.Same(bias, model.Parameters["1.b"]);
    }

    [Fact]
    public void ParametersOfAnotherLayoutAreRefusedNamingThePath()
    {
        var model = NewModel();
        var wrongShape = Assert.Throws<ArgumentException>(() => model.Parameters = model.Parameters.Map((path, t) => path == "0.W" ? Tensor.Zeros([3, 5]) : t));
        Assert.Contains("'0.W' is float32[3,5], the network Mlp(4-5-3; relu, linear; 43 parameters) needs float32[4,5]", wrongShape.Message);
        var wrongDType = Assert.Throws<ArgumentException>(() => model.Parameters = model.Parameters.Map(t => t.To(DType.Float64)));
        Assert.Contains("'0.W' is float64[4,5]", wrongDType.Message);
        var missing = Assert.Throws<ArgumentException>(() => model.Parameters = new TensorTree { { "0", model.Parameters.Subtree("0") } });
        Assert.Contains("'1.W' is missing", missing.Message);
    }

    [Fact]
    public void SettingParametersAfterLoadingACheckpointStartsANewRunFromThem()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("autograd-model-").FullName, "run.ckpt");
        NewModel().Fit(Datasets.Iris(), epochs: 2, checkpointPath: path, verbose: false);
        var model = NewModel().LoadCheckpoint(path);
        model.Parameters = NewModel().Parameters;
        var history = model.Fit(Datasets.Iris(), epochs: 1, verbose: false);
        Assert.Equal([1], history.Epochs.Select(e => e.Epoch));
    }
}
