using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Products with fewer rows than the packed kernel's tile (batch-1 forward passes): each row of op(A) times a
/// row-major B, with four vectors of C accumulated in registers over all of k. Packing B would cost as much as
/// the product here, and accumulating into C in memory stalls on store-to-load aliasing between C and B's rows.
/// Each element of C is one fixed sequence of FMAs in k order, so the column split over threads changes nothing.
/// </summary>
internal static class RowTimesMatrix<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int W = Vector512<T>.Count;

    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 19;

    public static bool IsSupported => PackedGemm<T>.IsSupported;

    /// <summary>C[b] = op(A[b])·B[b] (B not transposed), rows of C computed one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    public static void Multiply(int batch, int m, int n, int k, T[] a, bool ta, T[] b, T[] c)
    {
        int rows = batch * m;
        int chunk = 4 * W;
        int columnBlocks = (n + chunk - 1) / chunk;
        int parts = (long)rows * n * k >= ParallelWork ? Math.Min(ComputePool.Threads, columnBlocks) : 1;
        T[] gathered = ArrayPool<T>.Shared.Rent(ta ? k * rows : 1);
        try
        {
            if (ta)
            {
                // op(A) rows are strided columns of A: gather them once, shared by every column split.
                for (int row = 0; row < rows; row++)
                {
                    int q = row / m, i = row % m;
                    for (int p = 0; p < k; p++)
                    {
                        gathered[row * k + p] = a[q * m * k + p * m + i];
                    }
                }
            }

            void Columns(int first, int last)
            {
                int j0 = first * chunk, j1 = Math.Min(n, last * chunk);
                for (int row = 0; row < rows; row++)
                {
                    int q = row / m, i = row % m;
                    var x = ta ? gathered.AsSpan(row * k, k) : a.AsSpan(q * m * k + i * k, k);
                    Row(x, b, q * k * n, n, j0, j1, c, row * n);
                }
            }

            if (parts <= 1)
            {
                Columns(0, columnBlocks);
            }
            else
            {
                ComputePool.For(parts, part => Columns((int)((long)columnBlocks * part / parts), (int)((long)columnBlocks * (part + 1) / parts)));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(gathered);
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
