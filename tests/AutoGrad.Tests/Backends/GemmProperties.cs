using AutoGrad.Backends;
using AutoGrad.Backends.Cpu;
using AutoGrad.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AutoGrad.Tests.Backends;

/// <summary>The packed GEMM against the reference row kernel: odd sizes, every transpose, batches at unaligned offsets.</summary>
public class GemmProperties
{
    public sealed record Case(int Batch, int M, int N, int K, bool Ta, bool Tb, bool Double, int Seed)
    {
        public override string ToString() => $"batch {Batch}, {M}×{K} · {K}×{N}, ta {Ta}, tb {Tb}, {(Double ? "float64" : "float32")}, seed {Seed}";
    }

    private static readonly int[] Sizes = [1, 2, 5, 6, 7, 13, 16, 31, 32, 33, 64, 100, 300, 513];

    private static Gen<Case> Cases() =>
        from batch in Gen.Elements(1, 1, 2, 3)
        from m in Gen.Elements(Sizes)
        from n in Gen.Elements(Sizes)
        from k in Gen.Elements(Sizes)
        from ta in Gen.Elements(true, false)
        from tb in Gen.Elements(true, false)
        from dbl in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1_000_000)
        select new Case(batch, m, n, k, ta, tb, dbl, seed);

    private static void Check<T>(Case c, Func<double, T> from, double tolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Generator((ulong)c.Seed);
        var a = Enumerable.Range(0, c.Batch * c.M * c.K).Select(_ => from(2 * rng.NextDouble() - 1)).ToArray();
        var b = Enumerable.Range(0, c.Batch * c.K * c.N).Select(_ => from(2 * rng.NextDouble() - 1)).ToArray();
        var reference = new T[c.Batch * c.M * c.N];
        CpuBackend.ReferenceMatMul(c.Batch, c.M, c.N, c.K, a, c.Ta, b, c.Tb, reference);

        // The packed kernel on its own (any shape), then whatever kernel the backend picks for this shape
        // (packed, row-times-matrix or dot products); the outputs start as garbage, since kernels must write every element.
        var packed = Enumerable.Repeat(T.NaN, reference.Length).ToArray();
        PackedGemm<T>.Multiply(c.Batch, c.M, c.N, c.K, a, c.Ta, b, c.Tb, packed);
        var chosen = Enumerable.Repeat(T.NaN, reference.Length).ToArray();
        CpuBackend.MatMulArrays(c.Batch, c.M, c.N, c.K, a, c.Ta, b, c.Tb, chosen);
        for (int i = 0; i < reference.Length; i++)
        {
            double p = double.CreateTruncating(packed[i]), q = double.CreateTruncating(chosen[i]), r = double.CreateTruncating(reference[i]);
            Assert.True(Math.Abs(p - r) <= tolerance * c.K, $"{c}: element {i} packed {p:R}, reference {r:R}");
            Assert.True(Math.Abs(q - r) <= tolerance * c.K, $"{c}: element {i} backend {q:R}, reference {r:R}");
        }
    }

    [Property(MaxTest = 100)]
    public Property PackedGemmAgreesWithTheReferenceKernel() =>
        Prop.ForAll(Arb.From(Cases()), c =>
        {
            Assert.True(PackedGemm<float>.IsSupported || !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
            if (PackedGemm<float>.IsSupported)
            {
                if (c.Double)
                {
                    Check(c, v => v, 1e-14);
                }
                else
                {
                    Check(c, v => (float)v, 1e-6f);
                }
            }

            PropertyLedger.Record(nameof(PackedGemmAgreesWithTheReferenceKernel));
        });

    /// <summary>
    /// The biased product (a dense layer's forward) against the reference kernel plus the bias on every row: the packed
    /// kernel with the bias folded into its sums, and whatever path the backend picks for the shape.
    /// </summary>
    private static void CheckBiased<T>(int m, int n, int k, int seed, Func<double, T> from, double tolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Generator((ulong)seed);
        var a = Enumerable.Range(0, m * k).Select(_ => from(2 * rng.NextDouble() - 1)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => from(2 * rng.NextDouble() - 1)).ToArray();
        var bias = Enumerable.Range(0, n).Select(_ => from(4 * rng.NextDouble() - 2)).ToArray();
        var reference = new T[m * n];
        CpuBackend.ReferenceMatMul(1, m, n, k, a, false, b, false, reference);
        // The packed kernel needs Vector512 and a non-empty k; where it cannot run, its check is the reference's.
        var packed = Enumerable.Repeat(T.NaN, reference.Length).ToArray();
        if (PackedGemm<T>.IsSupported && k > 0)
        {
            PackedGemm<T>.Multiply(1, m, n, k, a, false, b, false, packed, bias);
        }
        else
        {
            for (int i = 0; i < packed.Length; i++)
            {
                packed[i] = reference[i] + bias[i % n];
            }
        }

        var chosen = Enumerable.Repeat(T.NaN, reference.Length).ToArray();
        CpuBackend.MatMulAddRowArrays(m, n, k, a, b, bias, chosen);
        for (int i = 0; i < reference.Length; i++)
        {
            double r = double.CreateTruncating(reference[i]) + double.CreateTruncating(bias[i % n]);
            double p = double.CreateTruncating(packed[i]), q = double.CreateTruncating(chosen[i]);
            string where = $"{m}×{k} · {k}×{n} + bias, {typeof(T).Name}, seed {seed}: element {i}";
            Assert.True(Math.Abs(p - r) <= tolerance * (k + 2), $"{where} packed {p:R}, reference {r:R}");
            Assert.True(Math.Abs(q - r) <= tolerance * (k + 2), $"{where} backend {q:R}, reference {r:R}");
        }
    }

    [Property(MaxTest = 60)]
    public Property BiasedProductsAgreeWithTheReferenceKernelPlusTheBias() =>
        Prop.ForAll(Arb.From(Cases()), c =>
        {
            if (c.Double)
            {
                CheckBiased(c.M, c.N, c.K, c.Seed, v => v, 1e-14);
            }
            else
            {
                CheckBiased(c.M, c.N, c.K, c.Seed, v => (float)v, 1e-6);
            }

            PropertyLedger.Record(nameof(BiasedProductsAgreeWithTheReferenceKernelPlusTheBias));
        });

    [Theory]
    [InlineData(512, 512, 784)] // the MLP's first layer at batch 512: rows split across cores
    [InlineData(64, 512, 784)]  // at batch 64: split along k, the bias in part 0 only
    [InlineData(512, 10, 512)]  // the logits: the narrow-column path, bias added afterwards
    [InlineData(1, 512, 784)]   // batch 1: the row kernel
    [InlineData(8, 500, 784)]   // batch 8: one strip of A, B's panels read in place (the last one packed), split along k
    [InlineData(130, 13, 777)]
    [InlineData(37, 100, 0)]    // no inner dimension: the bias alone
    public void BiasedMlpShapedProductsAgreeWithTheReferenceKernel(int m, int n, int k)
    {
        CheckBiased(m, n, k, m + n + k, v => (float)v, 1e-6);
        CheckBiased(m, n, k, m + n + k, v => v, 1e-14);
    }

    [Theory]
    [InlineData(1000, 33, 7)]
    [InlineData(7, 1000, 33)]
    [InlineData(33, 7, 1000)]
    [InlineData(128, 512, 784)]
    [InlineData(64, 512, 784)]
    [InlineData(784, 512, 64)]
    [InlineData(64, 10, 512)]
    [InlineData(512, 10, 512)] // a classifier's logits and their weight gradient at batch 512: the narrow-column paths
    [InlineData(130, 13, 777)]
    [InlineData(1, 512, 784)]
    [InlineData(784, 512, 1)]
    [InlineData(3, 2050, 300)]
    [InlineData(5, 100, 513)]  // few rows, deep k: the row kernel's split along k with an odd remainder
    [InlineData(2, 64, 4096)]
    [InlineData(100, 5, 2100)]  // narrow: with A transposed, computed as its transpose and stored back tile by tile, over several k-blocks
    [InlineData(10, 1100, 2100)] // one strip of A: B's panels read in place over several k-blocks, the edge panel packed
    [InlineData(40, 1100, 1300)] // two k-blocks of 650 (float; three in double), B in three chunks of panels (the last partial), an edge panel and a 4-row strip
    public void LargeAndMlpShapedProductsAgreeWithTheReferenceKernel(int m, int n, int k)
    {
        if (!PackedGemm<float>.IsSupported)
        {
            return;
        }

        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            Check(new Case(1, m, n, k, ta, tb, false, m + n + k), v => (float)v, 1e-6);
        }
    }

    /// <summary>
    /// The fused product-and-update a compiled SGD step replays (<c>MatMulAxpby</c>) against the product and the Axpby run
    /// one after the other, bit for bit: on the packed path the tile is combined in L1, elsewhere (deep k, narrow, few rows)
    /// through a scratch product; both into a separate output and in place over y (a donated weight).
    /// </summary>
    private static void CheckFusedUpdate<T>(Case c, bool inPlace, bool productFirst = true)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Generator((ulong)c.Seed);
        Tensor Random(int length) => typeof(T) == typeof(double)
            ? Tensor.FromArray(Enumerable.Range(0, length).Select(_ => 2 * rng.NextDouble() - 1).ToArray())
            : Tensor.FromArray(Enumerable.Range(0, length).Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray());
        var backend = CpuBackend.Instance;
        int length = c.Batch * c.M * c.N;
        var a = Random(c.Batch * c.M * c.K);
        var b = Random(c.Batch * c.K * c.N);
        var y = Random(length);
        double alpha = -(0.001 + rng.NextDouble()), beta = 0.5 + rng.NextDouble();
        var product = Random(length);
        var expected = Random(length);
        backend.MatMul(c.Batch, c.M, c.N, c.K, a.Storage!, c.Ta, b.Storage!, c.Tb, product.Storage!);
        if (productFirst)
        {
            backend.Axpby(alpha, product.Storage!, beta, y.Storage!, false, expected.Storage!);
        }
        else
        {
            backend.Axpby(beta, y.Storage!, alpha, product.Storage!, false, expected.Storage!);
        }

        var output = inPlace ? y : Random(length);
        backend.MatMulAxpby(c.Batch, c.M, c.N, c.K, a.Storage!, c.Ta, b.Storage!, c.Tb, alpha, y.Storage!, beta, productFirst, output.Storage!);
        var want = expected.ToDoubleArray();
        var got = output.ToDoubleArray();
        for (int i = 0; i < length; i++)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(want[i]) == BitConverter.DoubleToInt64Bits(got[i]), $"{c}, in place {inPlace}, product first {productFirst}, α {alpha:R}, β {beta:R}: element {i} fused {got[i]:R}, unfused {want[i]:R}");
        }
    }

    [Property(MaxTest = 60)]
    public Property FusedProductUpdateEqualsTheProductThenTheAxpbyBitwise() =>
        Prop.ForAll(Arb.From(Cases()), Arb.From(Gen.Elements(true, false)), Arb.From(Gen.Elements(true, false)), (c, inPlace, productFirst) =>
        {
            if (c.Double)
            {
                CheckFusedUpdate<double>(c, inPlace, productFirst);
            }
            else
            {
                CheckFusedUpdate<float>(c, inPlace, productFirst);
            }

            PropertyLedger.Record(nameof(FusedProductUpdateEqualsTheProductThenTheAxpbyBitwise));
        });

    [Theory]
    [InlineData(784, 512, 512, true, false)] // an MLP's first-layer weight gradient at batch 512: fused, rows split across cores
    [InlineData(784, 512, 32, true, false)]  // at batch 32
    [InlineData(784, 512, 1100, true, false)] // batch 1100: two k-blocks, through a scratch product
    [InlineData(512, 10, 512, true, false)]  // the classifier's weight gradient: narrow, computed transposed
    [InlineData(64, 512, 784, false, false)] // split along k: through a scratch product
    [InlineData(3, 100, 50, false, true)]    // few rows: the row kernel
    public void FusedProductUpdatesAtMlpShapesEqualTheUnfusedOnes(int m, int n, int k, bool ta, bool tb)
    {
        foreach (bool inPlace in new[] { false, true })
        {
            CheckFusedUpdate<float>(new Case(1, m, n, k, ta, tb, false, m + n + k), inPlace, productFirst: false);
            CheckFusedUpdate<double>(new Case(1, m, n, k, ta, tb, true, m + n + k), inPlace, productFirst: true);
        }
    }

    /// <summary>
    /// The fused product-and-activation-rule a compiled backward pass replays (<c>MatMulActivationGrad</c>: δ·Wᵀ ⊙ σ'(h))
    /// against the product and <c>ActivationGrad</c> run one after the other, bit for bit, for each kind of rule; into a
    /// separate output and in place over s. s holds values in (−1, 1) with some exact zeros (ReLU's boundary) and, at
    /// two places, a NaN and an infinity, which must reach the output as the unfused rule passes them on.
    /// </summary>
    private static void CheckFusedActivationGrad<T>(Case c, bool inPlace, ActivationGradKind kind)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Generator((ulong)c.Seed);
        int length = c.Batch * c.M * c.N;
        double[] Values(int n, bool specials) => Enumerable.Range(0, n).Select(i =>
            specials && n > 4 && i == n / 2 ? double.NaN
            : specials && n > 4 && i == n / 3 ? double.PositiveInfinity
            : specials && i % 7 == 3 ? 0.0
            : 2 * rng.NextDouble() - 1).ToArray();
        Tensor Make(double[] values) => typeof(T) == typeof(double) ? Tensor.FromArray(values) : Tensor.FromArray(values.Select(v => (float)v).ToArray());
        var backend = CpuBackend.Instance;
        var a = Make(Values(c.Batch * c.M * c.K, false));
        var b = Make(Values(c.Batch * c.K * c.N, false));
        var s = Make(Values(length, true));
        var product = Make(Values(length, false));
        var expected = Make(Values(length, false));
        backend.MatMul(c.Batch, c.M, c.N, c.K, a.Storage!, c.Ta, b.Storage!, c.Tb, product.Storage!);
        backend.ActivationGrad(kind, s.Storage!, product.Storage!, expected.Storage!);

        var output = inPlace ? s : Make(Values(length, false));
        backend.MatMulActivationGrad(c.Batch, c.M, c.N, c.K, a.Storage!, c.Ta, b.Storage!, c.Tb, kind, s.Storage!, output.Storage!);
        var want = expected.ToDoubleArray();
        var got = output.ToDoubleArray();
        for (int i = 0; i < length; i++)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(want[i]) == BitConverter.DoubleToInt64Bits(got[i]), $"{c}, {kind}, in place {inPlace}: element {i} fused {got[i]:R}, unfused {want[i]:R}");
        }
    }

    [Property(MaxTest = 60)]
    public Property FusedProductActivationGradEqualsTheProductThenTheRuleBitwise() =>
        Prop.ForAll(Arb.From(Cases()), Arb.From(Gen.Elements(true, false)), Arb.From(Gen.Elements(ActivationGradKind.Sigmoid, ActivationGradKind.Tanh, ActivationGradKind.Relu)), (c, inPlace, kind) =>
        {
            if (c.Double)
            {
                CheckFusedActivationGrad<double>(c, inPlace, kind);
            }
            else
            {
                CheckFusedActivationGrad<float>(c, inPlace, kind);
            }

            PropertyLedger.Record(nameof(FusedProductActivationGradEqualsTheProductThenTheRuleBitwise));
        });

    [Theory]
    [InlineData(512, 512, 10, false, true)]  // a hidden layer's gradient δ·W2ᵀ at batch 512: fused, rows split across cores
    [InlineData(128, 512, 10, false, true)]  // at batch 128: columns split
    [InlineData(32, 512, 10, false, true)]   // at batch 32
    [InlineData(100, 300, 1100, false, false)] // two k-blocks: through a scratch product
    [InlineData(3, 100, 50, false, true)]    // few rows: the row kernel
    public void FusedProductActivationGradsAtMlpShapesEqualTheUnfusedOnes(int m, int n, int k, bool ta, bool tb)
    {
        foreach (var kind in new[] { ActivationGradKind.Sigmoid, ActivationGradKind.Tanh, ActivationGradKind.Relu })
        {
            foreach (bool inPlace in new[] { false, true })
            {
                CheckFusedActivationGrad<float>(new Case(1, m, n, k, ta, tb, false, m + n + k), inPlace, kind);
                CheckFusedActivationGrad<double>(new Case(1, m, n, k, ta, tb, true, m + n + k), inPlace, kind);
            }
        }
    }

    [Fact]
    public void PackedGemmIsDeterministicUnderThreading()
    {
        if (!PackedGemm<float>.IsSupported)
        {
            return;
        }

        var x = Tensor.RandomNormal([300, 400], new Generator(1));
        var w = Tensor.RandomNormal([400, 500], new Generator(2));
        var first = x.MatMul(w).ToFloatArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(first, x.MatMul(w).ToFloatArray());
        }
    }
}
