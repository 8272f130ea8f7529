using AutoGrad.Backends;
using AutoGrad.Ops;
using AutoGrad.Tests.Support;
using Xunit;

namespace AutoGrad.Tests.Backends;

/// <summary>
/// The fused optimizer and activation-gradient kernels promise the very bits of the compositions they replace (so switching an
/// optimizer to them changes no result): checked at sizes that leave vector tails and that cross the
/// parallel threshold, in both float dtypes.
/// </summary>
public class FusedKernelTests
{
    public static TheoryData<int, bool> Cases()
    {
        var data = new TheoryData<int, bool>();
        foreach (int n in new[] { 1, 7, 33, 1000, 70_001 })
        {
            data.Add(n, true);
            data.Add(n, false);
        }

        return data;
    }

    private static Tensor Random(int n, bool float32, ulong seed, double lo, double hi)
    {
        var rng = new Generator(seed);
        var values = Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray();
        return float32 ? Tensor.FromArray(values.Select(v => (float)v).ToArray()) : Tensor.FromArray(values);
    }

    private static void BitwiseEqual(Tensor expected, Tensor actual, string what)
    {
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(e[i]) == BitConverter.DoubleToInt64Bits(a[i]), $"{what}[{i}]: composed {e[i]:R}, fused {a[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AxpbyIsBitwiseTheComposition(int n, bool float32)
    {
        var x = Random(n, float32, 1, -3, 3);
        var y = Random(n, float32, 2, -3, 3);
        BitwiseEqual(x * 0.9 + y * 0.1, Tensor.Axpby(0.9, x, 0.1, y), "Axpby");
        BitwiseEqual(x - y * 0.01, Tensor.Axpby(1, x, -0.01, y), "Axpby as an SGD step");
        BitwiseEqual(x * 0.999 + y * y * (1 - 0.999), Tensor.AxpbySquare(0.999, x, 1 - 0.999, y), "AxpbySquare");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AdaptiveStepIsBitwiseTheComposition(int n, bool float32)
    {
        var x = Random(n, float32, 3, -3, 3);
        var y = Random(n, float32, 4, -3, 3);
        var z = Random(n, float32, 5, 0, 4);
        double alpha = 1e-3 / (1 - 0.9), gamma = Math.Sqrt(1 - 0.999), eps = 1e-8;
        BitwiseEqual(x - y * alpha / (z.Sqrt() / gamma + eps), Tensor.AdaptiveStep(x, alpha, y, z, gamma, eps), "AdaptiveStep");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ActivationGradsAreBitwiseTheComposition(int n, bool float32)
    {
        var y = Random(n, float32, 6, -0.2, 1.2); // a little outside (0, 1) and (−1, 1): the formulas, not just the ranges
        var x = Random(n, float32, 7, -3, 3);
        var g = Random(n, float32, 8, -3, 3);
        BitwiseEqual(g * (y * (1.0 - y)), ActivationGradPrimitive.Apply(ActivationGradKind.Sigmoid, y, g, default), "SigmoidGrad");
        BitwiseEqual(g * (1.0 - y * y), ActivationGradPrimitive.Apply(ActivationGradKind.Tanh, y, g, default), "TanhGrad");
        BitwiseEqual(g * x.Greater(0.0), ActivationGradPrimitive.Apply(ActivationGradKind.Relu, x, g, default), "ReluGrad");
    }

    [Fact]
    public void ReluGradKeepsNaNAndInfinityWhereTheMaskIsZero()
    {
        // g·0 is NaN for an infinite or NaN g: the fused rule must not turn it into a silent 0.
        var x = Tensor.FromArray(new[] { -1f, -1f, 2f, float.NaN });
        var g = Tensor.FromArray(new[] { float.PositiveInfinity, float.NaN, 3f, 1f });
        BitwiseEqual(g * x.Greater(0.0), ActivationGradPrimitive.Apply(ActivationGradKind.Relu, x, g, default), "ReluGrad");
    }

    [Fact]
    public void ActivationVjpsAreBitwiseTheComposedRules()
    {
        var x = Random(1000, true, 9, -3, 3);
        var g = Random(1000, true, 10, -3, 3);
        var (sigmoid, sigmoidVjp) = Transforms.Vjp((Tensor t) => t.Sigmoid(), x);
        var (tanh, tanhVjp) = Transforms.Vjp((Tensor t) => t.Tanh(), x);
        var (_, reluVjp) = Transforms.Vjp((Tensor t) => t.Relu(), x);
        BitwiseEqual(g * (sigmoid * (1.0 - sigmoid)), sigmoidVjp(g), "Sigmoid VJP");
        BitwiseEqual(g * (1.0 - tanh * tanh), tanhVjp(g), "Tanh VJP");
        BitwiseEqual(g * x.Greater(0.0), reluVjp(g), "Relu VJP");
    }
}
