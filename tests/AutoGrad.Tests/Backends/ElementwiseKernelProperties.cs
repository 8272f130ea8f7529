using AutoGrad.Backends;
using AutoGrad.Backends.Cpu;
using AutoGrad.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AutoGrad.Tests.Backends;

/// <summary>
/// The CPU elementwise kernels (vectorized spans, parallel halves above 64k elements) against the scalar
/// formulas of <see cref="ScalarMath"/>, element by element: odd sizes that leave vector tails, broadcast rows
/// that start at unaligned offsets, and sizes that cross the parallel threshold.
/// </summary>
public class ElementwiseKernelProperties
{
    private static readonly int[] Sizes = [1, 7, 33, 1000, 70_001];

    private static double[] Inputs(int n, int seed, bool positive)
    {
        var rng = new Generator((ulong)seed);
        return Enumerable.Range(0, n).Select(_ => positive ? 0.05 + 3 * rng.NextDouble() : 6 * rng.NextDouble() - 3).ToArray();
    }

    /// <summary>Every <paramref name="every"/>-th value (from a seed-dependent start) becomes NaN, ±0 or ±∞: the vector compares must treat them as the scalar ones do.</summary>
    private static double[] WithSpecials(double[] values, int every, int seed)
    {
        double[] specials = [double.NaN, -0.0, 0.0, double.PositiveInfinity, double.NegativeInfinity, 1.0];
        for (int i = seed % every, k = seed; i < values.Length; i += every, k++)
        {
            values[i] = specials[k % specials.Length];
        }

        return values;
    }

    private static void Close(double expected, double actual, bool float32, string what)
    {
        double tolerance = (float32 ? 2e-6 : 1e-13) * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance || expected.Equals(actual), $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Property(MaxTest = 120)]
    public Property UnaryKernelsMatchTheScalarFormulas() =>
        Prop.ForAll(
            Arb.From(from kernel in Gen.Elements(Enum.GetValues<UnaryKernel>())
                     from n in Gen.Elements(Sizes)
                     from f32 in Gen.Elements(true, false)
                     from seed in Gen.Choose(0, 100_000)
                     select (kernel, n, f32, seed)),
            c =>
            {
                var (kernel, n, f32, seed) = c;
                bool positive = kernel is UnaryKernel.Log or UnaryKernel.Sqrt or UnaryKernel.PowScalar;
                double p0 = kernel switch { UnaryKernel.PowScalar => 1.5, UnaryKernel.Clamp => -1, UnaryKernel.LeakyRelu => 0.1, _ => 1 };
                double p1 = kernel == UnaryKernel.Clamp ? 2 : 0;
                var x = Inputs(n, seed, positive);
                var xs = CpuBackend.Instance.FromArray(f32 ? x.Select(v => (float)v).ToArray() : x);
                var ys = CpuBackend.Instance.Allocate(xs.DType, n, clear: false);
                CpuBackend.Instance.Unary(kernel, p0, p1, xs, ys);
                for (int i = 0; i < n; i++)
                {
                    double input = CpuBackend.Instance.GetElement(xs, i);
                    Close(ScalarMath.Unary(kernel, input, p0, p1), CpuBackend.Instance.GetElement(ys, i), f32, $"{kernel} of {input:R} at {i} of {n}");
                }

                PropertyLedger.Record(nameof(UnaryKernelsMatchTheScalarFormulas));
            });

