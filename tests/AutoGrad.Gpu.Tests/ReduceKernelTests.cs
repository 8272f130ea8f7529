using AutoGrad.Backends;
using AutoGrad.Gpu.Kernels;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// The grouped reductions (<see cref="ReducePlan"/>): long reductions with few outputs, against the CPU backend. Sums
/// within docs/gpu.md's reassociation tolerance of the largest possible sum (bitwise for integer-valued data, where every
/// order is exact); max, min, argmax and argmin bitwise, with NaN, −0/+0 and ties placed where the tree meets them in
/// the opposite order to the index order; the same call twice gives the same bits.
/// </summary>
public sealed class ReduceKernelTests
{
    /// <summary>Reassociation tolerance of sums (docs/gpu.md), relative to the largest possible sum Σ|x|.</summary>
    private static double SumTolerance(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-13;

    public static TheoryData<int, int, int> GroupedShapes => new()
    {
        { 1, 10_000, 1 },  // a full reduction (two passes: chunks, then their partials)
        { 1, 100_003, 1 }, // a longer one, of odd length (a short last chunk, threads past its end)
        { 3, 50_000, 1 },  // a few long rows
        { 2, 5_000, 3 },   // a leading axis with few columns (inner > 1, 6 outputs)
    };

    [Theory]
    [MemberData(nameof(GroupedShapes))]
    public void Sum_LongReductions_WithinTheReassociationToleranceOfTheCpu(int outer, int n, int inner)
    {
        Assert.True(Ilgpu.PlanReduce(outer, n, inner).Grouped);
        var x = Values(outer * n * inner, seed: 31).Select(v => v / 3.0).ToArray();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (cpu, gpu) = Both(be => Reduce(be, ReduceKernel.Sum, dtype, x, outer, n, inner));
            for (int t = 0; t < outer * inner; t++)
            {
                int o = t / inner, i = t % inner;
                double bound = 0;
                for (int j = 0; j < n; j++)
                {
                    bound += Math.Abs(x[((o * n) + j) * inner + i]);
                }

                double e = Convert.ToDouble(cpu.GetValue(t)), a = Convert.ToDouble(gpu.GetValue(t));
                Assert.True(
                    Math.Abs(e - a) <= SumTolerance(dtype) * bound,
                    $"sum {t} over ({outer}, {n}, {inner}) {dtype.Name()}: {a:R} on the ILGPU backend, {e:R} on the CPU (Σ|x| = {bound})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GroupedShapes))]
    public void Sum_IntegerValued_IsExactInEveryOrder_SoBitwiseTheCpu(int outer, int n, int inner)
    {
        // Every partial sum is an integer far below 2^24: exact in any order, so a lost or doubled partial shows.
        var x = Values(outer * n * inner, seed: 32).Select(v => Math.Round(v)).ToArray();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (cpu, gpu) = Both(be => Reduce(be, ReduceKernel.Sum, dtype, x, outer, n, inner));
            Bitwise(cpu, gpu, $"sum over ({outer}, {n}, {inner}) {dtype.Name()}");
        }
    }

    [Theory]
    [MemberData(nameof(GroupedShapes))]
    public void MaxMinArgMaxArgMin_LongReductions_MatchCpuBitwise(int outer, int n, int inner)
    {
        // Few distinct values: many ties, spread over threads and chunks.
        var x = Values(outer * n * inner, seed: 33).Select(v => Math.Round(v * 2) / 2).ToArray();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (var kernel in new[] { ReduceKernel.Max, ReduceKernel.Min })
            {
                var (cpu, gpu) = Both(be => Reduce(be, kernel, dtype, x, outer, n, inner));
                Bitwise(cpu, gpu, $"{kernel} over ({outer}, {n}, {inner}) {dtype.Name()}");
            }

            foreach (var kernel in new[] { ArgReduceKernel.ArgMax, ArgReduceKernel.ArgMin })
            {
                var (cpu, gpu) = Both(be => ArgReduce(be, kernel, dtype, x, outer, n, inner));
                Bitwise(cpu, gpu, $"{kernel} over ({outer}, {n}, {inner}) {dtype.Name()}");
            }
        }
    }

    /// <summary>
    /// One row of 100,003 where the tree meets each special value after a later one: a group's thread 0 holds index
    /// 16·r (a later round) and thread 1 index 1, so combining left before right would keep the later; in the second
    /// pass the same holds for chunks 16 and 1.
    /// </summary>
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void NaNSignedZerosAndTies_InTheTreeOrder_KeepTheCpuRules(DType dtype)
    {
        const int n = 100_003;
        var plan = Ilgpu.PlanReduce(1, n, 1);
        Assert.True(plan.Grouped && plan.Chunks > 16, $"{plan}");
        int chunk1 = plan.ChunkLength, chunk16 = 16 * plan.ChunkLength;

        // Ties of the maximum (7) and the minimum (−7): first in chunk 1, again earlier in thread order in chunk 16.
        var x = Values(n, seed: 34);
        x[chunk16] = 7;
        x[chunk1 + 1] = 7;
        x[chunk16 + 2] = -7;
        x[chunk1 + 3] = -7;
        Check(x, "ties");

        // Zeros of both signs as the extreme: max is +0 and min −0 whichever the tree meets first; argmax and argmin
        // the first zero of either sign (they tie), here the one that Math.Max/Min would not pick.
        var zeros = new double[n];
        Array.Fill(zeros, -1.0);
        zeros[chunk1 + 1] = -0.0;
        zeros[chunk16] = 0.0;
        Check(zeros, "signed zeros");
        Array.Fill(zeros, 1.0);
        zeros[chunk1 + 1] = 0.0;
        zeros[chunk16] = -0.0;
        Check(zeros, "signed zeros");

        // NaNs: the first wins (its index in the arg-reductions). NaN at index 16 (thread 0 of chunk 0) and 1 (thread 1),
        // then at chunk 1 and chunk 16.
        x = Values(n, seed: 35);
        x[16] = double.NaN;
        x[1] = double.NaN;
        x[chunk16 + 7] = double.NaN;
        Check(x, "NaN in one group");
        x[16] = x[1] = 0.5;
        x[chunk1 + 9] = double.NaN;
        Check(x, "NaN in two chunks");

        // Which payload of several NaNs max and min keep is not fixed on the CPU (its optimized Math.Max returned the
        // default NaN here); the device keeps the first NaN's, as its thread-per-output kernels (Ieee.Max) do. Checked
        // in float64, where no conversion can touch a payload.
        if (dtype == DType.Float64)
        {
            x[chunk1 + 9] = BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_2000_0000UL));
            foreach (var kernel in new[] { ReduceKernel.Max, ReduceKernel.Min })
            {
                double got = ((double[])Reduce(Ilgpu, kernel, dtype, x, 1, n, 1))[0];
                Assert.Equal(BitConverter.DoubleToInt64Bits(x[chunk1 + 9]), BitConverter.DoubleToInt64Bits(got));
            }
        }

        void Check(double[] values, string what)
        {
            foreach (var kernel in new[] { ReduceKernel.Max, ReduceKernel.Min })
            {
                var (cpu, gpu) = Both(be => Reduce(be, kernel, dtype, values, 1, n, 1));
                Bitwise(cpu, gpu, $"{kernel}, {what}, {dtype.Name()}");
            }

            foreach (var kernel in new[] { ArgReduceKernel.ArgMax, ArgReduceKernel.ArgMin })
            {
                var (cpu, gpu) = Both(be => ArgReduce(be, kernel, dtype, values, 1, n, 1));
                Bitwise(cpu, gpu, $"{kernel}, {what}, {dtype.Name()}");
            }
        }
    }

