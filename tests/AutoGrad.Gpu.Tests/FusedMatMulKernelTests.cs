using AutoGrad.Backends;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// MatMulAxpby and MatMulActivationGrad on the ILGPU backend: the tiled product with its epilogue applied as each output
/// is stored. Each case checks three things: bitwise the device's unfused pair (MatMul, then Axpby or ActivationGrad on the
/// device), which a compiled program replaces; bitwise the CPU backend's epilogue over the device's own product; and
/// within <see cref="MatMulKernelTests"/>' tolerances the CPU backend's fused call (whose product sums in another order).
/// </summary>
public sealed class FusedMatMulKernelTests
{
    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-13;

    /// <summary>The largest possible |sum| of k products of values up to 3 in magnitude (1 for k = 0).</summary>
    private static double Scale(int k) => 9.0 * Math.Max(k, 1);

    private static readonly DType[] FloatTypes = [DType.Float32, DType.Float64];

    /// <summary>(α, β) of the Axpby epilogue: an SGD step, either scale 0, and scales that round in float32.</summary>
    private static readonly (double Alpha, double Beta)[] AxpbyScales = [(-0.1, 1.0), (0.0, 0.7), (1.3, 0.0), (2.5, -1.0 / 3)];

    /// <summary>
    /// The SGD step and one other scale pair per transpose combination, so that each shape meets every pair across its
    /// four combinations (the CPU accelerator runs each launch as threads; the full cross product took half a minute).
    /// </summary>
    private static (double Alpha, double Beta)[] ScalesFor(bool transposeA, bool transposeB) =>
        [AxpbyScales[0], AxpbyScales[1 + (((transposeA ? 2 : 0) + (transposeB ? 1 : 0)) % 3)]];

    /// <summary>The matrix product's shape and flags.</summary>
    public sealed record ProductCase(int Batch, int M, int N, int K, bool TransposeA, bool TransposeB)
    {
        public int Length => Batch * M * N;

        public override string ToString() => $"{Batch}×op({M}×{K})·op({K}×{N}) tA={TransposeA} tB={TransposeB}";
    }

