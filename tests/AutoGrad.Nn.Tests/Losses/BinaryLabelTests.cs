using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Losses;

/// <summary>Binary losses take int32 0/1 labels [n] for one output unit [n, 1], as Keras users pass them.</summary>
public class BinaryLabelTests
{
    [Fact]
    public void IntLabelsGiveTheSameLossAndGradientAsFloatTargetsInAColumn()
    {
        var p = Tensor.FromArray(new[,] { { 0.2 }, { 0.9 }, { 0.6 } });
        var labels = Tensor.FromArray(new[] { 0, 1, 0 });
        var column = Tensor.FromArray(new[,] { { 0.0 }, { 1.0 }, { 0.0 } });
        Assert.Equal(Loss.BinaryCrossEntropy(p, column).Item(), Loss.BinaryCrossEntropy(p, labels).Item());
        Assert.Equal(Loss.BinaryCrossEntropyWithLogits(p, column).Item(), Loss.BinaryCrossEntropyWithLogits(p, labels).Item());
        var g = Transforms.Grad((Tensor q) => Loss.BinaryCrossEntropy(q, labels))(p);
        Assert.Equal(Transforms.Grad((Tensor q) => Loss.BinaryCrossEntropy(q, column))(p).ToDoubleArray(), g.ToDoubleArray());
    }

    [Fact]
    public void TheNotesTwoTwoOneSigmoidNetworkLearnsXorFromTheDatasetDirectly()
    {
        var net = new Mlp([2, 2, 1], [Activation.Sigmoid, Activation.Sigmoid]);
        var result = Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1), DType.Float64), (o, y) => Loss.BinaryCrossEntropy(o, y),
            new Adam(0.1), Datasets.Xor(), new TrainOptions { Epochs = 400, BatchSize = 4, Seed = 1 });
        Assert.Equal(1.0, result.History.Epochs[^1].Accuracy);
    }

    [Fact]
    public void LabelsThatFitNeitherLayoutAreStillAShapeError()
    {
        var p = Tensor.FromArray(new[,] { { 0.2, 0.3 }, { 0.9, 0.1 } });
        var e = Assert.Throws<TensorOpException>(() => Loss.BinaryCrossEntropy(p, Tensor.FromArray(new[] { 0, 1 })));
        Assert.Contains("must have the same shape", e.Message);
        Assert.Contains(nameof(BinaryLabelTests), e.Message);
    }
}