    [Fact]
    public void FullSum_TakesTheGroupedPathInTwoPasses_AndIsTheSameBitsEachTime()
    {
        var data = Values(100_003, seed: 36).Select(v => (float)(v / 7.0)).ToArray();
        var x = Tensor.FromArray(data, [data.Length], GpuDevice);
        var plan = Ilgpu.PlanReduce(1, data.Length, 1);
        Assert.True(plan.Grouped, "a full reduction of 100,003 elements takes the grouped kernel");
        Assert.True(plan.Chunks > 1, "and is split into chunks, so the whole device works");
        Assert.Equal(Ilgpu.ReduceThreads, plan.Threads);

        long before = Ilgpu.GroupedLaunches;
        float first = x.Sum().ToArray<float>()[0];
        Assert.Equal(before + 2, Ilgpu.GroupedLaunches);

        // Another reduction between (its scratch from the same pool), then the same call: the same bits.
        _ = Tensor.FromArray(data.AsSpan(0, 50_000).ToArray(), [50_000], GpuDevice).Sum().ToArray<float>();
        float again = x.Sum().ToArray<float>()[0];
        Assert.Equal(BitConverter.SingleToInt32Bits(first), BitConverter.SingleToInt32Bits(again));

        double exact = data.Sum(v => (double)v), bound = data.Sum(v => Math.Abs((double)v));
        Assert.True(Math.Abs(first - exact) <= 1e-5 * bound, $"{first:R} against Σ = {exact:R}");
    }

    [Fact]
    public void ThePlan_KeepsOneThreadPerOutputForManyOrShortReductionsAndColumnSums()
    {
        int threads = Ilgpu.ReduceThreads;
        Assert.True(threads >= 1 && (threads & (threads - 1)) == 0 && threads <= ReducePlan.MaxThreads);
        if (OnCpuAccelerator)
        {
            Assert.Equal(16, threads); // ILGPU's CPU accelerator: groups of 16 threads
        }

        Assert.False(Ilgpu.PlanReduce(1, ReducePlan.MinLength - 1, 1).Grouped);     // short
        Assert.False(Ilgpu.PlanReduce(100_000, 10, 1).Grouped);                     // many short rows
        Assert.False(Ilgpu.PlanReduce(1, 4096, 512).Grouped);                       // column sums (a bias gradient)
        Assert.True(Ilgpu.PlanReduce(1, 4096, 8).Grouped);                          // few columns, a long axis
        Assert.True(Ilgpu.PlanReduce(4096, 4096, 1).Grouped);                       // long rows: one group each
        Assert.Equal(1, Ilgpu.PlanReduce(4096, 4096, 1).Chunks);

        var full = ReducePlan.For(1, 1 << 22, 1, 256); // x.Sum() of 4M elements on a GPU
        Assert.Equal(ReducePlan.TargetGroups, full.Chunks);
        Assert.True(full.ChunkLength % 256 == 0 && full.Chunks * full.ChunkLength >= 1 << 22);
    }

    private static Array Reduce(IBackend be, ReduceKernel kernel, DType dtype, double[] x, int outer, int n, int inner)
    {
        var y = be.Allocate(dtype, outer * inner, clear: false);
        be.Reduce(kernel, be.FromArray(Of(dtype, x)), outer, n, inner, y);
        return be.ToArray(y);
    }

    private static Array ArgReduce(IBackend be, ArgReduceKernel kernel, DType dtype, double[] x, int outer, int n, int inner)
    {
        var y = be.Allocate(DType.Int32, outer * inner, clear: false);
        be.ArgReduce(kernel, be.FromArray(Of(dtype, x)), outer, n, inner, y);
        return be.ToArray(y);
    }
}
