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
}
