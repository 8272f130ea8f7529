using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// A packed, register-tiled matrix multiply for float and double. op(B) is packed once per product into
/// panels of NR = 2 vectors (k-major, zero-padded), each block of MR = 6 rows of op(A) into a k-major strip;
/// the micro-kernel then keeps a 6 × 2-vector tile of C in registers and runs one fused multiply-add per
/// element per k. Packing makes the transposed products of backward as fast as the plain one. Each element
/// of C is a fixed sequence of FMAs in k order, so the result does not depend on threading.
/// </summary>
internal static class PackedGemm<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int MR = 6;

    /// <summary>The k-block: 256 rows of a B panel (32 KB in float32) sit in L1/L2 while every row strip passes over them.</summary>
    private const int KC = 256;
    private static readonly int W = Vector512<T>.Count;
    private static readonly int NR = 2 * W;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>C[b] = op(A[b])·op(B[b]) for each batch entry; all buffers contiguous as in <see cref="IBackend.MatMul"/>.</summary>
    public static void Multiply(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c)
    {
        int panels = (n + NR - 1) / NR;
        int blocks = (m + MR - 1) / MR;
        T[] packedB = ArrayPool<T>.Shared.Rent(Math.Max(1, panels * NR * Math.Min(k, KC)));
        try
        {
            for (int q = 0; q < batch; q++)
            {
                int aBase = q * m * k, bBase = q * k * n, cBase = q * m * n;

                // Block over k so that a block's packed B panels stay in cache; later blocks add into C.
                // Each element of C still sees its products in k order, so the result is unchanged.
                for (int k0 = 0; k0 < k; k0 += KC)
                {
                    int kc = Math.Min(KC, k - k0);
                    bool accumulate = k0 > 0;
                    PackB(b, bBase, tb, k, n, k0, kc, packedB);
                    long work = (long)m * n * kc;
                    int chunks = work >= (1L << 18) ? Math.Min(blocks, Environment.ProcessorCount * 4) : 1;
                    if (chunks > 1)
                    {
                        Parallel.For(0, chunks, chunk =>
                            Blocks((int)((long)blocks * chunk / chunks), (int)((long)blocks * (chunk + 1) / chunks), m, n, k, k0, kc, accumulate, a, aBase, ta, packedB, panels, c, cBase));
                    }
                    else
                    {
                        Blocks(0, blocks, m, n, k, k0, kc, accumulate, a, aBase, ta, packedB, panels, c, cBase);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(packedB);
        }
    }

    /// <summary>packed[p][kk][j] = op(B)[k0 + kk, p·NR + j] for kk &lt; kc, zero beyond n.</summary>
    private static void PackB(T[] b, int bBase, bool tb, int k, int n, int k0, int kc, T[] packed)
    {
        int panels = (n + NR - 1) / NR;
        for (int p = 0; p < panels; p++)
        {
            int col0 = p * NR;
            int width = Math.Min(NR, n - col0);
            int dst = p * NR * kc;
            for (int kk = 0; kk < kc; kk++, dst += NR)
            {
                if (!tb)
                {
                    Array.Copy(b, bBase + (k0 + kk) * n + col0, packed, dst, width);
                }
                else
                {
                    for (int j = 0; j < width; j++)
                    {
                        packed[dst + j] = b[bBase + (col0 + j) * k + k0 + kk];
                    }
                }

                for (int j = width; j < NR; j++)
                {
                    packed[dst + j] = T.Zero;
                }
            }
        }
    }

    private static void Blocks(int first, int last, int m, int n, int k, int k0, int kc, bool accumulate, T[] a, int aBase, bool ta, T[] packedB, int panels, T[] c, int cBase)
    {
        T[] packedA = ArrayPool<T>.Shared.Rent(Math.Max(1, MR * kc));
        T[] edge = ArrayPool<T>.Shared.Rent(MR * NR);
        try
        {
            for (int block = first; block < last; block++)
            {
                int row0 = block * MR;
                int rows = Math.Min(MR, m - row0);
                PackA(a, aBase, ta, m, k, k0, kc, row0, rows, packedA);
                for (int p = 0; p < panels; p++)
                {
                    int col0 = p * NR;
                    int cols = Math.Min(NR, n - col0);
                    if (rows == MR && cols == NR)
                    {
                        Kernel(kc, packedA, packedB, p * NR * kc, c, cBase + row0 * n + col0, n, accumulate);
                    }
                    else
                    {
                        // Edge tile: run a full tile in a scratch buffer (holding C's partial sums when
                        // accumulating), then copy the valid part back.
                        if (accumulate)
                        {
                            for (int r = 0; r < rows; r++)
                            {
                                Array.Copy(c, cBase + (row0 + r) * n + col0, edge, r * NR, cols);
                            }
                        }

                        Kernel(kc, packedA, packedB, p * NR * kc, edge, 0, NR, accumulate);
                        for (int r = 0; r < rows; r++)
                        {
                            Array.Copy(edge, r * NR, c, cBase + (row0 + r) * n + col0, cols);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(packedA);
            ArrayPool<T>.Shared.Return(edge);
        }
    }

    /// <summary>packed[kk·MR + r] = op(A)[row0 + r, k0 + kk] for kk &lt; kc, zero for rows beyond m.</summary>
    private static void PackA(T[] a, int aBase, bool ta, int m, int k, int k0, int kc, int row0, int rows, T[] packed)
    {
        for (int r = 0; r < MR; r++)
        {
            if (r >= rows)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    packed[kk * MR + r] = T.Zero;
                }

                continue;
            }

            int i = row0 + r;
            if (!ta)
            {
                int src = aBase + i * k + k0;
                for (int kk = 0; kk < kc; kk++)
                {
                    packed[kk * MR + r] = a[src + kk];
                }
            }
            else
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    packed[kk * MR + r] = a[aBase + (k0 + kk) * m + i];
                }
            }
        }
    }

    /// <summary>The 6 × 2-vector tile: C[r, j] = Σ_kk A[kk, r]·B[kk, j], written to c at cOff with row stride ldc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int k, T[] packedA, T[] packedB, int bOff, T[] c, int cOff, int ldc, bool accumulate)
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int w = W;
        ref T pc = ref c[cOff];
        if (accumulate)
        {
            c00 = Vector512.LoadUnsafe(ref pc);
            c01 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, w));
            c10 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, ldc));
            c11 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, ldc + w));
            c20 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 2 * ldc));
            c21 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 2 * ldc + w));
            c30 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 3 * ldc));
            c31 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 3 * ldc + w));
            c40 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 4 * ldc));
            c41 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 4 * ldc + w));
            c50 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 5 * ldc));
            c51 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 5 * ldc + w));
        }

        ref T pa = ref packedA[0];
        ref T pb = ref packedB[bOff];
        for (int kk = 0; kk < k; kk++)
        {
            var b0 = Vector512.LoadUnsafe(ref pb);
            var b1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pb, w));
            var a0 = Vector512.Create(pa);
            c00 = Fma(a0, b0, c00);
            c01 = Fma(a0, b1, c01);
            var a1 = Vector512.Create(Unsafe.Add(ref pa, 1));
            c10 = Fma(a1, b0, c10);
            c11 = Fma(a1, b1, c11);
            var a2 = Vector512.Create(Unsafe.Add(ref pa, 2));
            c20 = Fma(a2, b0, c20);
            c21 = Fma(a2, b1, c21);
            var a3 = Vector512.Create(Unsafe.Add(ref pa, 3));
            c30 = Fma(a3, b0, c30);
            c31 = Fma(a3, b1, c31);
            var a4 = Vector512.Create(Unsafe.Add(ref pa, 4));
            c40 = Fma(a4, b0, c40);
            c41 = Fma(a4, b1, c41);
            var a5 = Vector512.Create(Unsafe.Add(ref pa, 5));
            c50 = Fma(a5, b0, c50);
            c51 = Fma(a5, b1, c51);
            pa = ref Unsafe.Add(ref pa, MR);
            pb = ref Unsafe.Add(ref pb, 2 * w);
        }

        c00.StoreUnsafe(ref pc);
        c01.StoreUnsafe(ref Unsafe.Add(ref pc, w));
        c10.StoreUnsafe(ref Unsafe.Add(ref pc, ldc));
        c11.StoreUnsafe(ref Unsafe.Add(ref pc, ldc + w));
        c20.StoreUnsafe(ref Unsafe.Add(ref pc, 2 * ldc));
        c21.StoreUnsafe(ref Unsafe.Add(ref pc, 2 * ldc + w));
        c30.StoreUnsafe(ref Unsafe.Add(ref pc, 3 * ldc));
        c31.StoreUnsafe(ref Unsafe.Add(ref pc, 3 * ldc + w));
        c40.StoreUnsafe(ref Unsafe.Add(ref pc, 4 * ldc));
        c41.StoreUnsafe(ref Unsafe.Add(ref pc, 4 * ldc + w));
        c50.StoreUnsafe(ref Unsafe.Add(ref pc, 5 * ldc));
        c51.StoreUnsafe(ref Unsafe.Add(ref pc, 5 * ldc + w));
    }

    /// <summary>a·b + c in one rounding (the JIT folds the type test away per instantiation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }
}
