using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Training;
using AutoGrad.Nn.Tests.Training;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Nn.Tests.Seeds;

/// <summary>
/// Seed example 1: the perceptron learns AND and OR but never XOR; a 2-2-1 or 2-3-1 sigmoid MLP trained by
/// backpropagation solves XOR, and a net whose hidden layer is linear cannot.
/// Seed example 2: for the 2-3-1 sigmoid network, Grad's gradients are the hand-derived δ-rule updates.
/// </summary>
public class XorSeedTests
{
    private static readonly double[][] Truth = [[0, 0], [0, 1], [1, 0], [1, 1]];

    [Fact]
    public void PerceptronFitsAndAndOrButNotXor()
    {
        Assert.True(Perceptron.Train(Truth, [0, 0, 0, 1]).Converged);
        Assert.True(Perceptron.Train(Truth, [0, 1, 1, 1]).Converged);
        var xor = Perceptron.Train(Truth, [0, 1, 1, 0], maxEpochs: 500);
        Assert.False(xor.Converged);
        Assert.True(xor.ErrorsPerEpoch.Min() > 0);
    }

    private static double XorAccuracy(int hidden, Activation hiddenActivation, ulong seed)
    {
        var net = new Mlp([2, hidden, 1], [hiddenActivation, Activation.Sigmoid], Nn.Init.Initializers.Normal(1.0));
        var data = Datasets.Xor();
        var targets = Tensor.FromArray(new[] { 0.0, 1, 1, 0 }, [4, 1]);
        var inputs = data.Features(DType.Float64);
        var p = net.Init(new Generator(seed), DType.Float64);
        var step = Grad((TensorTree q) => Loss.HalfMeanSquaredError(net.Apply(q, inputs), targets));
        for (int epoch = 0; epoch < 5000; epoch++)
        {
            var g = step(p);
            p = p.Zip(g, (w, dw) => w - dw * 2.0);
        }

        return Metrics.Accuracy(net.Apply(p, inputs), data.Targets());
    }

    [Theory]
    [InlineData(2, 3UL)]
    [InlineData(3, 1UL)]
    public void SigmoidMlpTrainedByBackpropagationSolvesXor(int hidden, ulong seed) =>
        Assert.Equal(1.0, XorAccuracy(hidden, Activation.Sigmoid, seed));

    [Fact]
    public void AnMlpWithALinearHiddenLayerCannotSolveXor()
    {
        // A linear hidden layer collapses the net to one logistic unit: at most 3 of 4 right.
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            Assert.True(XorAccuracy(3, Activation.Linear, seed) <= 0.75);
        }
    }

    [Fact]
    public void GradGivesTheHandDerivedDeltaRuleUpdates()
    {
        // The 2-3-1 sigmoid network of the numpy seed, without biases, loss ½Σ(y − ŷ)².
        var rng = new Generator(11);
        var x = Tensor.FromArray(new double[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        var y = Tensor.FromArray(new[] { 0.0, 1, 1, 0 }, [4, 1]);
        var w1 = Tensor.RandomNormal([2, 3], rng, DType.Float64);
        var w2 = Tensor.RandomNormal([3, 1], rng, DType.Float64);

        Tensor LossOf(Tensor a, Tensor b)
        {
            var yHat = x.MatMul(a).Sigmoid().MatMul(b).Sigmoid();
            return ((y - yHat) * (y - yHat)).Sum() * 0.5;
        }

        var (g1, g2) = Grad(LossOf, argnums: (0, 1))(w1, w2);

        // Hand-derived backpropagation: δ3 = (y − ŷ)·ŷ(1 − ŷ), δ2 = δ3·W2ᵀ·a2(1 − a2); W2 += a2ᵀδ3, W1 += Xᵀδ2.
        var a2 = x.MatMul(w1).Sigmoid();
        var yHat = a2.MatMul(w2).Sigmoid();
        var delta3 = (y - yHat) * yHat * (1.0 - yHat);
        var delta2 = delta3.MatMul(w2.Transpose()) * a2 * (1.0 - a2);
        var update2 = a2.Transpose().MatMul(delta3);
        var update1 = x.Transpose().MatMul(delta2);

        // The δ-rule update is the negative gradient.
        foreach (var (grad, update) in new[] { (g1, update1), (g2, update2) })
        {
            var (a, b) = (grad.ToDoubleArray(), update.ToDoubleArray());
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(Math.Abs(a[i] + b[i]) <= 1e-12, $"element {i}: Grad {a[i]:R}, δ-rule {-b[i]:R}");
            }
        }
    }
}
