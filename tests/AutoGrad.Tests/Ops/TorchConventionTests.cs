using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Ops;

/// <summary>
/// Values and derivatives at the edges (NaN, infinities, kinks, ties, degenerate arguments), each against the number
/// PyTorch 1.13 gives for the same float64 input; the torch expression is stated beside each expectation.
/// </summary>
public class TorchConventionTests
{
    private const double NaN = double.NaN;
    private const double Inf = double.PositiveInfinity;

    private static Tensor Vec(params double[] v) => Tensor.FromArray(v);

    private static void AssertValues(double[] expected, Tensor actual, int precision = 12)
    {
        var values = actual.ToDoubleArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]) || double.IsInfinity(expected[i]))
            {
                Assert.True(expected[i].Equals(values[i]), $"element {i}: expected {expected[i]}, got {values[i]}");
            }
            else
            {
                Assert.Equal(expected[i], values[i], precision);
            }
        }
    }

    [Fact]
    public void MaximumAndMinimumGiveBothInputsTheGradientWhereEitherIsNaN()
    {
        // a, b = [1, 2, nan, 1, nan], [1, 1, 1, nan, nan] (requires_grad); torch.maximum(a, b).sum().backward():
        // a.grad = [0.5, 1, 1, 1, 1], b.grad = [0.5, 0, 1, 1, 1]; torch.minimum: a.grad = [0.5, 0, 1, 1, 1], b.grad = [0.5, 1, 1, 1, 1].
        var (a, b) = (Vec(1, 2, NaN, 1, NaN), Vec(1, 1, 1, NaN, NaN));
        var (maxA, maxB) = Grad((Tensor p, Tensor q) => p.Maximum(q).Sum(), argnums: (0, 1))(a, b);
        AssertValues([0.5, 1, 1, 1, 1], maxA);
        AssertValues([0.5, 0, 1, 1, 1], maxB);
        var (minA, minB) = Grad((Tensor p, Tensor q) => p.Minimum(q).Sum(), argnums: (0, 1))(a, b);
        AssertValues([0.5, 0, 1, 1, 1], minA);
        AssertValues([0.5, 1, 1, 1, 1], minB);
        AssertValues([1, 2, NaN, NaN, NaN], a.Maximum(b));
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxAreNaNOnRowsWithPlusInfinity()
    {
        // x = [[-inf, 0, 1], [inf, 1, 0], [-inf, -inf, -inf]]; torch.softmax(x, 1) and torch.log_softmax(x, 1).
        var x = Tensor.FromArray([double.NegativeInfinity, 0, 1, Inf, 1, 0, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity], [3, 3]);
        // softmax: [[0, 0.2689414213699951, 0.7310585786300049], [nan, nan, nan], [nan, nan, nan]]
        AssertValues([0, 0.2689414213699951, 0.7310585786300049, NaN, NaN, NaN, NaN, NaN, NaN], x.Softmax(1));
        // log_softmax: [[-inf, -1.3132616875182228, -0.31326168751822286], [nan, nan, nan], [nan, nan, nan]]
        AssertValues([double.NegativeInfinity, -1.3132616875182228, -0.31326168751822286, NaN, NaN, NaN, NaN, NaN, NaN], x.LogSoftmax(1));
        // (torch.log_softmax(x, 1) * w).sum().backward() with w = [1, 2, 3]: x.grad = [[1, 0.3863514717800294, -1.3863514717800294], nan…]
        var w = Tensor.FromArray([1.0, 2, 3], [1, 3]);
        AssertValues([1, 0.3863514717800294, -1.3863514717800294, NaN, NaN, NaN, NaN, NaN, NaN], Grad((Tensor t) => (t.LogSoftmax(1) * w).Sum())(x));
        // LogSumExp keeps PyTorch's own rule for infinite maxima: torch.logsumexp(x, 1) = [1.3132616875182228, inf, -inf].
        AssertValues([1.3132616875182228, Inf, double.NegativeInfinity], x.LogSumExp(1));
    }

    [Fact]
    public void EluHasSecondDerivativeZeroAtZero()
    {
        // x = [-1, 0, 1]; g = autograd.grad(F.elu(x, alpha).sum(), x, create_graph=True); autograd.grad(g.sum(), x):
        // alpha = 1: g = [0.36787944117144233, 1, 1], second = [0.36787944117144233, 0, 0]; alpha = 0.5: g = [0.18393972058572117, 0.5, 1], second = [0.18393972058572117, 0, 0].
        var x = Vec(-1, 0, 1);
        AssertValues([0.36787944117144233, 1, 1], Grad((Tensor t) => t.Elu(1.0).Sum())(x));
        AssertValues([0.36787944117144233, 0, 0], Grad((Tensor t) => Grad((Tensor u) => u.Elu(1.0).Sum())(t).Sum())(x));
        AssertValues([0.18393972058572117, 0.5, 1], Grad((Tensor t) => t.Elu(0.5).Sum())(x));
        AssertValues([0.18393972058572117, 0, 0], Grad((Tensor t) => Grad((Tensor u) => u.Elu(0.5).Sum())(t).Sum())(x));
    }

    [Fact]
    public void PowExponentGradientIsMinusInfinityAtZeroBaseWithNegativeExponent()
    {
        // a = [0, 0, 0, 2], b = [-1, -2, 2, -1]; torch.pow(a, b).sum().backward(): a.grad = [-inf, -inf, 0, -0.25],
        // b.grad = [-inf, -inf, 0, 0.34657359027997264].
        var (ga, gb) = Grad((Tensor a, Tensor b) => a.Pow(b).Sum(), argnums: (0, 1))(Vec(0, 0, 0, 2), Vec(-1, -2, 2, -1));
        AssertValues([double.NegativeInfinity, double.NegativeInfinity, 0, -0.25], ga);
        AssertValues([double.NegativeInfinity, double.NegativeInfinity, 0, 0.34657359027997264], gb);
    }

    [Fact]
    public void ClampWithMinAboveMaxGivesMaxAndNoGradient()
    {
        // torch.clamp(x, 1, -1) for x = [-2, 0, 2]: [-1, -1, -1], x.grad = [0, 0, 0]; torch.clamp(x, 0.5, 0.5) for
        // x = [0, 0.5, 1]: [0.5, 0.5, 0.5], x.grad = [0, 1, 0].
        AssertValues([-1, -1, -1], Vec(-2, 0, 2).Clamp(1, -1));
        AssertValues([0, 0, 0], Grad((Tensor t) => t.Clamp(1, -1).Sum())(Vec(-2, 0, 2)));
        AssertValues([0.5, 0.5, 0.5], Vec(0, 0.5, 1).Clamp(0.5, 0.5));
        AssertValues([0, 1, 0], Grad((Tensor t) => t.Clamp(0.5, 0.5).Sum())(Vec(0, 0.5, 1)));
        var ex = Assert.Throws<TensorOpException>(() => Vec(1).Clamp(double.NaN, 1));
        Assert.Contains("needs bounds that are numbers, got [NaN, 1]", ex.Message);
    }

    [Fact]
    public void MaxAndMinSendTheGradientToTheNaNs()
    {
        // torch.max(x).backward() for x = [1, nan, 3]: x.grad = [0, 1, 0]; x = [1, 3, 3, nan, nan]: [0, 0, 0, 0.5, 0.5];
        // torch.min likewise; x.reshape(2, 3).max(1).values.sum().backward() for x = [1, nan, 3, 1, 2, 3]: [0, 1, 0, 0, 0, 1].
        AssertValues([0, 1, 0], Grad((Tensor t) => t.Max())(Vec(1, NaN, 3)));
        AssertValues([0, 0, 0, 0.5, 0.5], Grad((Tensor t) => t.Max())(Vec(1, 3, 3, NaN, NaN)));
        AssertValues([0, 1, 0], Grad((Tensor t) => t.Min())(Vec(1, NaN, 3)));
        AssertValues([0, 1, 0, 0, 0, 1], Grad((Tensor t) => t.Reshape([2, 3]).Max(1).Sum())(Vec(1, NaN, 3, 1, 2, 3)));
        Assert.True(double.IsNaN(Vec(1, NaN, 3).Max().Item()));
        // Ties still share evenly, as torch.amax: x = [1, 3, 3, 2]: x.grad = [0, 0.5, 0.5, 0].
        AssertValues([0, 0.5, 0.5, 0], Grad((Tensor t) => t.Max())(Vec(1, 3, 3, 2)));
    }

    [Fact]
    public void SignOfNaNIsZeroAndAbsHasNoGradientThere()
    {
        // torch.sign(torch.tensor([1, nan, -2, 0])) = [1, 0, -1, 0]; x.abs().sum().backward(): x.grad = [1, 0, -1, 0].
        var x = Vec(1, NaN, -2, 0);
        AssertValues([1, 0, -1, 0], x.Sign());
        AssertValues([1, 0, -1, 0], Grad((Tensor t) => t.Abs().Sum())(x));
        AssertValues([1, 0, -1, 0], Tensor.FromArray(new[] { 1f, float.NaN, -2f, 0f }).Sign());
    }
}
