using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>The sizes and flags of one (batched) matrix product, passed to the kernel by value.</summary>
internal readonly struct MatMulShape
{
    public readonly int M, N, K, TransposeA, TransposeB, HasBias;

    public MatMulShape(int m, int n, int k, bool transposeA, bool transposeB, bool hasBias)
    {
        M = m;
        N = n;
        K = k;
        TransposeA = transposeA ? 1 : 0;
        TransposeB = transposeB ? 1 : 0;
        HasBias = hasBias ? 1 : 0;
    }
}

/// <summary>The launch geometry of <see cref="DeviceKernels.MatMul{T, TE}"/> (host side; not kernels).</summary>
internal static class MatMulTiling
{
    /// <summary>Threads per group along each axis on accelerators that allow 256-thread groups.</summary>
    public const int Threads = 16;

    /// <summary>Shared-memory elements the product needs with t threads per axis: two slices of t × 2t.</summary>
    public static int SharedElements(int threads) => 4 * threads * threads;
}

/// <summary>
/// The matrix product: a shared-memory tiled kernel, explicitly grouped. A square group of t×t threads (t from the
/// accelerator: 16 on GPUs, smaller where groups are smaller, such as ILGPU's CPU accelerator) computes a 2t-square
/// tile of C, each thread a 2×2 block of it in registers; the group steps through k in slices of t, staging the slice
/// of op(A) and op(B) in dynamic shared memory (4t² elements). Every element of C is one fused multiply-add chain over
/// p = 0, 1, …, k−1 in order, from zero (or the bias): the result does not depend on t, the tiling, the launch or the
/// accelerator (CUDA's <c>fma.rn</c>, .NET's FusedMultiplyAdd on the CPU accelerator), and padding never enters a sum.
/// </summary>
internal static partial class DeviceKernels
{
    /// <summary>
    /// c[bt] = op(a[bt])·op(b[bt]) (+ bias on every row when <see cref="MatMulShape.HasBias"/>): grid (tiles of n,
    /// tiles of m, batch), groups (t, t) with <see cref="MatMulTiling.SharedElements"/>(t) dynamic shared elements. a is (m×k)
    /// or, transposed, (k×m); b is (k×n) or (n×k); c is (m×n); all contiguous, batches one after another.
    /// </summary>
    public static void MatMul<T, TE>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> bias, ArrayView<T> c, MatMulShape s)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int threads = Group.DimX, tile = 2 * threads, depth = threads, slice = depth * tile;
        var shared = SharedMemory.GetDynamic<T>();
        var aTile = shared.SubView(0, slice); // aTile[p·tile + i] = op(A)[row0 + i, p0 + p]
        var bTile = shared.SubView(slice, slice); // bTile[p·tile + j] = op(B)[p0 + p, col0 + j]

        int tx = Group.IdxX, ty = Group.IdxY, tid = (ty * threads) + tx;
        int row0 = Grid.IdxY * tile, col0 = Grid.IdxX * tile, batch = Grid.IdxZ;
        int m = s.M, n = s.N, k = s.K;
        int aBase = batch * m * k, bBase = batch * k * n, cBase = batch * m * n;

        // The four outputs of this thread: rows row0 + ty (+ threads), columns col0 + tx (+ threads).
        int r0 = row0 + ty, r1 = r0 + threads, c0 = col0 + tx, c1 = c0 + threads;
        T zero = e.FromDouble(0.0);
        T acc00 = zero, acc01 = zero, acc10 = zero, acc11 = zero;
        if (s.HasBias != 0)
        {
            T bias0 = c0 < n ? bias[c0] : zero, bias1 = c1 < n ? bias[c1] : zero;
            acc00 = bias0;
            acc10 = bias0;
            acc01 = bias1;
            acc11 = bias1;
        }

        for (int p0 = 0; p0 < k; p0 += depth)
        {
            // Stage the slices, two elements of each per thread, consecutive threads reading consecutive addresses of
            // the stored (possibly transposed) matrix.
            for (int l = tid; l < slice; l += threads * threads)
            {
                int i, p;
                if (s.TransposeA != 0)
                {
                    p = l / tile;
                    i = l - (p * tile);
                }
                else
                {
                    i = l / depth;
                    p = l - (i * depth);
                }

                int gi = row0 + i, gp = p0 + p;
                aTile[(p * tile) + i] = gi < m && gp < k
                    ? a[aBase + (s.TransposeA != 0 ? (gp * m) + gi : (gi * k) + gp)]
                    : zero;

                int j;
                if (s.TransposeB != 0)
                {
                    j = l / depth;
                    p = l - (j * depth);
                }
                else
                {
                    p = l / tile;
                    j = l - (p * tile);
                }

                int gj = col0 + j;
                gp = p0 + p;
                bTile[(p * tile) + j] = gj < n && gp < k
                    ? b[bBase + (s.TransposeB != 0 ? (gj * k) + gp : (gp * n) + gj)]
                    : zero;
            }

            Group.Barrier();

            // Only the slice's real depth: padding would add +0 to a −0 sum.
            int real = k - p0 < depth ? k - p0 : depth;
            for (int p = 0; p < real; p++)
            {
                T a0 = aTile[(p * tile) + ty], a1 = aTile[(p * tile) + ty + threads];
                T b0 = bTile[(p * tile) + tx], b1 = bTile[(p * tile) + tx + threads];
                acc00 = e.MulAdd(a0, b0, acc00);
                acc01 = e.MulAdd(a0, b1, acc01);
                acc10 = e.MulAdd(a1, b0, acc10);
                acc11 = e.MulAdd(a1, b1, acc11);
            }

            Group.Barrier();
        }

        if (r0 < m)
        {
            if (c0 < n)
            {
                c[cBase + (r0 * n) + c0] = acc00;
            }

            if (c1 < n)
            {
                c[cBase + (r0 * n) + c1] = acc01;
            }
        }

        if (r1 < m)
        {
            if (c0 < n)
            {
                c[cBase + (r1 * n) + c0] = acc10;
            }

            if (c1 < n)
            {
                c[cBase + (r1 * n) + c1] = acc11;
            }
        }
    }
}
