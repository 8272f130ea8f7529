using AutoGrad.Backends;
using AutoGrad.Gpu.Kernels;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// Gather, ScatterAdd, OneHot and softmax cross-entropy on the ILGPU backend against the CPU backend: bitwise for the
/// indexed copies and sums, within the transcendental tolerance for cross-entropy; bad indices as IndexRangeException.
/// </summary>
public sealed class IndexingKernelTests
{
    public static TheoryData<DType> AllTypes => new() { DType.Float32, DType.Float64, DType.Int32 };

    public static TheoryData<DType> FloatTypes => new() { DType.Float32, DType.Float64 };

    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-6 : 1e-14;

    /// <summary>Indices in [0, n) for an (outer, m, inner) index tensor, with repeats.</summary>
    private static int[] Indices(int count, int n, int seed) => Values(count, seed).Select(v => (int)Math.Abs(v * 1000) % n).ToArray();

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Gather_MatchesCpuBitwise(DType dtype)
    {
        const int outer = 3, n = 5, m = 7, inner = 2;
        var x = Values(outer * n * inner, seed: 31);
        var idx = Indices(outer * m * inner, n, 32);
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, outer * m * inner, clear: false);
            b.Gather(b.FromArray(Of(dtype, x)), b.FromArray(idx), outer, n, m, inner, y);
            return b.ToArray(y);
        });
        Bitwise(cpu, gpu, $"Gather {dtype.Name()}");
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void ScatterAdd_RepeatedIndices_AddInTheCpusOrderBitwise(DType dtype)
    {
        // Many indices hit the same rows, with values of mixed magnitudes, so the order of additions shows in the bits.
        const int outer = 2, n = 3, m = 11, inner = 3;
        var g = Values(outer * m * inner, seed: 33).Select((v, i) => i % 3 == 0 ? v * 1e7 : v / 7.0).ToArray();
        var idx = Indices(outer * m * inner, n, 34);
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, outer * n * inner);
            b.ScatterAdd(b.FromArray(Of(dtype, g)), b.FromArray(idx), outer, n, m, inner, y);
            return b.ToArray(y);
        });
        Bitwise(cpu, gpu, $"ScatterAdd {dtype.Name()}");
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void OneHot_MatchesCpuBitwise(DType dtype)
    {
        var labels = Indices(9, 4, 35);
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, 9 * 4);
            b.OneHot(b.FromArray(labels), 4, y);
            return b.ToArray(y);
        });
        Bitwise(cpu, gpu, $"OneHot {dtype.Name()}");
    }

    [Fact]
    public void IndexKernels_ReportTheFirstBadPosition_AsTheCpuDoes()
    {
        int[] idx = [0, 1, 4, 2, -1, 9]; // n = 3: positions 2, 4 and 5 are bad, 2 first
        void Expect(Action<IBackend> run, int index, int position, int limit)
        {
            foreach (var b in new[] { Cpu, (IBackend)Ilgpu })
            {
                var e = Assert.Throws<IndexRangeException>(() => run(b));
                Assert.Equal((index, position, limit), (e.Index, e.Position, e.Limit));
            }
        }

        Expect(b => b.Gather(b.FromArray(new float[3]), b.FromArray(idx), 1, 3, 6, 1, b.Allocate(DType.Float32, 6)), 4, 2, 3);
        Expect(b => b.ScatterAdd(b.FromArray(new float[6]), b.FromArray(idx), 1, 3, 6, 1, b.Allocate(DType.Float32, 3)), 4, 2, 3);
        Expect(b => b.OneHot(b.FromArray(idx), 3, b.Allocate(DType.Float32, 18)), 4, 2, 3);
        Expect(b => b.SoftmaxCrossEntropy(b.FromArray(new float[18]), b.FromArray(idx), 6, 3, b.Allocate(DType.Float32, 6)), 4, 2, 3);
        Expect(b => b.SoftmaxCrossEntropyGrad(b.FromArray(new double[18]), b.FromArray(idx), b.FromArray(new double[6]), 6, 3, b.Allocate(DType.Float64, 18)), 4, 2, 3);

        // The flag is reset for the next call.
        var y = Ilgpu.Allocate(DType.Float32, 2);
        Ilgpu.Gather(Ilgpu.FromArray(new[] { 5f, 6f }), Ilgpu.FromArray(new[] { 1, 0 }), 1, 2, 2, 1, y);
        Assert.Equal(new[] { 6f, 5f }, (float[])Ilgpu.ToArray(y));
    }

    /// <summary>Logits [rows, classes] with a row holding a NaN, a row of −∞ and a row with +∞ among finite values.</summary>
    private static double[] Logits(int rows, int classes)
    {
        var z = Values(rows * classes, seed: 36, scale: 8.0);
        z[1 * classes + 2] = double.NaN;
        for (int j = 0; j < classes; j++)
        {
            z[2 * classes + j] = double.NegativeInfinity;
        }

        z[3 * classes + 1] = double.PositiveInfinity;
        return z;
    }

    [Theory]
    [InlineData(DType.Float32, 5)]
    [InlineData(DType.Float64, 5)]
    [InlineData(DType.Float32, 67)]
    [InlineData(DType.Float64, 67)]
    [InlineData(DType.Float32, 3001)] // wide rows: a group per row
    [InlineData(DType.Float64, 3001)]
    public void SoftmaxCrossEntropy_MatchesCpuWithinTolerance(DType dtype, int classes)
    {
        const int rows = 6;
        var z = Logits(rows, classes);
        var labels = Indices(rows, classes, 37);
        long grouped = Ilgpu.GroupedLaunches;
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, rows, clear: false);
            b.SoftmaxCrossEntropy(b.FromArray(Of(dtype, z)), b.FromArray(labels), rows, classes, y);
            return b.ToArray(y);
        });
        Assert.Equal(grouped + (classes >= ReducePlan.MinLength ? 1 : 0), Ilgpu.GroupedLaunches);
        Close(cpu, gpu, Tolerance(dtype), $"SoftmaxCrossEntropy {dtype.Name()} ({classes} classes)");
    }

    [Theory]
    [InlineData(DType.Float32, 5)]
    [InlineData(DType.Float64, 5)]
    [InlineData(DType.Float32, 67)]
    [InlineData(DType.Float64, 67)]
    [InlineData(DType.Float32, 3001)] // wide rows: a group per row
    [InlineData(DType.Float64, 3001)]
    public void SoftmaxCrossEntropyGrad_MatchesCpuWithinTolerance(DType dtype, int classes)
    {
        const int rows = 6;
        var z = Logits(rows, classes);
        var labels = Indices(rows, classes, 38);
        var c = Values(rows, seed: 39);
        long grouped = Ilgpu.GroupedLaunches;
        var (cpu, gpu) = Both(b =>
        {
            var y = b.Allocate(dtype, rows * classes, clear: false);
            b.SoftmaxCrossEntropyGrad(b.FromArray(Of(dtype, z)), b.FromArray(labels), b.FromArray(Of(dtype, c)), rows, classes, y);
            return b.ToArray(y);
        });
        Assert.Equal(grouped + (classes >= ReducePlan.MinLength ? 1 : 0), Ilgpu.GroupedLaunches);
        Close(cpu, gpu, Tolerance(dtype), $"SoftmaxCrossEntropyGrad {dtype.Name()} ({classes} classes)");
    }
}
