using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Batched matrix multiply. Products of some size go to the packed, register-tiled <see cref="PackedGemm{T}"/>;
/// small ones, and machines without Vector512, to the row kernel here: pack one row of op(A), then either
/// accumulate scaled rows of B (B not transposed) or take dot products with rows of B (B transposed), which
/// is also the reference the packed kernel is tested against. Rows are independent, so the parallel split
/// cannot change any result.
/// </summary>
internal sealed partial class CpuBackend
{
    private const long ParallelWorkThreshold = 1L << 18;

    /// <summary>Products with fewer columns than this go to the dot-product kernel, or (A transposed, four times as many rows) are computed transposed.</summary>
    private const int NarrowColumns = 16;

    public void MatMul(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, TensorStorage c)
    {
        switch (a)
        {
            case CpuStorage<float> f: MatMulImpl(batch, m, n, k, f.Data, transposeA, Data<float>(b), transposeB, Data<float>(c)); break;
            case CpuStorage<double> d: MatMulImpl(batch, m, n, k, d.Data, transposeA, Data<double>(b), transposeB, Data<double>(c)); break;
            default: throw new NotSupportedException($"matmul on {a.DType.Name()}");
        }
    }

    public void MatMulAddRow(int m, int n, int k, TensorStorage a, TensorStorage b, TensorStorage bias, TensorStorage c)
    {
        switch (a)
        {
            case CpuStorage<float> f: MatMulAddRowImpl(m, n, k, f.Data, Data<float>(b), Data<float>(bias), Data<float>(c)); break;
            case CpuStorage<double> d: MatMulAddRowImpl(m, n, k, d.Data, Data<double>(b), Data<double>(bias), Data<double>(c)); break;
            default: throw new NotSupportedException($"matmul on {a.DType.Name()}");
        }
    }

    public void MatMulAxpby(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, double alpha, TensorStorage y, double beta, bool productFirst, TensorStorage output)
    {
        switch (a)
        {
            case CpuStorage<float> f:
                MatMulAxpbyImpl(batch, m, n, k, f.Data, transposeA, Data<float>(b), transposeB, float.CreateChecked(alpha), Data<float>(y), float.CreateChecked(beta), productFirst, Data<float>(output));
                break;
            case CpuStorage<double> d:
                MatMulAxpbyImpl(batch, m, n, k, d.Data, transposeA, Data<double>(b), transposeB, alpha, Data<double>(y), beta, productFirst, Data<double>(output));
                break;
            default: throw new NotSupportedException($"matmul on {a.DType.Name()}");
        }
    }

    public void MatMulActivationGrad(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, ActivationGradKind kind, TensorStorage s, TensorStorage output)
    {
        switch (a)
        {
            case CpuStorage<float> f:
                MatMulActivationGradImpl(batch, m, n, k, f.Data, transposeA, Data<float>(b), transposeB, kind, Data<float>(s), Data<float>(output));
                break;
            case CpuStorage<double> d:
                MatMulActivationGradImpl(batch, m, n, k, d.Data, transposeA, Data<double>(b), transposeB, kind, Data<double>(s), Data<double>(output));
                break;
            default: throw new NotSupportedException($"matmul on {a.DType.Name()}");
        }
    }

    public bool FusesMatMulEpilogue(DType dtype, int batch, int m, int n, int k, bool transposeA) => dtype switch
    {
        DType.Float32 => Fuses<float>(batch, m, n, k, transposeA),
        DType.Float64 => Fuses<double>(batch, m, n, k, transposeA),
        _ => false,
    };

    private static bool Fuses<T>(int batch, int m, int n, int k, bool ta)
        where T : unmanaged, IFloatingPointIeee754<T> => UsesPackedKernel<T>(m, n, k, ta) && PackedGemm<T>.CanFuse(batch, m, n, k);

