using AutoGrad.Backends;
using AutoGrad.Backends.Cpu;
using Xunit;

namespace AutoGrad.Tests.Backends;

/// <summary>
/// Sums over a middle axis, split across the cores by columns when large, must be bitwise the plain sequential
/// sum (acc + x, row after row) at any size: vector tails, odd column counts, several outer blocks.
/// </summary>
public class ReduceKernelTests
{
    [Theory]
    [InlineData(1, 512, 512)]   // the bias gradient at batch 512
    [InlineData(1, 300, 257)]   // an odd column count across the split
    [InlineData(3, 100, 333)]   // several outer blocks
    [InlineData(1, 7, 10_007)]  // few rows, many columns
    [InlineData(1, 70_001, 1)]  // one long column: a single sum, not split by columns
    [InlineData(2, 5, 7)]       // small: on the calling thread
    [InlineData(1, 3, 80)]      // register blocks of four vectors, then single vectors, on the calling thread
    [InlineData(2, 0, 40)]      // an empty axis: zeros
    public void SumsOverTheMiddleAxisAreBitwiseTheSequentialSums(int outer, int n, int inner)
    {
        foreach (bool f32 in new[] { true, false })
        {
            var rng = new Generator((ulong)(outer * 31 + n * 7 + inner));
            var values = Enumerable.Range(0, outer * n * inner).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
            var x = CpuBackend.Instance.FromArray(f32 ? values.Select(v => (float)v).ToArray() : values);
            var y = CpuBackend.Instance.Allocate(x.DType, outer * inner, clear: false);
            CpuBackend.Instance.Reduce(ReduceKernel.Sum, x, outer, n, inner, y);
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    double expected;
                    if (inner == 1)
                    {
                        // A whole row is one reduction with its own (vectorized, fixed-order) association: checked by value.
                        expected = Enumerable.Range(0, n).Sum(j => values[o * n + j]);
                        Assert.Equal(expected, CpuBackend.Instance.GetElement(y, o), f32 ? 1e-2 : 1e-9);
                        continue;
                    }

                    float accF = 0;
                    double accD = 0;
                    for (int j = 0; j < n; j++)
                    {
                        double v = values[(o * n + j) * inner + i];
                        accF += (float)v;
                        accD += v;
                    }

                    expected = f32 ? accF : accD;
                    double actual = CpuBackend.Instance.GetElement(y, o * inner + i);
                    Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"[{o}, {i}] of ({outer}, {n}, {inner}), {(f32 ? "float32" : "float64")}: sequential {expected:R}, kernel {actual:R}");
                }
            }
        }
    }
}