    /// <summary>
    /// Odd shapes around the tile (4t = 16 on the CPU accelerator, 64 on GPUs): m, n, k of 1, 7, 33, 65, k = 0 and 1,
    /// m or n of 1; every transpose; batches of 3 where m is small.
    /// </summary>
    public static TheoryData<int, int, int, bool, bool, int> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool, int>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 33, 65), (65, 7, 33), (33, 65, 7), (1, 65, 33), (65, 1, 7), (5, 3, 0), (17, 6, 1) })
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                data.Add(m, n, k, ta, tb, m is 7 or 1 or 5 ? 3 : 1);
            }
        }

        return data;
    }

    private delegate void FusedCall(IBackend backend, TensorStorage a, TensorStorage b, TensorStorage operand, TensorStorage output);

    private delegate void EpilogueCall(IBackend backend, TensorStorage product, TensorStorage operand, TensorStorage output);

    private static FusedCall Axpby(ProductCase p, double alpha, double beta, bool productFirst) =>
        (be, a, b, y, o) => be.MatMulAxpby(p.Batch, p.M, p.N, p.K, a, p.TransposeA, b, p.TransposeB, alpha, y, beta, productFirst, o);

    /// <summary>The unfused Axpby the fused call stands for: (α, product, β, y), or (β, y, α, product).</summary>
    private static EpilogueCall AxpbyEpilogue(double alpha, double beta, bool productFirst) => (be, product, y, o) =>
    {
        if (productFirst)
        {
            be.Axpby(alpha, product, beta, y, squareY: false, o);
        }
        else
        {
            be.Axpby(beta, y, alpha, product, squareY: false, o);
        }
    };

    private static FusedCall ActivationGrad(ProductCase p, ActivationGradKind kind) =>
        (be, a, b, s, o) => be.MatMulActivationGrad(p.Batch, p.M, p.N, p.K, a, p.TransposeA, b, p.TransposeB, kind, s, o);

    private static EpilogueCall ActivationGradEpilogue(ActivationGradKind kind) => (be, product, s, o) => be.ActivationGrad(kind, s, product, o);

    private static Array RunFused(IBackend be, DType dtype, ProductCase p, double[] a, double[] b, double[] operand, FusedCall fused)
    {
        var output = be.Allocate(dtype, p.Length, clear: false);
        fused(be, be.FromArray(Of(dtype, a)), be.FromArray(Of(dtype, b)), be.FromArray(Of(dtype, operand)), output);
        return be.ToArray(output);
    }

    /// <summary>
    /// The operands of one product on both backends, and the device's product (computed once: it does not depend on the
    /// epilogue), for <see cref="Check"/>.
    /// </summary>
    private sealed class Operands
    {
        public Operands(DType dtype, ProductCase p, double[] a, double[] b, double[] operand)
        {
            (DType, Product) = (dtype, p);
            (GpuA, GpuB, GpuOperand) = (Ilgpu.FromArray(Of(dtype, a)), Ilgpu.FromArray(Of(dtype, b)), Ilgpu.FromArray(Of(dtype, operand)));
            (CpuA, CpuB, CpuOperand) = (Cpu.FromArray(Of(dtype, a)), Cpu.FromArray(Of(dtype, b)), Cpu.FromArray(Of(dtype, operand)));
            GpuProduct = Ilgpu.Allocate(dtype, p.Length, clear: false);
            Ilgpu.MatMul(p.Batch, p.M, p.N, p.K, GpuA, p.TransposeA, GpuB, p.TransposeB, GpuProduct);
            CpuCopyOfGpuProduct = Cpu.FromArray(Ilgpu.ToArray(GpuProduct));
        }

        public DType DType { get; }

        public ProductCase Product { get; }

        public TensorStorage GpuA { get; }

        public TensorStorage GpuB { get; }

        public TensorStorage GpuOperand { get; }

        public TensorStorage GpuProduct { get; }

        public TensorStorage CpuA { get; }

        public TensorStorage CpuB { get; }

        public TensorStorage CpuOperand { get; }

        public TensorStorage CpuCopyOfGpuProduct { get; }
    }

    /// <summary>The three comparisons of the class summary; <paramref name="slack"/> scales the product's tolerance (|α|, |dy/dx|).</summary>
    private static void Check(Operands x, FusedCall fused, EpilogueCall epilogue, double slack, string what)
    {
        var (dtype, p) = (x.DType, x.Product);
        what = $"{what} {p} {dtype.Name()}";
        var output = Ilgpu.Allocate(dtype, p.Length, clear: false);
        fused(Ilgpu, x.GpuA, x.GpuB, x.GpuOperand, output);
        var actual = Ilgpu.ToArray(output);

        var unfused = Ilgpu.Allocate(dtype, p.Length, clear: false);
        epilogue(Ilgpu, x.GpuProduct, x.GpuOperand, unfused);
        Bitwise(Ilgpu.ToArray(unfused), actual, $"{what}, against MatMul then the epilogue on the device");

        var onCpu = Cpu.Allocate(dtype, p.Length, clear: false);
        epilogue(Cpu, x.CpuCopyOfGpuProduct, x.CpuOperand, onCpu);
        Bitwise(Cpu.ToArray(onCpu), actual, $"{what}, against the CPU backend's epilogue over the device's product");

        var cpuFused = Cpu.Allocate(dtype, p.Length, clear: false);
        fused(Cpu, x.CpuA, x.CpuB, x.CpuOperand, cpuFused);
        Close(Cpu.ToArray(cpuFused), actual, Tolerance(dtype) * Scale(p.K) * slack, $"{what}, against the CPU backend's fused call");
    }

    private static (double[] A, double[] B) Factors(ProductCase p, int seed) =>
        (Values(p.Batch * p.M * p.K, seed), Values(p.Batch * p.K * p.N, seed + 1));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulAxpby_EveryScaleAndOrder_IsTheUnfusedPairBitwise_AndMatchesCpu(int m, int n, int k, bool transposeA, bool transposeB, int batch)
    {
        var p = new ProductCase(batch, m, n, k, transposeA, transposeB);
        var (a, b) = Factors(p, seed: 51);
        var y = Values(p.Length, seed: 53);
        foreach (var dtype in FloatTypes)
        {
            var operands = new Operands(dtype, p, a, b, y);
            foreach (var (alpha, beta) in ScalesFor(transposeA, transposeB))
            {
                foreach (var productFirst in new[] { true, false })
                {
                    Check(operands, Axpby(p, alpha, beta, productFirst), AxpbyEpilogue(alpha, beta, productFirst),
                        Math.Max(1, Math.Abs(alpha)), $"MatMulAxpby (α {alpha}, β {beta}, product first {productFirst})");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulActivationGrad_EveryKind_IsTheUnfusedPairBitwise_AndMatchesCpu(int m, int n, int k, bool transposeA, bool transposeB, int batch)
    {
        var p = new ProductCase(batch, m, n, k, transposeA, transposeB);
        var (a, b) = Factors(p, seed: 61);
        var s = Values(p.Length, seed: 63);
        foreach (var dtype in FloatTypes)
        {
            var operands = new Operands(dtype, p, a, b, s);
            foreach (var kind in Enum.GetValues<ActivationGradKind>())
            {
                // |dy/dx| ≤ 12 for |s| ≤ 3 (sigmoid's s·(1 − s)).
                Check(operands, ActivationGrad(p, kind), ActivationGradEpilogue(kind), 12, $"MatMulActivationGrad {kind}");
            }
        }
    }

    [Fact]
    public void SpecialValuesInTheOperandAndProduct_PropagateAsInTheUnfusedPair()
    {
        // NaN, ±∞ and −0 in y or s, and an infinite product row (∞ in A), through every epilogue.
        var p = new ProductCase(3, 7, 33, 5, false, true);
        var (a, b) = Factors(p, seed: 71);
        a[2] = double.PositiveInfinity;
        var operand = Values(p.Length, seed: 73);
        for (int i = 0; i < operand.Length; i += 10)
        {
            operand[i] = (i / 10 % 4) switch { 0 => double.NaN, 1 => double.PositiveInfinity, 2 => double.NegativeInfinity, _ => -0.0 };
        }

        foreach (var dtype in FloatTypes)
        {
            var operands = new Operands(dtype, p, a, b, operand);
            foreach (var productFirst in new[] { true, false })
            {
                Check(operands, Axpby(p, -0.1, 1, productFirst), AxpbyEpilogue(-0.1, 1, productFirst), 1, $"MatMulAxpby with specials (product first {productFirst})");
            }

            foreach (var kind in Enum.GetValues<ActivationGradKind>())
            {
                Check(operands, ActivationGrad(p, kind), ActivationGradEpilogue(kind), 12, $"MatMulActivationGrad {kind} with specials");
            }
        }
    }

    [Theory]
    [InlineData(33, 65, 7, false, false, 1)] // the CPU backend's packed kernel fuses this shape itself
    [InlineData(33, 65, 7, true, true, 1)]
    [InlineData(7, 33, 65, false, true, 3)]
    [InlineData(65, 1, 7, true, false, 1)]
    [InlineData(5, 3, 0, false, false, 2)]
    public void IntegerValuedOperands_AreTheCpuBackendsBitsExactly(int m, int n, int k, bool transposeA, bool transposeB, int batch)
    {
        // Every partial sum, scaled term and derivative is exact, so any summation order gives the CPU's fused bits.
        var p = new ProductCase(batch, m, n, k, transposeA, transposeB);
        var (a, b) = Factors(p, seed: 81);
        (a, b) = (a.Select(v => Math.Round(v)).ToArray(), b.Select(v => Math.Round(v)).ToArray());
        var operand = Values(p.Length, seed: 83).Select(v => Math.Round(v)).ToArray();
        var calls = new List<(string, FusedCall)>();
        foreach (var (alpha, beta) in new[] { (0.5, -2.0), (0.0, 1.0), (-1.0, 0.0) })
        {
            calls.Add(($"MatMulAxpby (α {alpha}, β {beta}, product first)", Axpby(p, alpha, beta, true)));
            calls.Add(($"MatMulAxpby (α {alpha}, β {beta}, y first)", Axpby(p, alpha, beta, false)));
        }

        foreach (var kind in Enum.GetValues<ActivationGradKind>())
        {
            calls.Add(($"MatMulActivationGrad {kind}", ActivationGrad(p, kind)));
        }

        foreach (var dtype in FloatTypes)
        {
            foreach (var (what, call) in calls)
            {
                var (cpu, gpu) = Both(be => RunFused(be, dtype, p, a, b, operand, call));
                Bitwise(cpu, gpu, $"{what} on integers {p} {dtype.Name()}");
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TheOutputMayBeTheOperand_AnUpdateInPlace(DType dtype)
    {
        // A compiled step writes w − lr·g over w, and an activation's rule over s: each output reads its own operand first.
        var p = new ProductCase(2, 33, 17, 9, true, false);
        var (a, b) = Factors(p, seed: 91);
        var operand = Values(p.Length, seed: 93);
        foreach (var (what, call) in new (string, FusedCall)[] { ("MatMulAxpby", Axpby(p, -0.1, 1, false)), ("MatMulActivationGrad Tanh", ActivationGrad(p, ActivationGradKind.Tanh)) })
        {
            var expected = RunFused(Ilgpu, dtype, p, a, b, operand, call);
            var inPlace = Ilgpu.FromArray(Of(dtype, operand));
            call(Ilgpu, Ilgpu.FromArray(Of(dtype, a)), Ilgpu.FromArray(Of(dtype, b)), inPlace, inPlace);
            Bitwise(expected, Ilgpu.ToArray(inPlace), $"{what} in place {dtype.Name()}");
        }
    }

    [Fact]
    public void FloatProductsAreFusedAtEveryShape_Int32IsRefusedAsOnTheCpu()
    {
        // The epilogue is applied as each output is stored, so fusing saves the product's store and reload at any shape,
        // including those the CPU backend declines (deep k, narrow products).
        foreach (var dtype in FloatTypes)
        {
            Assert.True(Ilgpu.FusesMatMulEpilogue(dtype, 1, 64, 64, 64, transposeA: false));
            Assert.True(Ilgpu.FusesMatMulEpilogue(dtype, 3, 512, 10, 4096, transposeA: true));
            Assert.True(Ilgpu.FusesMatMulEpilogue(dtype, 1, 1, 1, 0, transposeA: false));
        }

        Assert.False(Ilgpu.FusesMatMulEpilogue(DType.Int32, 1, 64, 64, 64, transposeA: false));
        var i = Ilgpu.FromArray(new[] { 1, 2, 3, 4 });
        Assert.Throws<NotSupportedException>(() => Ilgpu.MatMulAxpby(1, 2, 2, 1, i, false, i, false, 1, i, 1, true, Ilgpu.Allocate(DType.Int32, 4)));
        Assert.Throws<NotSupportedException>(() => Ilgpu.MatMulActivationGrad(1, 2, 2, 1, i, false, i, false, ActivationGradKind.Relu, i, Ilgpu.Allocate(DType.Int32, 4)));
    }
}
