using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Products with fewer columns than a vector and A not transposed (a classifier's logits, h·W with 10 columns):
/// each element is a dot product of a row of A with a row of Bᵀ, four rows by four columns at a time so that each
/// loaded piece of A or Bᵀ feeds four FMAs. The packed kernel would compute a 12 × 32 tile for every 10 useful columns.
/// Every element is one fixed sequence (a vector sum over k, then its horizontal sum, then the scalar tail), so
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
        // Blocks of four rows never straddle two batch entries: each entry has its own Bᵀ.
        for (int q = start / m; q * m < end; q++)
        {
            int first = Math.Max(start, q * m), last = Math.Min(end, (q + 1) * m);
            int btBase = q * n * k;
            for (int row = first; row < last; row += 4)
            {
                int rows = Math.Min(4, last - row);
                // Rows and columns past the edge repeat the last one: computed alongside, never stored.
                ref T x0 = ref a[row * k];
                ref T x1 = ref a[(row + Math.Min(1, rows - 1)) * k];
                ref T x2 = ref a[(row + Math.Min(2, rows - 1)) * k];
                ref T x3 = ref a[(row + Math.Min(3, rows - 1)) * k];
                for (int j = 0; j < n; j += 4)
                {
                    int cols = Math.Min(4, n - j);
                    ref T b0 = ref bt[btBase + j * k];
                    ref T b1 = ref bt[btBase + (j + Math.Min(1, cols - 1)) * k];
                    ref T b2 = ref bt[btBase + (j + Math.Min(2, cols - 1)) * k];
                    ref T b3 = ref bt[btBase + (j + Math.Min(3, cols - 1)) * k];
                    Block(k, ref x0, ref x1, ref x2, ref x3, ref b0, ref b1, ref b2, ref b3, c, row * n + j, n, rows, cols);
                }
            }
        }
    }

    /// <summary>
    /// c[at + r·ldc + j] = Σ_p x_r[p]·b_j[p] for r &lt; rows and j &lt; cols (at most 4 × 4): sixteen dot products sharing
    /// each loaded piece of A and of Bᵀ. Every element is one accumulator over k's whole vectors in order, its
    /// <see cref="Sum"/>, then the scalar tail: the same wherever in a block it falls.
    /// </summary>
    /// <remarks>
    /// Why four by four: per vector of k, 8 loads feed 16 independent multiply-add chains, so the FMA units set the
    /// rate. One row against four columns (two accumulators per column) needed 10 loads per 8 FMAs, and the columns
    /// left over (n = 10: 8, 9) ran one at a time on two chains; a 512×512·512×10 product took 122 µs on one core.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(int k, ref T x0, ref T x1, ref T x2, ref T x3, ref T b0, ref T b1, ref T b2, ref T b3, T[] c, int at, int ldc, int rows, int cols)
    {
        Vector512<T> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<T> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<T> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<T> s30 = default, s31 = default, s32 = default, s33 = default;
        int w = W;
        int p = 0;
        for (; p + w <= k; p += w)
        {
            var v0 = Vector512.LoadUnsafe(ref b0, (nuint)p);
            var v1 = Vector512.LoadUnsafe(ref b1, (nuint)p);
            var v2 = Vector512.LoadUnsafe(ref b2, (nuint)p);
            var v3 = Vector512.LoadUnsafe(ref b3, (nuint)p);
            var x = Vector512.LoadUnsafe(ref x0, (nuint)p);
            s00 = PackedGemm<T>.Fma(x, v0, s00);
            s01 = PackedGemm<T>.Fma(x, v1, s01);
            s02 = PackedGemm<T>.Fma(x, v2, s02);
            s03 = PackedGemm<T>.Fma(x, v3, s03);
            x = Vector512.LoadUnsafe(ref x1, (nuint)p);
            s10 = PackedGemm<T>.Fma(x, v0, s10);
            s11 = PackedGemm<T>.Fma(x, v1, s11);
            s12 = PackedGemm<T>.Fma(x, v2, s12);
            s13 = PackedGemm<T>.Fma(x, v3, s13);
            x = Vector512.LoadUnsafe(ref x2, (nuint)p);
            s20 = PackedGemm<T>.Fma(x, v0, s20);
            s21 = PackedGemm<T>.Fma(x, v1, s21);
            s22 = PackedGemm<T>.Fma(x, v2, s22);
            s23 = PackedGemm<T>.Fma(x, v3, s23);
            x = Vector512.LoadUnsafe(ref x3, (nuint)p);
            s30 = PackedGemm<T>.Fma(x, v0, s30);
            s31 = PackedGemm<T>.Fma(x, v1, s31);
            s32 = PackedGemm<T>.Fma(x, v2, s32);
            s33 = PackedGemm<T>.Fma(x, v3, s33);
        }

        Finish(p, k, ref x0, ref b0, ref b1, ref b2, ref b3, s00, s01, s02, s03, c, at, cols);
        if (rows > 1)
        {
            Finish(p, k, ref x1, ref b0, ref b1, ref b2, ref b3, s10, s11, s12, s13, c, at + ldc, cols);
        }

        if (rows > 2)
        {
            Finish(p, k, ref x2, ref b0, ref b1, ref b2, ref b3, s20, s21, s22, s23, c, at + 2 * ldc, cols);
        }

        if (rows > 3)
        {
            Finish(p, k, ref x3, ref b0, ref b1, ref b2, ref b3, s30, s31, s32, s33, c, at + 3 * ldc, cols);
        }
    }

    /// <summary>One row of a block: each column's vector sum, the scalar tail from p on, stored for the first <paramref name="cols"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(int p, int k, ref T x, ref T b0, ref T b1, ref T b2, ref T b3, Vector512<T> s0, Vector512<T> s1, Vector512<T> s2, Vector512<T> s3, T[] c, int at, int cols)
    {
        T r0 = Sum(s0), r1 = Sum(s1), r2 = Sum(s2), r3 = Sum(s3);
        for (; p < k; p++)
        {
            T xp = Unsafe.Add(ref x, p);
            r0 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b0, p), r0);
            r1 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b1, p), r1);
            r2 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b2, p), r2);
            r3 = T.FusedMultiplyAdd(xp, Unsafe.Add(ref b3, p), r3);
        }

        c[at] = r0;
        if (cols > 1)
        {
            c[at + 1] = r1;
        }

        if (cols > 2)
        {
            c[at + 2] = r2;
        }

        if (cols > 3)
        {
            c[at + 3] = r3;
        }
    }

    /// <summary>
    /// The lanes' sum, halving the vector each step (upper half onto lower, four times for float32): 8 instructions where
    /// <see cref="Vector512.Sum{T}(Vector512{T})"/> emitted 25, which took a third of a block's time at k = 512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Sum(Vector512<T> v)
    {
        var half = v.GetLower() + v.GetUpper();
        var quarter = half.GetLower() + half.GetUpper();
        if (typeof(T) == typeof(float))
        {
            var f = quarter.AsSingle();
            f += Vector128.Shuffle(f, Vector128.Create(2, 3, 0, 1));
            f += Vector128.Shuffle(f, Vector128.Create(1, 0, 3, 2));
            return f.As<float, T>().ToScalar();
        }

        var d = quarter.AsDouble();
        d += Vector128.Shuffle(d, Vector128.Create(1L, 0L));
        return d.As<double, T>().ToScalar();
    }
}
