using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Products with fewer columns than a vector and A not transposed (a classifier's logits, h·W with 10 columns):
/// each element is a dot product of a row of A with a row of Bᵀ, four columns at a time so that each loaded
/// piece of A feeds four FMAs. The packed kernel would compute a 12 × 32 tile for every 10 useful columns.
/// Every element is one fixed sequence (vector partial sums over k, then their sum, then the scalar tail), so
/// the split of rows over threads changes nothing.
/// </summary>
internal static class NarrowProduct<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // A property, not a static readonly field, for the reason given at PackedGemm's W.
    private static int W => Vector512<T>.Count;

    /// <summary>Multiply-adds from which the rows are split over the cores.</summary>
    private const long ParallelWork = 1L << 17;

    public static bool IsSupported => PackedGemm<T>.IsSupported;

    /// <summary>
    /// C[q] = A[q]·op(B[q]) with A row-major [m, k] and op(B) of n columns; B is [k, n], or [n, k] when <paramref name="tb"/>.
    /// A <paramref name="bias"/> of n elements is added to each finished element: bitwise the product followed by an add.
    /// </summary>
    public static void Multiply(int batch, int m, int n, int k, T[] a, T[] b, bool tb, T[] c, T[]? bias = null)
    {
        int rows = batch * m;
        int parts = (long)rows * n * k >= ParallelWork ? Math.Min(ComputePool.Threads, rows) : 1;
        if (parts == 1)
        {
            Part(0, rows, batch, m, n, k, a, b, tb, c, bias);
        }
        else
        {
            Parts(rows, batch, m, n, k, a, b, tb, c, parts, bias);
        }
    }

    // Its own method, with a static lambda over a state: a lambda capturing Multiply's parameters would allocate its closure on the serial path too.
    private static void Parts(int rows, int batch, int m, int n, int k, T[] a, T[] b, bool tb, T[] c, int parts, T[]? bias) =>
        ComputePool.For(parts, (rows, parts, batch, m, n, k, a, b, tb, c, bias), static (s, part) =>
            Part((int)((long)s.rows * part / s.parts), (int)((long)s.rows * (part + 1) / s.parts), s.batch, s.m, s.n, s.k, s.a, s.b, s.tb, s.c, s.bias));

    /// <summary>Rows [start, end) of C; with B not transposed, this part first writes its own copy of Bᵀ.</summary>
    /// <remarks>
    /// Each part transposes B for itself (a few microseconds for a classifier's [512, 10]): one shared copy, written
    /// by the calling core, made the other core fetch every line of it from the writer's cache, which cost
    /// several times the transposition.
    /// </remarks>
    private static void Part(int start, int end, int batch, int m, int n, int k, T[] a, T[] b, bool tb, T[] c, T[]? bias)
    {
        if (tb)
        {
            Rows(start, end, m, n, k, a, b, c);
            AddBias(start, end, n, c, bias);
            return;
        }

        T[] rowsOfB = ArrayPool<T>.Shared.Rent(batch * n * k);
        try
        {
            Transpose(batch, n, k, b, rowsOfB);
            Rows(start, end, m, n, k, a, rowsOfB, c);
            AddBias(start, end, n, c, bias);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rowsOfB);
        }
    }

    /// <summary>Adds the bias to rows [start, end) of C, which this part just wrote and still has in cache.</summary>
    private static void AddBias(int start, int end, int n, T[] c, T[]? bias)
    {
        if (bias is null)
        {
            return;
        }

        for (int row = start; row < end; row++)
        {
            for (int j = 0; j < n; j++)
            {
                c[row * n + j] += bias[j];
            }
        }
    }

    /// <summary>bt[q][j, p] = b[q][p, j] for B of [k, n] per batch entry: contiguous writes, reads of stride n within a few kilobytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(int batch, int n, int k, T[] b, T[] bt)
    {
        for (int q = 0; q < batch; q++)
        {
            ref T from = ref b[q * k * n];
            ref T to = ref bt[q * k * n];
            for (int j = 0; j < n; j++)
            {
                ref T column = ref Unsafe.Add(ref from, j);
                for (int p = 0; p < k; p++)
                {
                    to = Unsafe.Add(ref column, p * n);
                    to = ref Unsafe.Add(ref to, 1);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void Rows(int start, int end, int m, int n, int k, T[] a, T[] bt, T[] c)
    {
        for (int row = start; row < end; row++)
        {
            ref T x = ref a[row * k];
            int btBase = row / m * n * k;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                Dot4(k, ref x, ref bt[btBase + j * k], c, row * n + j);
            }

            for (; j < n; j++)
            {
                c[row * n + j] = Dot1(k, ref x, ref bt[btBase + j * k]);
            }
        }
    }

    /// <summary>c[at + r] = Σ_p x[p]·b_r[p] for the four consecutive rows b_0 … b_3 of Bᵀ starting at <paramref name="b"/>.</summary>
    /// <remarks>Two accumulators per column (even and odd chunks of k): eight independent FMA chains hide the FMA latency.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(int k, ref T x, ref T b, T[] c, int at)
    {
        ref T b1 = ref Unsafe.Add(ref b, k);
        ref T b2 = ref Unsafe.Add(ref b, 2 * k);
        ref T b3 = ref Unsafe.Add(ref b, 3 * k);
        Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<T> t0 = default, t1 = default, t2 = default, t3 = default;
        int w = W;
        int p = 0;
        for (; p + 2 * w <= k; p += 2 * w)
        {
            var xv = Vector512.LoadUnsafe(ref x, (nuint)p);
            var xw = Vector512.LoadUnsafe(ref x, (nuint)(p + w));
            s0 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b, (nuint)p), s0);
            s1 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b1, (nuint)p), s1);
            s2 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b2, (nuint)p), s2);
            s3 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b3, (nuint)p), s3);
            t0 = PackedGemm<T>.Fma(xw, Vector512.LoadUnsafe(ref b, (nuint)(p + w)), t0);
            t1 = PackedGemm<T>.Fma(xw, Vector512.LoadUnsafe(ref b1, (nuint)(p + w)), t1);
            t2 = PackedGemm<T>.Fma(xw, Vector512.LoadUnsafe(ref b2, (nuint)(p + w)), t2);
            t3 = PackedGemm<T>.Fma(xw, Vector512.LoadUnsafe(ref b3, (nuint)(p + w)), t3);
        }

        if (p + w <= k)
        {
            var xv = Vector512.LoadUnsafe(ref x, (nuint)p);
            s0 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b, (nuint)p), s0);
            s1 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b1, (nuint)p), s1);
            s2 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b2, (nuint)p), s2);
            s3 = PackedGemm<T>.Fma(xv, Vector512.LoadUnsafe(ref b3, (nuint)p), s3);
            p += w;
        }

        T r0 = Vector512.Sum(s0 + t0), r1 = Vector512.Sum(s1 + t1), r2 = Vector512.Sum(s2 + t2), r3 = Vector512.Sum(s3 + t3);
        for (; p < k; p++)
        {
            T xp = Unsafe.Add(ref x, p);
            r0 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b, p), r0);
            r1 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b1, p), r1);
            r2 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b2, p), r2);
            r3 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b3, p), r3);
        }

        c[at] = r0;
        c[at + 1] = r1;
        c[at + 2] = r2;
        c[at + 3] = r3;
    }

    /// <summary>Σ_p x[p]·b[p], with the same order of operations as each column of <see cref="Dot4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Dot1(int k, ref T x, ref T b)
    {
        Vector512<T> s = default, t = default;
        int w = W;
        int p = 0;
        for (; p + 2 * w <= k; p += 2 * w)
        {
            s = PackedGemm<T>.Fma(Vector512.LoadUnsafe(ref x, (nuint)p), Vector512.LoadUnsafe(ref b, (nuint)p), s);
            t = PackedGemm<T>.Fma(Vector512.LoadUnsafe(ref x, (nuint)(p + w)), Vector512.LoadUnsafe(ref b, (nuint)(p + w)), t);
        }

        if (p + w <= k)
        {
            s = PackedGemm<T>.Fma(Vector512.LoadUnsafe(ref x, (nuint)p), Vector512.LoadUnsafe(ref b, (nuint)p), s);
            p += w;
        }

        T r = Vector512.Sum(s + t);
        for (; p < k; p++)
        {
            r = T.FusedMultiplyAdd(Unsafe.Add(ref x, p), Unsafe.Add(ref b, p), r);
        }

        return r;
    }
}
