using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>The names Keras users type, for optimizers and losses, in the one parser the CLI also uses (issue 19).</summary>
public class KerasNamesTests
{
    [Theory]
    [InlineData("sgd", typeof(Sgd), 0.01)]
    [InlineData("SGD", typeof(Sgd), 0.01)]
    [InlineData("adam", typeof(Adam), 0.001)]
    [InlineData("Adam", typeof(Adam), 0.001)]
    [InlineData("rmsprop", typeof(RmsProp), 0.001)]
    [InlineData("RMSprop", typeof(RmsProp), 0.001)]
    [InlineData("adamw", typeof(AdamW), 0.001)]
    [InlineData("adagrad", typeof(Adagrad), 0.001)]
    [InlineData("adadelta", typeof(Adadelta), 0.001)]
    [InlineData("adamax", typeof(Adamax), 0.001)]
    [InlineData("nadam", typeof(NAdam), 0.001)]
    [InlineData("momentum", typeof(Sgd), 0.01)]
    [InlineData("nesterov", typeof(Sgd), 0.01)]
    public void AnOptimizerNameGivesItsClassWithKerassDefaultLearningRate(string name, Type type, double rate)
    {
        var optimizer = Optimizers.FromName(name);
        Assert.IsType(type, optimizer);
        Assert.Equal(rate, optimizer.LearningRate.At(0));
        Assert.Equal(rate, Optimizers.DefaultLearningRate(name));
        Assert.Equal(0.5, Optimizers.FromName(name, 0.5).LearningRate.At(0));
    }

    [Fact]
    public void AnUnknownOptimizerNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Optimizers.FromName("adamm"));
        Assert.Equal("unknown optimizer 'adamm'; choose one of: sgd, momentum, nesterov, rmsprop, adam, adamw, adadelta, adamax, nadam, adagrad", e.Message);
        Assert.Throws<ArgumentException>(() => Optimizers.DefaultLearningRate("ftrl"));
    }

    private static readonly Tensor Logits = Tensor.FromArray(new[] { 0.3, -1.2, 2.5, 0.05, -0.7, 1.1 }, [2, 3]);
    private static readonly Tensor Labels = Tensor.FromArray(new[] { 2, 0 });

    [Theory]
    [InlineData("sparse_categorical_crossentropy")]
    [InlineData("categorical_crossentropy")]
    [InlineData("cross-entropy")]
    [InlineData("CE")]
    public void TheCategoricalNamesAreCrossEntropyOnLogits(string name)
    {
        var loss = Loss.FromName(name);
        Assert.True(loss.FromLogits);
        Assert.True(loss.TakesClassLabels);
        Assert.Equal(Loss.CrossEntropy(Logits, Labels).Item(), loss.Apply(Logits, Labels).Item());
        var oneHot = Labels.OneHot(3, DType.Float64);
        Assert.Equal(Loss.CrossEntropyWithProbabilities(Logits, oneHot).Item(), loss.Apply(Logits, oneHot).Item(), 12);
    }

    [Fact]
    public void TheOtherNamesMapToTheirLosses()
    {
        var targets = Tensor.FromArray(new[] { 0.5, -1.0, 1.0, 0.0, 0.2, 3.0 }, [2, 3]);
        Assert.Equal(Loss.MeanSquaredError(Logits, targets).Item(), Loss.FromName("mse").Apply(Logits, targets).Item());
        Assert.Equal(Loss.MeanSquaredError(Logits, targets).Item(), Loss.FromName("mean_squared_error").Apply(Logits, targets).Item());
        Assert.Equal(Loss.HalfMeanSquaredError(Logits, targets).Item(), Loss.FromName("half-mse").Apply(Logits, targets).Item());
        Assert.Equal(Loss.MeanAbsoluteError(Logits, targets).Item(), Loss.FromName("mae").Apply(Logits, targets).Item());
        Assert.Equal(Loss.MeanAbsoluteError(Logits, targets).Item(), Loss.FromName("mean_absolute_error").Apply(Logits, targets).Item());
        Assert.Equal(Loss.Huber(Logits, targets).Item(), Loss.FromName("huber").Apply(Logits, targets).Item());
        Assert.Null(Loss.FromName("mse").FromLogits);

        // A regression loss on class labels compares with one-hot rows (the classic MSE-trained classifiers).
        Assert.Equal(Loss.MeanSquaredError(Logits, Labels.OneHot(3, DType.Float64)).Item(), Loss.FromName("mse").Apply(Logits, Labels).Item());

        var probabilities = Tensor.FromArray(new[] { 0.9, 0.2, 0.6 }, [3, 1]);
        var binary = Tensor.FromArray(new[] { 1, 0, 0 });
        Assert.False(Loss.FromName("binary_crossentropy").FromLogits);
        Assert.Equal(Loss.BinaryCrossEntropy(probabilities, binary).Item(), Loss.FromName("binary_crossentropy").Apply(probabilities, binary).Item());
        Assert.Equal(Loss.BinaryCrossEntropyWithLogits(probabilities, binary).Item(),
            Loss.FromName("binary_crossentropy", fromLogits: true).Apply(probabilities, binary).Item());
    }

    [Fact]
    public void AnUnknownLossNameListsTheKnownOnesAndFromLogitsFitsOnlyCrossEntropies()
    {
        var e = Assert.Throws<ArgumentException>(() => Loss.FromName("hinge"));
        Assert.StartsWith("unknown loss 'hinge'; choose one of: sparse_categorical_crossentropy, categorical_crossentropy, ", e.Message);
        Assert.Contains("mse", e.Message);
        Assert.Contains("fromLogits applies to the cross-entropies, not to 'mse'", Assert.Throws<ArgumentException>(() => Loss.FromName("mse", fromLogits: false)).Message);
    }

    [Fact]
    public void CompileByNameTrainsAsTheTypedCompileWithKerassDefaults()
    {
        var iris = Datasets.Iris();
        Model New() => new(new Mlp([4, 8, 3], [Activation.Relu]), new Generator(1));
        var byName = New().Compile("adam", "sparse_categorical_crossentropy", "accuracy").Fit(iris, epochs: 3, batchSize: 16, seed: 2, verbose: false);
        var typed = New().Compile(new Adam(0.001), (o, y) => Loss.CrossEntropy(o, y), "accuracy").Fit(iris, epochs: 3, batchSize: 16, seed: 2, verbose: false);
        Assert.Equal(typed.Epochs.Select(e => e.Loss), byName.Epochs.Select(e => e.Loss));

        var sgd = New().Compile("sgd", Loss.FromName("mse"), "accuracy").Fit(iris, epochs: 2, batchSize: 16, seed: 2, verbose: false);
        var sgdTyped = New().Compile(new Sgd(0.01), (o, y) => Loss.MeanSquaredError(o, y.OneHot(3, o.DType))).Fit(iris, epochs: 2, batchSize: 16, seed: 2, verbose: false);
        Assert.Equal(sgdTyped.Epochs.Select(e => e.Loss), sgd.Epochs.Select(e => e.Loss));

        Assert.Contains("unknown optimizer 'adamm'", Assert.Throws<ArgumentException>(() => New().Compile("adamm", "mse")).Message);
        Assert.Contains("unknown loss 'msee'", Assert.Throws<ArgumentException>(() => New().Compile(new Adam(0.01), "msee")).Message);
    }
}
