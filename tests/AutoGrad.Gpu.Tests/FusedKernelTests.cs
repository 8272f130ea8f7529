using AutoGrad.Backends;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>Axpby, AdaptiveStep and ActivationGrad on the ILGPU backend against the CPU backend: bitwise, float32 and float64.</summary>
public sealed class FusedKernelTests
{
    public static TheoryData<DType> FloatTypes => new() { DType.Float32, DType.Float64 };

    /// <summary>37 values with a NaN, both infinities and a −0 among them (odd, and past any CPU vector width).</summary>
    private static double[] Special(int seed)
    {
        var v = Values(37, seed);
        v[5] = double.NaN;
        v[9] = double.PositiveInfinity;
        v[13] = double.NegativeInfinity;
        v[17] = -0.0;
        return v;
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Axpby_MatchesCpuBitwise(DType dtype)
    {
        var x = Special(21);
        var y = Values(37, seed: 22).Select(v => v / 7.0).ToArray();
        foreach (var squareY in new[] { false, true })
        {
            var (cpu, gpu) = Both(b =>
            {
                var o = b.Allocate(dtype, 37, clear: false);
                b.Axpby(0.9, b.FromArray(Of(dtype, x)), -1e-3 / 3, b.FromArray(Of(dtype, y)), squareY, o);
                return b.ToArray(o);
            });
            Bitwise(cpu, gpu, $"Axpby (squareY: {squareY}) {dtype.Name()}");
        }
    }

    [Theory]
    [InlineData(DType.Float32, DType.Float32, DType.Float32)]
    [InlineData(DType.Float32, DType.Float64, DType.Float32)]
    [InlineData(DType.Float64, DType.Float64, DType.Float64)]
    [InlineData(DType.Float64, DType.Float32, DType.Float64)]
    public void AdaptiveStep_ScalarsOfAnyFloatDType_MatchesCpuBitwise(DType dtype, DType alphaType, DType gammaType)
    {
        var x = Special(23);
        var y = Values(37, seed: 24).Select(v => v / 3.0).ToArray();
        var z = Values(37, seed: 25).Select(v => v * v / 11.0).ToArray(); // ≥ 0, with zeros
        var (cpu, gpu) = Both(b =>
        {
            var o = b.Allocate(dtype, 37, clear: false);
            var alpha = b.FromArray(Of(alphaType, [1e-3 / 3]));
            var gamma = b.FromArray(Of(gammaType, [Math.Sqrt(1 - 0.999 * 0.999)]));
            b.AdaptiveStep(b.FromArray(Of(dtype, x)), alpha, b.FromArray(Of(dtype, y)), b.FromArray(Of(dtype, z)), gamma, 1e-8, o);
            return b.ToArray(o);
        });
        Bitwise(cpu, gpu, $"AdaptiveStep {dtype.Name()} (α {alphaType.Name()}, γ {gammaType.Name()})");
    }

    [Fact]
    public void AdaptiveStep_ReadsTheScalarsWhenTheKernelRuns()
    {
        // The scalars are device storages: a value written into them after the step was built but before it runs is
        // the one used (the compiled step computes them per step on the device).
        var be = Ilgpu;
        var alpha = be.FromArray(new[] { 1f });
        var gamma = be.FromArray(new[] { 1f });
        var o = be.Allocate(DType.Float32, 1, clear: false);
        be.Fill(alpha, 2);
        be.AdaptiveStep(be.FromArray(new[] { 10f }), alpha, be.FromArray(new[] { 1f }), be.FromArray(new[] { 4f }), gamma, 0, o);
        Assert.Equal(new[] { 9f }, (float[])be.ToArray(o)); // 10 − 1·2 / (√4 / 1 + 0)
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void ActivationGrad_AllKinds_MatchCpuBitwise(DType dtype)
    {
        var s = Special(26);
        var g = Special(27);
        foreach (var kind in Enum.GetValues<ActivationGradKind>())
        {
            var (cpu, gpu) = Both(b =>
            {
                var o = b.Allocate(dtype, 37, clear: false);
                b.ActivationGrad(kind, b.FromArray(Of(dtype, s)), b.FromArray(Of(dtype, g)), o);
                return b.ToArray(o);
            });
            Bitwise(cpu, gpu, $"{kind}Grad {dtype.Name()}");
        }
    }
}
