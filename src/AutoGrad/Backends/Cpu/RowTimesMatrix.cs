using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Products with fewer rows than the packed kernel's tile (batch-1 forward passes): each row of op(A) times a
/// row-major B, with four vectors of C accumulated in registers over all of k. Packing B would cost as much as
/// the product here, and accumulating into C in memory stalls on store-to-load aliasing between C and B's rows.
/// Each element of C is a fixed sequence of FMAs in k order (one per k-part, the parts then summed in order), so
/// results depend only on the thread count, never on which thread runs a part.
/// </summary>
internal static class RowTimesMatrix<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // A property, not a static readonly field, for the reason given at PackedGemm's W.
    private static int W => Vector512<T>.Count;

    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 17;

    /// <summary>Rows of B per thread below which a split along k is not worth adding the partial sums.</summary>
    private const int MinSplitDepth = 64;

    public static bool IsSupported => PackedGemm<T>.IsSupported;

    /// <summary>C[b] = op(A[b])·B[b] (B not transposed), rows of C computed one at a time.</summary>
    /// <remarks>
    /// Split over threads along k when k is deep enough: each thread then reads the same contiguous half of B's
    /// rows that the elementwise kernels give it (an optimizer step's halves of the parameter, the backward
    /// outer product's halves of the gradient), so at batch 1 a weight matrix stays in the L2 of the cores that
    /// update it instead of crossing between them every op. The halves' partial sums are added in part order.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    public static void Multiply(int batch, int m, int n, int k, T[] a, bool ta, T[] b, T[] c)
    {
        int rows = batch * m;
        int chunk = 4 * W;
        int columnBlocks = (n + chunk - 1) / chunk;
        bool parallel = (long)rows * n * k >= ParallelWork;
        bool splitK = parallel && k >= MinSplitDepth * ComputePool.Threads;
        int parts = !parallel ? 1 : splitK ? ComputePool.Threads : Math.Min(ComputePool.Threads, columnBlocks);
        T[] gathered = ArrayPool<T>.Shared.Rent(ta ? k * rows : 1);
        T[] partials = ArrayPool<T>.Shared.Rent(splitK ? (parts - 1) * rows * n : 1);
        try
        {
            if (ta)
            {
                // op(A) rows are strided columns of A: gather them once, shared by every split.
                for (int row = 0; row < rows; row++)
                {
                    int q = row / m, i = row % m;
                    for (int p = 0; p < k; p++)
                    {
                        gathered[row * k + p] = a[q * m * k + p * m + i];
                    }
                }
            }

            // The parts' values go to static lambdas as a state: a capturing lambda would allocate a closure and a
            // delegate on every product.
            var operands = new Operands(rows, m, n, k, a, ta, gathered, b);
            if (parts <= 1)
            {
                Block(operands, 0, k, 0, n, c, 0);
            }
            else if (splitK)
            {
                ComputePool.For(parts, (operands, c, partials, parts), static (s, part) =>
                {
                    var o = s.operands;
                    int k0 = (int)((long)o.K * part / s.parts), k1 = (int)((long)o.K * (part + 1) / s.parts);
                    Block(o, k0, k1, 0, o.N, part == 0 ? s.c : s.partials, part == 0 ? 0 : (part - 1) * o.Rows * o.N);
                });
                for (int part = 1; part < parts; part++)
                {
                    TensorPrimitives.Add(c.AsSpan(0, rows * n), partials.AsSpan((part - 1) * rows * n, rows * n), c.AsSpan(0, rows * n));
                }
            }
            else
            {
                ComputePool.For(parts, (operands, c, columnBlocks, chunk, parts), static (s, part) =>
                {
                    var o = s.operands;
                    int j0 = (int)((long)s.columnBlocks * part / s.parts) * s.chunk;
                    int j1 = Math.Min(o.N, (int)((long)s.columnBlocks * (part + 1) / s.parts) * s.chunk);
                    Block(o, 0, o.K, j0, j1, s.c, 0);
                });
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(gathered);
            ArrayPool<T>.Shared.Return(partials);
        }
    }

    /// <summary>The product's operands: <see cref="Multiply"/>'s arguments, with op(A)'s rows gathered when A is transposed.</summary>
    private readonly record struct Operands(int Rows, int M, int N, int K, T[] A, bool Ta, T[] Gathered, T[] B);

    /// <summary>Rows [k0, k1) of B times the matching elements of each op(A) row, columns [j0, j1), into target.</summary>
    private static void Block(in Operands o, int k0, int k1, int j0, int j1, T[] target, int targetBase)
    {
        for (int row = 0; row < o.Rows; row++)
        {
            int q = row / o.M, i = row % o.M;
            var x = o.Ta ? o.Gathered.AsSpan(row * o.K + k0, k1 - k0) : o.A.AsSpan(q * o.M * o.K + i * o.K + k0, k1 - k0);
            Row(x, o.B, q * o.K * o.N + k0 * o.N, o.N, j0, j1, target, targetBase + row * o.N);
        }
    }

    /// <summary>c[cOff + j] = Σ_p x[p]·B[p, j] for j in [j0, j1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row(ReadOnlySpan<T> x, T[] b, int bBase, int n, int j0, int j1, T[] c, int cOff)
    {
        int k = x.Length;
        int w = W;
        int j = j0;
        for (; j + 4 * w <= j1; j += 4 * w)
        {
            Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default;
            ref T pb = ref b[bBase + j];
            for (int p = 0; p < k; p++)
            {
                var xp = Vector512.Create(x[p]);
                s0 = Fma(xp, Vector512.LoadUnsafe(ref pb), s0);
                s1 = Fma(xp, Vector512.LoadUnsafe(ref Unsafe.Add(ref pb, w)), s1);
                s2 = Fma(xp, Vector512.LoadUnsafe(ref Unsafe.Add(ref pb, 2 * w)), s2);
                s3 = Fma(xp, Vector512.LoadUnsafe(ref Unsafe.Add(ref pb, 3 * w)), s3);
                pb = ref Unsafe.Add(ref pb, n);
            }

            ref T pc = ref c[cOff + j];
            s0.StoreUnsafe(ref pc);
            s1.StoreUnsafe(ref Unsafe.Add(ref pc, w));
            s2.StoreUnsafe(ref Unsafe.Add(ref pc, 2 * w));
            s3.StoreUnsafe(ref Unsafe.Add(ref pc, 3 * w));
        }

        for (; j + w <= j1; j += w)
        {
            Vector512<T> s = default;
            ref T pb = ref b[bBase + j];
            for (int p = 0; p < k; p++)
            {
                s = Fma(Vector512.Create(x[p]), Vector512.LoadUnsafe(ref pb), s);
                pb = ref Unsafe.Add(ref pb, n);
            }

            s.StoreUnsafe(ref c[cOff + j]);
        }

        for (; j < j1; j++)
        {
            T s = T.Zero;
            for (int p = 0; p < k; p++)
            {
                s = T.FusedMultiplyAdd(x[p], b[bBase + p * n + j], s);
            }

            c[cOff + j] = s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c) => PackedGemm<T>.Fma(a, b, c);
}
