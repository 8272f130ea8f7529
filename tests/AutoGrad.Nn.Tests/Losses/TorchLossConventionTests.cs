using AutoGrad.Nn.Losses;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Nn.Tests.Losses;

/// <summary>
/// Losses at their edges against PyTorch 1.13's torch.nn.functional in float64 (p, t requires_grad; the torch expression
/// beside each expectation): saturated probabilities, Huber's threshold, KL's batchmean over ranks other than 2.
/// </summary>
public class TorchLossConventionTests
{
    private static Tensor Vec(params double[] v) => Tensor.FromArray(v);

    private static void AssertClose(double[] expected, Tensor actual, double relative = 1e-12)
    {
        var values = actual.ToDoubleArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - expected[i]) <= relative * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {values[i]:R}");
        }
    }

    private static readonly double[] P = [0, 0, 1, 1, 0.5, 1e-20, 1 - 1e-15, 1e-13, 0.3];
    private static readonly double[] T = [0, 1, 0, 1, 0.3, 1, 0, 1, 0.7];

    [Fact]
    public void BinaryCrossEntropyHasPyTorchsDerivativesAtSaturatedProbabilities()
    {
        var t = Vec(T);
        // F.binary_cross_entropy(p, t, reduction='sum').backward(): p.grad = (p − t)/max(p(1 − p), 1e-12 as float32).
        AssertClose([0, -1000000003995.8029, 1000000003995.8029, 0, 0.8, -1000000003995.8029, 1000000003995.8018, -1000000003995.7028, -1.9047619047619047],
            Grad((Tensor p) => Loss.BinaryCrossEntropy(p, t, Reduction.Sum))(Vec(P)));
        // g = autograd.grad(F.binary_cross_entropy(p, t), p, create_graph=True); autograd.grad(g.sum(), p) (mean: /9).
        AssertClose(new[] { 0, 9.999999999979999e+23, 9.999999999979999e+23, 0, 3.9999999999680007, 9.99999979998e+23, 9.9800458977449e+23, 8.26446280990083e+23, 8.39002267565706 }.Select(v => v / 9).ToArray(),
            Grad((Tensor p) => Grad((Tensor q) => Loss.BinaryCrossEntropy(q, t))(p).Sum())(Vec(P)), 1e-10);
        // The value is unchanged, logs clamped at −100: F.binary_cross_entropy(p, t, reduction='sum') = 312.1678146879141.
        Assert.Equal(312.1678146879141, Loss.BinaryCrossEntropy(Vec(P), t, Reduction.Sum).Item(), 9);
        // Targets get log(1 − p) − log p, unclamped: t.grad = [inf, inf, -inf, -inf, 0, 46.051701859880914, -34.53957599234088,
        // 29.933606208922495, 0.8472978603872037].
        var gt = Grad((Tensor q) => Loss.BinaryCrossEntropy(Vec(P), q, Reduction.Sum))(t).ToDoubleArray();
        Assert.Equal([double.PositiveInfinity, double.PositiveInfinity, double.NegativeInfinity, double.NegativeInfinity], gt[..4]);
        AssertClose([0, 46.051701859880914, -34.53957599234088, 29.933606208922495, 0.8472978603872037], Tensor.FromArray(gt[4..]));
    }

    [Fact]
    public void HuberHasPyTorchsSecondDerivativeAtZeroAndAtTheThreshold()
    {
        // d = [1, -1, 0, 2, 0.5, -3]; F.huber_loss(d, 0, delta, reduction='sum'), its gradient, and the gradient of the gradient's sum:
        // delta = 1: 5.125, [1, -1, 0, 1, 0.5, -1], [0, 0, 1, 0, 1, 0]; delta = 2: 7.125, [1, -1, 0, 2, 0.5, -2], [1, 1, 1, 0, 1, 0].
        var d = Vec(1, -1, 0, 2, 0.5, -3);
        var zero = Tensor.ZerosLike(d);
        Func<Tensor, Tensor> one = x => Loss.Huber(x, zero, 1.0, Reduction.Sum), two = x => Loss.Huber(x, zero, 2.0, Reduction.Sum);
        Assert.Equal(5.125, one(d).Item(), 12);
        AssertClose([1, -1, 0, 1, 0.5, -1], Grad(one)(d));
        AssertClose([0, 0, 1, 0, 1, 0], Grad((Tensor x) => Grad(one)(x).Sum())(d));
        Assert.Equal(7.125, two(d).Item(), 12);
        AssertClose([1, -1, 0, 2, 0.5, -2], Grad(two)(d));
        AssertClose([1, 1, 1, 0, 1, 0], Grad((Tensor x) => Grad(two)(x).Sum())(d));
    }

    [Fact]
    public void KlDivergenceDividesByTheFirstAxisForAnyRank()
    {
        // F.kl_div(lp.reshape(shape), t.reshape(shape), reduction='batchmean') and lp.grad, lp = [-1, -2, -0.5, -3, -0.1, -2.5],
        // t = [0.2, 0, 0.8, 0.5, 0.5, 0]: (6,) 0.1594083993169778; (1, 2, 3) 0.9564503959018669; (2, 1, 3) 0.47822519795093343.
        var (lp, t) = (Vec(-1, -2, -0.5, -3, -0.1, -2.5), Vec(0.2, 0, 0.8, 0.5, 0.5, 0));
        (int[] Shape, double Value, double Scale)[] cases = [([6], 0.1594083993169778, 6), ([1, 2, 3], 0.9564503959018669, 1), ([2, 1, 3], 0.47822519795093343, 2)];
        foreach (var (shape, value, scale) in cases)
        {
            Assert.Equal(value, Loss.KlDivergence(lp.Reshape(shape), t.Reshape(shape)).Item(), 12);
            AssertClose(new[] { -0.2, 0, -0.8, -0.5, -0.5, 0 }.Select(v => v / scale).ToArray(), Grad((Tensor x) => Loss.KlDivergence(x.Reshape(shape), t.Reshape(shape)))(lp));
        }
    }
}