    /// <summary>
    /// Where the packed kernel computes this product anyway and finishes each tile in one pass over k, the tile is
    /// combined with y as it leaves the kernel (<see cref="PackedGemm{T}.MultiplyCombine"/>): the product is never
    /// stored, and the separate pass that read it back is gone. Otherwise the product goes to a scratch buffer and the
    /// Axpby follows, so the result is the unfused one bit for bit either way.
    /// </summary>
    private static void MatMulAxpbyImpl<T>(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T alpha, T[] y, T beta, bool productFirst, T[] output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = batch * m * n;
        if (length == 0)
        {
            return;
        }

        if (Fuses<T>(batch, m, n, k, ta))
        {
            PackedGemm<T>.MultiplyCombine(batch, m, n, k, a, ta, b, tb, output, alpha, y, beta, productFirst);
            return;
        }

        // ArrayPool, not BufferPool: it keeps small arrays too, and a longer one does (the Axpby runs over output's length).
        var product = ArrayPool<T>.Shared.Rent(length);
        try
        {
            MatMulImpl(batch, m, n, k, a, ta, b, tb, product);
            if (productFirst)
            {
                AxpbyImpl(alpha, product, beta, y, squareY: false, output);
            }
            else
            {
                AxpbyImpl(beta, y, alpha, product, squareY: false, output);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(product);
        }
    }

    /// <summary>
    /// As <see cref="MatMulAxpbyImpl"/>, with the activation's derivative as the step applied to each finished tile
    /// (<see cref="PackedGemm{T}.MultiplyActivationGrad"/>), or to a scratch product through <see cref="ActivationGradImpl"/>.
    /// </summary>
    private static void MatMulActivationGradImpl<T>(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, ActivationGradKind kind, T[] s, T[] output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = batch * m * n;
        if (length == 0)
        {
            return;
        }

        if (Fuses<T>(batch, m, n, k, ta))
        {
            PackedGemm<T>.MultiplyActivationGrad(batch, m, n, k, a, ta, b, tb, output, kind, s);
            return;
        }

        var product = ArrayPool<T>.Shared.Rent(length);
        try
        {
            MatMulImpl(batch, m, n, k, a, ta, b, tb, product);
            ActivationGradImpl(kind, s, product, output);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(product);
        }
    }

    /// <summary>The biased product as the backend computes it, on arrays, for tests.</summary>
    internal static void MatMulAddRowArrays<T>(int m, int n, int k, T[] a, T[] b, T[] bias, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T> => MatMulAddRowImpl(m, n, k, a, b, bias, c);

    /// <summary>
    /// The packed kernel starts every sum from the bias (one pass over C instead of two, as <c>addmm</c>); the
    /// dot-product kernel adds it to each finished element. Other products (a few rows, tiny) are small enough that
    /// adding the bias to each row afterwards costs little.
    /// </summary>
    private static void MatMulAddRowImpl<T>(int m, int n, int k, T[] a, T[] b, T[] bias, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (NarrowProduct<T>.IsSupported && n < NarrowColumns && (long)m * n * k >= 4096)
        {
            NarrowProduct<T>.Multiply(1, m, n, k, a, b, false, c, bias);
            return;
        }

        if (PackedGemm<T>.IsSupported && m >= 6 && (long)m * n * k >= 4096)
        {
            PackedGemm<T>.Multiply(1, m, n, k, a, false, b, false, c, bias);
            return;
        }

        MatMulImpl(1, m, n, k, a, false, b, false, c);
        var row = bias.AsSpan(0, n);
        for (int i = 0; i < m; i++)
        {
            var cRow = c.AsSpan(i * n, n);
            TensorPrimitives.Add(cRow, row, cRow);
        }
    }

    /// <summary>The product as the backend computes it (kernel chosen by shape), on arrays, for tests.</summary>
    internal static void MatMulArrays<T>(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T> => MatMulImpl(batch, m, n, k, a, ta, b, tb, c);

    /// <summary>The row kernel alone, for tests of the packed kernel.</summary>
    internal static void ReferenceMatMul<T>(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T> => MatMulRows(0, batch * m, m, n, k, a, ta, b, tb, c);

    private static void MatMulImpl<T>(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = batch * m;
        if (rows == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            Array.Clear(c, 0, rows * n);
            return;
        }

        // C narrower than a tile's columns (a classifier's 10 logits, their weight gradient) would leave most of
        // every register tile idle. With A's rows contiguous, take dot products of them with the few columns of B;
        // with A transposed, compute the wide transpose Cᵀ = op(B)ᵀ·op(A)ᵀ (its B operand is then A as stored),
        // each tile written back transposed.
        if (NarrowProduct<T>.IsSupported && n < NarrowColumns && !ta && (long)m * n * k >= 4096)
        {
            NarrowProduct<T>.Multiply(batch, m, n, k, a, b, tb, c);
            return;
        }

        if (PackedGemm<T>.IsSupported && n < NarrowColumns && ta && m >= 4 * n && (long)m * n * k >= 4096)
        {
            PackedGemm<T>.MultiplyTransposed(batch, n, m, k, b, !tb, a, !ta, c);
            return;
        }

        if (UsesPackedKernel<T>(m, n, k, ta))
        {
            PackedGemm<T>.Multiply(batch, m, n, k, a, ta, b, tb, c);
            return;
        }

        if (RowTimesMatrix<T>.IsSupported && !tb)
        {
            RowTimesMatrix<T>.Multiply(batch, m, n, k, a, ta, b, c);
            return;
        }

        if ((long)rows * n * k >= ParallelWorkThreshold && rows > 1)
        {
            MatMulRowParts(rows, m, n, k, a, ta, b, tb, c);
        }
        else
        {
            MatMulRows(0, rows, m, n, k, a, ta, b, tb, c);
        }
    }

    /// <summary>
    /// True when <see cref="MatMulImpl"/> gives a product (k ≥ 1) to the packed kernel as it stands. The packed kernel pays
    /// off once a product fills its 6-row tiles and has a few tiles' worth of work (outer products, k = 1, included: its
    /// tiles then just store); fewer rows go to the register-accumulating row kernel when B is row-major, and to dot
    /// products against B's rows when B is transposed. Narrow products go to the dot-product kernel or are computed
    /// transposed (see MatMulImpl).
    /// </summary>
    private static bool UsesPackedKernel<T>(int m, int n, int k, bool ta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long work = (long)m * n * k;
        if (n < NarrowColumns && work >= 4096 && ((NarrowProduct<T>.IsSupported && !ta) || (PackedGemm<T>.IsSupported && ta && m >= 4 * n)))
        {
            return false;
        }

        return PackedGemm<T>.IsSupported && m >= 6 && work >= 4096;
    }

    // Its own method, with a static lambda over a state: a lambda capturing MatMulImpl's parameters would allocate its closure on every product.
    private static void MatMulRowParts<T>(int rows, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = Math.Min(rows, ComputePool.Threads);
        ComputePool.For(chunks, (rows, chunks, m, n, k, a, ta, b, tb, c), static (s, chunk) =>
        {
            int start = (int)((long)s.rows * chunk / s.chunks);
            int end = (int)((long)s.rows * (chunk + 1) / s.chunks);
            MatMulRows(start, end, s.m, s.n, s.k, s.a, s.ta, s.b, s.tb, s.c);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void MatMulRows<T>(int start, int end, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] rowBuffer = ArrayPool<T>.Shared.Rent(Math.Max(k, 1));
        try
        {
            var aRow = rowBuffer.AsSpan(0, k);
            for (int row = start; row < end; row++)
            {
                int bi = row / m, i = row % m;
                int aBase = bi * m * k, bBase = bi * k * n;
                if (ta)
                {
                    for (int p = 0; p < k; p++)
                    {
                        aRow[p] = a[aBase + p * m + i];
                    }
                }
                else
                {
                    a.AsSpan(aBase + i * k, k).CopyTo(aRow);
                }

                var cRow = c.AsSpan(row * n, n);
                if (tb)
                {
                    for (int j = 0; j < n; j++)
                    {
                        cRow[j] = TensorPrimitives.Dot<T>(aRow, b.AsSpan(bBase + j * k, k));
                    }
                }
                else
                {
                    cRow.Clear();
                    // No skipping of zeros in A: 0·∞ and 0·NaN in B must give NaN, as in BLAS.
                    for (int p = 0; p < k; p++)
                    {
                        TensorPrimitives.MultiplyAdd(b.AsSpan(bBase + p * n, n), aRow[p], cRow, cRow);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rowBuffer);
        }
    }
}
