using AutoGrad.Tests.Support;
using Xunit;

namespace AutoGrad.Tests.Backends;

/// <summary>
/// The fused optimizer kernels promise the very bits of the compositions they replace (so switching an
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
}
