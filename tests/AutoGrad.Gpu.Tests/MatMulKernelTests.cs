using AutoGrad.Backends;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// The tiled matrix product on the ILGPU backend against the CPU backend, at odd shapes around the tile (1, 7, 33, 65),
/// every transpose and a batch of 3. The CPU's GEMM sums in another order (vector accumulators, packed panels), so the
/// comparison is within the tolerance of docs/gpu.md: float32 relative 1e-5 of the largest |a|·|b| sum, float64 1e-13.
/// </summary>
public sealed class MatMulKernelTests
{
    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-13;

    public static TheoryData<int, int, int, bool, bool, int> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool, int>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 33, 65), (65, 7, 33), (33, 65, 7), (1, 65, 33), (65, 1, 7) })
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                data.Add(m, n, k, ta, tb, m == 7 || m == 1 ? 3 : 1);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMul_TransposesAndBatches_MatchCpuWithinTolerance(int m, int n, int k, bool transposeA, bool transposeB, int batch)
    {
        var a = Values(batch * m * k, seed: 41);
        var b = Values(batch * k * n, seed: 42);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (cpu, gpu) = Both(be =>
            {
                var c = be.Allocate(dtype, batch * m * n, clear: false);
                be.MatMul(batch, m, n, k, be.FromArray(Of(dtype, a)), transposeA, be.FromArray(Of(dtype, b)), transposeB, c);
                return be.ToArray(c);
            });
            Close(cpu, gpu, Tolerance(dtype) * Scale(k), $"MatMul {batch}×({m}×{k})·({k}×{n}) tA={transposeA} tB={transposeB} {dtype.Name()}");
        }
    }

    /// <summary>The largest possible |sum| of k products of values up to 3 in magnitude, relative to which errors are measured.</summary>
    private static double Scale(int k) => 9.0 * k;

    [Theory]
    [InlineData(7, 33, 65)]
    [InlineData(65, 7, 1)]
    [InlineData(3, 5, 0)]
    public void MatMulAddRow_MatchesCpuWithinTolerance(int m, int n, int k)
    {
        var a = Values(m * k, seed: 43);
        var b = Values(k * n, seed: 44);
        var bias = Values(n, seed: 45);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (cpu, gpu) = Both(be =>
            {
                var c = be.Allocate(dtype, m * n, clear: false);
                be.MatMulAddRow(m, n, k, be.FromArray(Of(dtype, a)), be.FromArray(Of(dtype, b)), be.FromArray(Of(dtype, bias)), c);
                return be.ToArray(c);
            });
            Close(cpu, gpu, Tolerance(dtype) * Scale(Math.Max(k, 1)), $"MatMulAddRow ({m}×{k})·({k}×{n}) {dtype.Name()}");
        }
    }

    [Fact]
    public void MatMul_IsDeterministic_AndExactOnIntegers()
    {
        // Integer-valued operands: every partial sum is exact, so any order gives the CPU's bits; and two runs agree.
        const int m = 33, n = 7, k = 65;
        var a = Values(m * k, seed: 46).Select(v => Math.Round(v)).ToArray();
        var b = Values(k * n, seed: 47).Select(v => Math.Round(v)).ToArray();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (cpu, gpu) = Both(be =>
            {
                var c = be.Allocate(dtype, m * n, clear: false);
                be.MatMul(1, m, n, k, be.FromArray(Of(dtype, a)), false, be.FromArray(Of(dtype, b)), true, c);
                return be.ToArray(c);
            });
            Bitwise(cpu, gpu, $"MatMul on integers {dtype.Name()}");
        }

        var again = Both(be =>
        {
            var c = be.Allocate(DType.Float32, m * n, clear: false);
            be.MatMul(1, m, n, k, be.FromArray(Of(DType.Float32, Values(m * k, seed: 48))), false, be.FromArray(Of(DType.Float32, Values(k * n, seed: 49))), true, c);
            return be.ToArray(c);
        }).Gpu;
        var c2 = Ilgpu.Allocate(DType.Float32, m * n, clear: false);
        Ilgpu.MatMul(1, m, n, k, Ilgpu.FromArray(Of(DType.Float32, Values(m * k, seed: 48))), false, Ilgpu.FromArray(Of(DType.Float32, Values(k * n, seed: 49))), true, c2);
        Bitwise(again, Ilgpu.ToArray(c2), "MatMul run twice");
    }

    [Fact]
    public void MatMul_NegativeZeroSums_StayNegativeZero()
    {
        // k = 1 with a product of −0: padding of the shared tiles must not add +0 to it.
        var (cpu, gpu) = Both(be =>
        {
            var c = be.Allocate(DType.Float32, 2, clear: false);
            be.MatMul(1, 1, 2, 1, be.FromArray(new[] { -0f }), false, be.FromArray(new[] { 1f, -0f }), false, c);
            return be.ToArray(c);
        });
        Bitwise(cpu, gpu, "MatMul −0");
    }
}
