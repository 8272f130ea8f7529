using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Nn.Tests.Losses;

/// <summary>
/// Keras's from_logits: the cross-entropies take probabilities when told, and Model refuses a network whose last activation
/// does not fit its loss (a Softmax before a loss on logits trains softmax of softmax without any error) (issue 19).
/// </summary>
public class FromLogitsTests
{
    private static readonly Tensor Logits = Tensor.FromArray(new[] { 0.3, -1.2, 2.5, 0.05, -0.7, 1.1 }, [2, 3]);
    private static readonly Tensor Labels = Tensor.FromArray(new[] { 2, 0 });

    [Fact]
    public void CrossEntropyOnProbabilitiesEqualsCrossEntropyOnTheirLogits()
    {
        Assert.Equal(Loss.CrossEntropy(Logits, Labels).Item(), Loss.CrossEntropy(Logits.Softmax(-1), Labels, fromLogits: false).Item(), 12);
        var gLogits = Grad((Tensor z) => Loss.CrossEntropy(z, Labels))(Logits).ToDoubleArray();
        var gProbabilities = Grad((Tensor z) => Loss.CrossEntropy(z.Softmax(-1), Labels, fromLogits: false))(Logits).ToDoubleArray();
        Assert.Equal(gLogits, gProbabilities, new Close(1e-12));

        var oneHot = Labels.OneHot(3, DType.Float64);
        Assert.Equal(Loss.CrossEntropyWithProbabilities(Logits, oneHot).Item(),
            Loss.CrossEntropyWithProbabilities(Logits.Softmax(-1), oneHot, fromLogits: false).Item(), 12);
        Assert.Equal(Loss.CrossEntropy(Logits, oneHot).Item(), Loss.CrossEntropy(Logits.Softmax(-1), oneHot, fromLogits: false).Item(), 12);
    }

    [Fact]
    public void AProbabilityOfZeroIsClampedAtKerassEpsilon()
    {
        var p = Tensor.FromArray(new[] { 0.0, 1.0, 0.0 }, [1, 3]);
        var label = Tensor.FromArray(new[] { 0 });
        double value = Loss.CrossEntropy(p, label, fromLogits: false).Item();
        // −log(ε) + log(Σ clamped p) = −log(1e−7) + log(1 − 1e−7 + 2e−7).
        Assert.Equal(-Math.Log(Loss.ProbabilityEpsilon) + Math.Log(1 + Loss.ProbabilityEpsilon), value, 9);
        Assert.All(Grad((Tensor q) => Loss.CrossEntropy(q, label, fromLogits: false))(p).ToDoubleArray(), g => Assert.True(double.IsFinite(g)));
    }

    [Fact]
    public void BinaryCrossEntropyFromLogitsIsTheLogitsForm()
    {
        var z = Tensor.FromArray(new[] { 0.3, -1.2, 2.5 }, [3, 1]);
        var t = Tensor.FromArray(new[] { 1, 0, 1 });
        Assert.Equal(Loss.BinaryCrossEntropyWithLogits(z, t).Item(), Loss.BinaryCrossEntropy(z, t, fromLogits: true).Item());
        Assert.Equal(Loss.BinaryCrossEntropyWithLogits(z, t).Item(), Loss.BinaryCrossEntropy(z.Sigmoid(), t).Item(), 12);
    }

    private static Model Net(Activation last, int outputs = 3) => new(new Mlp([4, 8, outputs], [Activation.Relu, last]), new Generator(1));

    [Fact]
    public void ASoftmaxNetworkWithALossOnLogitsIsRefusedByCompile()
    {
        var lambda = Assert.Throws<ArgumentException>(() => Net(Activation.Softmax).Compile(new Adam(0.01), (o, y) => Loss.CrossEntropy(o, y), "accuracy"));
        Assert.Contains("ends in softmax, so its outputs are probabilities, but the loss applies softmax to them again", lambda.Message);
        Assert.Contains("Drop the softmax", lambda.Message);
        Assert.Contains("Loss.CrossEntropy(o, y, fromLogits: false)", lambda.Message);

        var named = Assert.Throws<ArgumentException>(() => Net(Activation.Softmax).Compile("adam", "sparse_categorical_crossentropy"));
        Assert.Contains("ends in softmax, so its outputs are probabilities, but the loss sparse_categorical_crossentropy takes logits", named.Message);
        Assert.Contains("Loss.FromName(\"sparse_categorical_crossentropy\", fromLogits: false)", named.Message);

        // The sigmoid twin: one sigmoid unit before binary cross-entropy on logits.
        var binary = Assert.Throws<ArgumentException>(() => Net(Activation.Sigmoid, 1).Compile(new Adam(0.01), (o, y) => Loss.BinaryCrossEntropyWithLogits(o, y)));
        Assert.Contains("applies a sigmoid to them again", binary.Message);
        Assert.Throws<ArgumentException>(() => Net(Activation.Sigmoid, 1).Compile("adam", Loss.FromName("binary_crossentropy", fromLogits: true)));
    }

    [Fact]
    public void ALossOnProbabilitiesAfterALinearLayerIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Net(Activation.Linear).Compile("adam", Loss.FromName("sparse_categorical_crossentropy", fromLogits: false)));
        Assert.Contains("ends in linear, so its outputs are not probabilities, but the loss sparse_categorical_crossentropy takes probabilities", e.Message);
        Assert.Contains("End the network with Softmax", e.Message);
        Assert.Throws<ArgumentException>(() => Net(Activation.Linear, 1).Compile("adam", "binary_crossentropy"));
    }

    [Fact]
    public void FittingPairsAreAccepted()
    {
        Net(Activation.Softmax).Compile("adam", Loss.FromName("sparse_categorical_crossentropy", fromLogits: false));
        Net(Activation.Softmax).Compile(new Adam(0.01), (o, y) => Loss.CrossEntropy(o, y, fromLogits: false));
        Net(Activation.Softmax).Compile(new Adam(0.01), (o, y) => Loss.MeanSquaredError(o, y.OneHot(3, o.DType))); // MSE on probabilities is fine
        Net(Activation.Softmax).Compile("adam", "mse");
        Net(Activation.Linear).Compile(new Adam(0.01), (o, y) => Loss.CrossEntropy(o, y));
        Net(Activation.Linear).Compile("adam", "sparse_categorical_crossentropy");
        Net(Activation.Sigmoid, 1).Compile("adam", "binary_crossentropy");
        Net(Activation.Sigmoid, 1).Compile(new Adam(0.01), (o, y) => Loss.BinaryCrossEntropy(o, y));
    }

    [Fact]
    public void AKerasStyleSoftmaxNetworkTrainsWithFromLogitsFalse()
    {
        var iris = Datasets.Iris();
        var (mean, std) = iris.FeatureStatistics();
        var model = Net(Activation.Softmax).Compile(new Adam(0.01), Loss.FromName("sparse_categorical_crossentropy", fromLogits: false), "accuracy");
        var history = model.Fit(iris.Standardize(mean, std), epochs: 40, batchSize: 16, seed: 1, verbose: false);
        Assert.True(history.Epochs[^1].Accuracy >= 0.95, $"accuracy {history.Epochs[^1].Accuracy}");
    }

    private sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(double v) => 0;
    }
}
