using AutoGrad.Backends;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// Each implemented kernel of the ILGPU backend, on the device under test (ILGPU's CPU accelerator unless AUTOGRAD_GPU_TEST_DEVICE names a GPU), against the CPU backend at small odd shapes:
/// bitwise where the arithmetic is exact, within the tolerances of docs/gpu.md for transcendental functions.
/// </summary>
public sealed class KernelConformanceTests
{
    /// <summary>Relative tolerance of transcendental kernels (docs/gpu.md): a few float32 ulps, a few float64 ulps.</summary>
    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-6 : 1e-14;

    public static TheoryData<DType> AllTypes => new() { DType.Float32, DType.Float64, DType.Int32 };

    public static TheoryData<DType> FloatTypes => new() { DType.Float32, DType.Float64 };

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void FromArrayToArrayCopyFromHostAndGetElement_RoundTripBitwise(DType dtype)
    {
        var data = Of(dtype, Values(13));
        var s = Ilgpu.FromArray(data);
        Bitwise(data, Ilgpu.ToArray(s), "FromArray/ToArray");
        Assert.Equal(Convert.ToDouble(data.GetValue(5)), Ilgpu.GetElement(s, 5));

        var other = Of(dtype, Values(13, seed: 8));
        switch (other)
        {
            case float[] f: Ilgpu.CopyFromHost<float>(f, s); break;
            case double[] d: Ilgpu.CopyFromHost<double>(d, s); break;
            case int[] i: Ilgpu.CopyFromHost<int>(i, s); break;
        }

        Bitwise(other, Ilgpu.ToArray(s), "CopyFromHost");
        s.Release();
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void AllocateClearedAndFill_MatchCpu(DType dtype)
    {
        var (cpu, gpu) = Both(b => b.ToArray(b.Allocate(dtype, 11)));
        Bitwise(cpu, gpu, "Allocate(clear)");
        (cpu, gpu) = Both(b =>
        {
            var s = b.Allocate(dtype, 11, clear: false);
            b.Fill(s, -2.5 * (dtype == DType.Int32 ? 0 : 1) + 3);
            return b.ToArray(s);
        });
        Bitwise(cpu, gpu, "Fill");
    }

    [Theory]
    [InlineData(DType.Float32, DType.Float64)]
    [InlineData(DType.Float64, DType.Float32)]
    [InlineData(DType.Int32, DType.Float32)]
    [InlineData(DType.Int32, DType.Float64)]
    [InlineData(DType.Float32, DType.Int32)]
    [InlineData(DType.Float64, DType.Int32)]
    [InlineData(DType.Float32, DType.Float32)]
    public void Cast_MatchesCpuBitwise(DType from, DType to)
    {
        var values = Values(17, scale: 1e5).Select((v, i) => i % 2 == 0 ? v : v / 7.0).ToArray();
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(to, 17, clear: false);
            b.Cast(b.FromArray(Of(from, values)), y);
            return b.ToArray(y);
        });
        Bitwise(cpu, gpu, $"Cast {from}→{to}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void CastToInt32_ReportsTheFirstValueWithNoInt32(DType from)
    {
        var values = new[] { 1.5, 2.0, 3e10, double.NaN, -7.9, double.PositiveInfinity };
        var x = Ilgpu.FromArray(Of(from, values));
        var e = Assert.Throws<CastRangeException>(() => Ilgpu.Cast(x, Ilgpu.Allocate(DType.Int32, values.Length, clear: false)));
        Assert.Equal(2, e.Position);
        Assert.Equal(from == DType.Float32 ? (double)(float)3e10 : 3e10, e.Value);

        // The flag is reset for the next cast.
        var ok = Ilgpu.Allocate(DType.Int32, 2, clear: false);
        Ilgpu.Cast(Ilgpu.FromArray(Of(from, [1.9, -1.9])), ok);
        Assert.Equal(new[] { 1, -1 }, (int[])Ilgpu.ToArray(ok));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void StridedCopy_PermuteBroadcastAndOffsets_MatchCpuBitwise(DType dtype)
    {
        // A [3, 5, 2] view of a 40-element buffer from offset 4, permuted, with a broadcast axis, into a wider destination.
        var src = Of(dtype, Values(40));
        int[] shape = [3, 5, 2];
        int[] srcStrides = [1, 6, 0]; // permuted and broadcast
        int[] dstStrides = [12, 2, 1];
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, 40);
            b.StridedCopy(b.FromArray(src), 4, srcStrides, y, 3, dstStrides, shape);
            return b.ToArray(y);
        });
        Bitwise(cpu, gpu, "StridedCopy");
    }

    [Fact]
    public void StridedCopy_OverEightUnmergeableAxes_IsNotSupported()
    {
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        int[] strides = [512, 128, 32, 8, 2, 1024, 2048, 4096, 1]; // with src below, no two neighbouring axes merge
        int[] src = [1, 4, 16, 64, 256, 1024, 2, 8, 32];
        var x = Ilgpu.Allocate(DType.Float32, 8192);
        var y = Ilgpu.Allocate(DType.Float32, 8192);
        var e = Assert.Throws<NotSupportedException>(() => Ilgpu.StridedCopy(x, 0, src, y, 0, strides, shape));
        Assert.Contains("StridedCopy", e.Message);
    }

    public static TheoryData<string, DType> UnaryCases()
    {
        var data = new TheoryData<string, DType>();
        foreach (var k in Enum.GetValues<UnaryKernel>())
        {
            data.Add(k.ToString(), DType.Float32);
            data.Add(k.ToString(), DType.Float64);
        }

        return data;
    }

    private static readonly HashSet<UnaryKernel> ExactUnary =
        [UnaryKernel.Neg, UnaryKernel.Abs, UnaryKernel.Sign, UnaryKernel.Relu, UnaryKernel.LeakyRelu, UnaryKernel.Clamp, UnaryKernel.Sqrt];

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void Unary_EveryKernel_MatchesCpu(string name, DType dtype)
    {
        var kernel = Enum.Parse<UnaryKernel>(name);
        var values = Values(23, seed: 3);
        if (kernel is UnaryKernel.Log or UnaryKernel.Sqrt or UnaryKernel.PowScalar)
        {
            values = values.Select(v => Math.Abs(v) + 0.25).ToArray();
        }

        double p0 = kernel switch { UnaryKernel.PowScalar => 1.7, UnaryKernel.Clamp => -1.0, _ => 0.3 }, p1 = 1.25;
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, values.Length, clear: false);
            b.Unary(kernel, p0, p1, b.FromArray(Of(dtype, values)), y);
            return b.ToArray(y);
        });
        if (ExactUnary.Contains(kernel))
        {
            Bitwise(cpu, gpu, $"{kernel} {dtype.Name()}");
        }
        else
        {
            Close(cpu, gpu, Tolerance(dtype), $"{kernel} {dtype.Name()}");
        }
    }

    public static TheoryData<string, DType> BinaryCases()
    {
        var data = new TheoryData<string, DType>();
        foreach (var k in Enum.GetValues<BinaryKernel>())
        {
            data.Add(k.ToString(), DType.Float32);
            data.Add(k.ToString(), DType.Float64);
        }

        return data;
    }

    private static double[] BinaryOperand(BinaryKernel kernel, int n, int seed)
    {
        var v = Values(n, seed);
        if (kernel == BinaryKernel.Pow)
        {
            return v.Select(x => Math.Abs(x) + 0.5).ToArray();
        }

        // Ties and signed zeros, where max/min and comparisons must agree exactly.
        v[0] = 1.0;
        v[1] = seed % 2 == 0 ? 0.0 : -0.0;
        return v;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void Binary_BroadcastStrides_MatchesCpu(string name, DType dtype)
    {
        var kernel = Enum.Parse<BinaryKernel>(name);
        // a [3, 1, 5] against b [1, 4, 5] gives y [3, 4, 5].
        var a = BinaryOperand(kernel, 15, 4);
        var b = BinaryOperand(kernel, 20, 5);
        int[] shape = [3, 4, 5];
        var (cpu, gpu) = Both(be =>
        {
            var y = be.Allocate(dtype, 60, clear: false);
            be.Binary(kernel, be.FromArray(Of(dtype, a)), [5, 0, 1], be.FromArray(Of(dtype, b)), [0, 5, 1], y, shape);
            return be.ToArray(y);
        });
        Check(kernel, dtype, cpu, gpu, "Binary");
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryFlat_SameShapesAndScalars_MatchesCpu(string name, DType dtype)
    {
        var kernel = Enum.Parse<BinaryKernel>(name);
        var a = BinaryOperand(kernel, 19, 6);
        var b = BinaryOperand(kernel, 19, 7);
        foreach (var (aScalar, bScalar) in new[] { (false, false), (true, false), (false, true) })
        {
            var (cpu, gpu) = Both(be =>
            {
                var y = be.Allocate(dtype, 19, clear: false);
                be.BinaryFlat(kernel, be.FromArray(Of(dtype, a)), aScalar, be.FromArray(Of(dtype, b)), bScalar, y);
                return be.ToArray(y);
            });
            Check(kernel, dtype, cpu, gpu, $"BinaryFlat (scalar a: {aScalar}, b: {bScalar})");
        }
    }

    private static void Check(BinaryKernel kernel, DType dtype, Array cpu, Array gpu, string what)
    {
        if (kernel == BinaryKernel.Pow)
        {
            Close(cpu, gpu, Tolerance(dtype), $"{what} {kernel} {dtype.Name()}");
        }
        else
        {
            Bitwise(cpu, gpu, $"{what} {kernel} {dtype.Name()}");
        }
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Where_BroadcastStrides_MatchesCpuBitwise(DType dtype)
    {
        var cond = Values(7, seed: 9).Select(v => v > 0 ? 1.0 : 0.0).ToArray(); // [7, 1]
        var a = Values(7 * 3, seed: 10); // [7, 3]
        var b = Values(3, seed: 11); // [1, 3]
        var (cpu, gpu) = Both(be =>
        {
            var y = be.Allocate(dtype, 21, clear: false);
            be.Where(be.FromArray(Of(dtype, cond)), [1, 0], be.FromArray(Of(dtype, a)), [3, 1], be.FromArray(Of(dtype, b)), [0, 1], y, [7, 3]);
            return be.ToArray(y);
        });
        Bitwise(cpu, gpu, "Where");
    }

    [Theory]
    [InlineData("Sum", 3, 7, 5)]
    [InlineData("Sum", 5, 9, 1)]
    [InlineData("Max", 3, 7, 5)]
    [InlineData("Max", 5, 9, 1)]
    [InlineData("Min", 3, 7, 5)]
    [InlineData("Min", 2, 1, 3)]
    public void Reduce_InTheSameOrder_MatchesCpuBitwise(string name, int outer, int n, int inner)
    {
        var kernel = Enum.Parse<ReduceKernel>(name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Values(outer * n * inner, seed: 12).Select(v => v / 3.0).ToArray();
            var (cpu, gpu) = Both(be =>
            {
                var y = be.Allocate(dtype, outer * inner, clear: false);
                be.Reduce(kernel, be.FromArray(Of(dtype, x)), outer, n, inner, y);
                return be.ToArray(y);
            });
            Bitwise(cpu, gpu, $"{kernel} over ({outer}, {n}, {inner}) {dtype.Name()}");
        }
    }

    [Theory]
    [InlineData("ArgMax")]
    [InlineData("ArgMin")]
    public void ArgReduce_TiesAndNaN_MatchCpu(string name)
    {
        var kernel = Enum.Parse<ArgReduceKernel>(name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            // (2, 5, 3) with ties (first wins) and a NaN in one column (the NaN wins).
            var x = Values(30, seed: 13).Select(v => Math.Round(v)).ToArray();
            x[7] = double.NaN;
            var (cpu, gpu) = Both(be =>
            {
                var y = be.Allocate(DType.Int32, 6, clear: false);
                be.ArgReduce(kernel, be.FromArray(Of(dtype, x)), 2, 5, 3, y);
                return be.ToArray(y);
            });
            Bitwise(cpu, gpu, $"{kernel} {dtype.Name()}");
        }
    }
}