    [Property(MaxTest = 120)]
    public Property BinaryKernelsMatchTheScalarFormulasUnderBroadcasting() =>
        Prop.ForAll(
            Arb.From(from kernel in Gen.Elements(Enum.GetValues<BinaryKernel>().Where(k => k != BinaryKernel.Pow).ToArray())
                     from n in Gen.Elements(Sizes)
                     from rows in n > 1000 ? Gen.Elements(1, 3) : Gen.Elements(1, 3, 100) // 100 rows of 1000: the parallel split by rows
                     from layout in Gen.Choose(0, 4)
                     from f32 in Gen.Elements(true, false)
                     from seed in Gen.Choose(0, 100_000)
                     select (kernel, n, rows, layout, f32, seed)),
            c =>
            {
                var (kernel, n, rows, layout, f32, seed) = c;

                // Shapes of a and b for the output [rows, n]: equal; a row vector; a column; a scalar on either side.
                int[] shape = [rows, n];
                int[] aShape = layout == 4 ? [] : [rows, n];
                int[] bShape = layout switch { 0 => [rows, n], 1 => [n], 2 => [rows, 1], 3 => [], _ => [rows, n] };
                var a = WithSpecials(Inputs(aShape.Aggregate(1, (p, d) => p * d), seed, positive: false), 11, seed);
                var b = WithSpecials(Inputs(bShape.Aggregate(1, (p, d) => p * d), seed + 1, positive: true), 13, seed + 1);
                TensorStorage Store(double[] v) => CpuBackend.Instance.FromArray(f32 ? v.Select(e => (float)e).ToArray() : v);
                var (sa, sb) = (Store(a), Store(b));
                var y = CpuBackend.Instance.Allocate(sa.DType, rows * n, clear: false);
                int[] aStrides = AutoGrad.Ops.BinaryPrimitive.BroadcastStrides(aShape, shape), bStrides = AutoGrad.Ops.BinaryPrimitive.BroadcastStrides(bShape, shape);
                CpuBackend.Instance.Binary(kernel, sa, aStrides, sb, bStrides, y, shape);
                if (layout is 0 or 3 or 4)
                {
                    // Same shapes or a scalar side: the stride-free kernel must give the very same bits.
                    var flat = CpuBackend.Instance.Allocate(sa.DType, rows * n, clear: false);
                    CpuBackend.Instance.BinaryFlat(kernel, sa, layout == 4, sb, layout == 3, flat);
                    for (int i = 0; i < rows * n; i++)
                    {
                        double strided = CpuBackend.Instance.GetElement(y, i), direct = CpuBackend.Instance.GetElement(flat, i);
                        Assert.True(BitConverter.DoubleToInt64Bits(strided) == BitConverter.DoubleToInt64Bits(direct) || (double.IsNaN(strided) && double.IsNaN(direct)),
                            $"{kernel} layout {layout} at {i} of [{rows}, {n}]: strided {strided:R}, flat {direct:R}");
                    }
                }

                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double av = CpuBackend.Instance.GetElement(sa, r * aStrides[0] + j * aStrides[1]);
                        double bv = CpuBackend.Instance.GetElement(sb, r * bStrides[0] + j * bStrides[1]);
                        double expected = kernel switch
                        {
                            BinaryKernel.Add => av + bv,
                            BinaryKernel.Sub => av - bv,
                            BinaryKernel.Mul => av * bv,
                            BinaryKernel.Div => av / bv,
                            _ => ScalarMath.Binary(kernel, av, bv),
                        };
                        if (f32)
                        {
                            expected = kernel switch { BinaryKernel.Add => (float)av + (float)bv, BinaryKernel.Sub => (float)av - (float)bv, BinaryKernel.Mul => (float)av * (float)bv, BinaryKernel.Div => (float)av / (float)bv, _ => expected };
                        }

                        double actual = CpuBackend.Instance.GetElement(y, r * n + j);
                        Close(expected, actual, f32, $"{kernel}({av:R}, {bv:R}) layout {layout} at [{r}, {j}] of [{rows}, {n}]");
                        if (kernel is BinaryKernel.Maximum or BinaryKernel.Minimum && expected == 0)
                        {
                            Assert.True(double.IsNegative(expected) == double.IsNegative(actual), $"{kernel}({av:R}, {bv:R}): expected {expected:R}, got {actual:R}");
                        }
                    }
                }

                PropertyLedger.Record(nameof(BinaryKernelsMatchTheScalarFormulasUnderBroadcasting));
            });
}
