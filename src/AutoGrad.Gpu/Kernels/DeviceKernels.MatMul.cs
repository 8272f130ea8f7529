using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>What the matrix product does with each output (<see cref="MatMulShape.Epilogue"/>); kernel uniforms are ints.</summary>
internal static class MatMulEpilogue
{
    /// <summary>c = p, the product itself.</summary>
    public const int None = 0;

    /// <summary>c = p with every sum started from the bias of its column (MatMulAddRow, as <c>addmm</c>).</summary>
    public const int AddRow = 1;

    /// <summary>c = p·α + y·β (MatMulAxpby with the product first).</summary>
    public const int AxpbyProductFirst = 2;

    /// <summary>c = y·β + p·α (MatMulAxpby with y first).</summary>
    public const int AxpbyYFirst = 3;

    /// <summary>c = p · dy/dx from s (MatMulActivationGrad, the kind in <see cref="MatMulShape.Kind"/>).</summary>
    public const int ActivationGrad = 4;
}

/// <summary>The sizes, flags and epilogue of one (batched) matrix product, passed to the kernel by value.</summary>
internal readonly struct MatMulShape
{
    public readonly int M, N, K, TransposeA, TransposeB;

    /// <summary>A <see cref="MatMulEpilogue"/> value; <see cref="Kind"/> is the <see cref="Backends.ActivationGradKind"/> of <see cref="MatMulEpilogue.ActivationGrad"/>.</summary>
    public readonly int Epilogue, Kind;

    /// <summary>The Axpby epilogue's α and β, rounded to the element type in the kernel (as the CPU backend rounds them).</summary>
    public readonly double Alpha, Beta;

    public MatMulShape(int m, int n, int k, bool transposeA, bool transposeB, int epilogue = MatMulEpilogue.None, int kind = 0, double alpha = 0, double beta = 0)
    {
        M = m;
        N = n;
        K = k;
        TransposeA = transposeA ? 1 : 0;
        TransposeB = transposeB ? 1 : 0;
        Epilogue = epilogue;
        Kind = kind;
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>True when the epilogue reads an operand of C's shape (y or s) at each output's position.</summary>
    public bool ReadsOperandPerOutput => Epilogue >= MatMulEpilogue.AxpbyProductFirst;
}

/// <summary>The launch geometry of <see cref="DeviceKernels.MatMul{T, TE}"/> (host side; not kernels).</summary>
internal static class MatMulTiling
{
    /// <summary>Threads per group along each axis on accelerators that allow 256-thread groups.</summary>
    public const int Threads = 16;

    /// <summary>Outputs per thread along each axis (a 4×4 register block).</summary>
    public const int Block = 4;

    /// <summary>The side of the square tile of C a group of t×t threads computes.</summary>
    public static int Tile(int threads) => Block * threads;

    /// <summary>Shared-memory elements the product needs with t threads per axis: two slices of t × <see cref="Tile"/>(t).</summary>
    public static int SharedElements(int threads) => 2 * threads * Tile(threads);
}

/// <summary>Four values of one row or column of a register block.</summary>
internal struct Quad<T>
    where T : unmanaged
{
    public T X0, X1, X2, X3;

    public Quad(T x0, T x1, T x2, T x3)
    {
        X0 = x0;
        X1 = x1;
        X2 = x2;
        X3 = x3;
    }
}

/// <summary>
/// The matrix product: a shared-memory tiled kernel, explicitly grouped. A square group of t×t threads (t from the
/// accelerator: 16 on GPUs, smaller where groups are smaller, such as ILGPU's CPU accelerator) computes a 4t-square
/// tile of C, each thread a 4×4 block of it in registers (rows and columns t apart); the group steps through k in
/// slices of t, staging the slice of op(A) and op(B) in dynamic shared memory (8t² elements). Every element of C is
/// acc ← acc + a·b over p = 0, 1, …, k−1 in order, from zero (or the bias), the product and the sum each rounded
/// (<c>mul.rn</c>, <c>add.rn</c> on CUDA, which ptxas may not contract): the result does not depend on t, the tiling,
/// the launch or the accelerator, and padding never enters a sum. An epilogue (<see cref="MatMulEpilogue"/>) is applied
/// to each finished sum as it is stored, in the element type with the roundings of the unfused Axpby or ActivationGrad
/// kernel: the fused product is the pair's result bit for bit, with no second pass over C.
/// </summary>
/// <remarks>
/// Not an FMA chain, though <c>fma.rn</c> would be one instruction instead of two: ILGPU 1.5 has no FMA intrinsic, and a
/// <c>MathF.FusedMultiplyAdd</c> fallback for the CPU accelerator, even behind <c>CudaAsm.IsSupported</c>, is emitted into
/// the PTX as a call to an unresolved <c>.extern .func</c>, which the driver's linker may refuse. With plain rounded
/// products the CPU accelerator's tests check exactly the arithmetic a GPU does.
/// </remarks>
internal static partial class DeviceKernels
{
    /// <summary>
    /// c[bt] = epilogue(op(a[bt])·op(b[bt])): grid (tiles of n, tiles of m, batch), groups (t, t) with
    /// <see cref="MatMulTiling.SharedElements"/>(t) dynamic shared elements. a is (m×k) or, transposed, (k×m); b is (k×n)
    /// or (n×k); c is (m×n); all contiguous, batches one after another. <paramref name="operand"/> is the epilogue's: the
    /// bias (n) of <see cref="MatMulEpilogue.AddRow"/>, y or s (shaped and batched as c, possibly c itself) of the others,
    /// unused (any view) for <see cref="MatMulEpilogue.None"/>.
    /// </summary>
    public static void MatMul<T, TE>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> operand, ArrayView<T> c, MatMulShape s)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int t = Group.DimX, tile = MatMulTiling.Block * t, depth = t, slice = depth * tile;
        var shared = SharedMemory.GetDynamic<T>();
        var aTile = shared.SubView(0, slice); // aTile[p·tile + i] = op(A)[row0 + i, p0 + p]
        var bTile = shared.SubView(slice, slice); // bTile[p·tile + j] = op(B)[p0 + p, col0 + j]

        int tx = Group.IdxX, ty = Group.IdxY, tid = (ty * t) + tx;
        int row0 = Grid.IdxY * tile, col0 = Grid.IdxX * tile, batch = Grid.IdxZ;
        int m = s.M, n = s.N, k = s.K;
        int aBase = batch * m * k, bBase = batch * k * n, cBase = batch * m * n;

        // This thread's outputs: rows row0 + ty + t·r and columns col0 + tx + t·q for r, q = 0…3.
        T zero = e.FromDouble(0.0);
        var start = new Quad<T>(zero, zero, zero, zero);
        if (s.Epilogue == MatMulEpilogue.AddRow)
        {
            int c0 = col0 + tx;
            start = new Quad<T>(
                c0 < n ? operand[c0] : zero,
                c0 + t < n ? operand[c0 + t] : zero,
                c0 + (2 * t) < n ? operand[c0 + (2 * t)] : zero,
                c0 + (3 * t) < n ? operand[c0 + (3 * t)] : zero);
        }

        Quad<T> acc0 = start, acc1 = start, acc2 = start, acc3 = start;
        for (int p0 = 0; p0 < k; p0 += depth)
        {
            // Stage the slices, consecutive threads reading consecutive addresses of the stored (possibly transposed)
            // matrix.
            for (int l = tid; l < slice; l += t * t)
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
                int at = p * tile;
                var bq = new Quad<T>(bTile[at + tx], bTile[at + tx + t], bTile[at + tx + (2 * t)], bTile[at + tx + (3 * t)]);
                acc0 = MulAdd<T, TE>(aTile[at + ty], bq, acc0);
                acc1 = MulAdd<T, TE>(aTile[at + ty + t], bq, acc1);
                acc2 = MulAdd<T, TE>(aTile[at + ty + (2 * t)], bq, acc2);
                acc3 = MulAdd<T, TE>(aTile[at + ty + (3 * t)], bq, acc3);
            }

            Group.Barrier();
        }

        int r = row0 + ty, col = col0 + tx;
        if (s.ReadsOperandPerOutput)
        {
            T alpha = e.FromDouble(s.Alpha), beta = e.FromDouble(s.Beta);
            StoreRowWithEpilogue<T, TE>(c, operand, cBase, r, col, t, s, alpha, beta, acc0);
            StoreRowWithEpilogue<T, TE>(c, operand, cBase, r + t, col, t, s, alpha, beta, acc1);
            StoreRowWithEpilogue<T, TE>(c, operand, cBase, r + (2 * t), col, t, s, alpha, beta, acc2);
            StoreRowWithEpilogue<T, TE>(c, operand, cBase, r + (3 * t), col, t, s, alpha, beta, acc3);
            return;
        }

        StoreRow(c, cBase, r, col, t, m, n, acc0);
        StoreRow(c, cBase, r + t, col, t, m, n, acc1);
        StoreRow(c, cBase, r + (2 * t), col, t, m, n, acc2);
        StoreRow(c, cBase, r + (3 * t), col, t, m, n, acc3);
    }

    /// <summary>acc + a·b for each of the four b: the product rounded, then the sum (no FMA; see the class summary).</summary>
    private static Quad<T> MulAdd<T, TE>(T a, Quad<T> b, Quad<T> acc)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        return new Quad<T>(
            e.Add(acc.X0, e.Mul(a, b.X0)),
            e.Add(acc.X1, e.Mul(a, b.X1)),
            e.Add(acc.X2, e.Mul(a, b.X2)),
            e.Add(acc.X3, e.Mul(a, b.X3)));
    }

    /// <summary>Writes the row's four outputs at columns col, col + t, col + 2t, col + 3t that lie inside (m×n).</summary>
    private static void StoreRow<T>(ArrayView<T> c, int cBase, int row, int col, int t, int m, int n, Quad<T> v)
        where T : unmanaged
    {
        if (row >= m)
        {
            return;
        }

        int at = cBase + (row * n);
        if (col < n)
        {
            c[at + col] = v.X0;
        }

        if (col + t < n)
        {
            c[at + col + t] = v.X1;
        }

        if (col + (2 * t) < n)
        {
            c[at + col + (2 * t)] = v.X2;
        }

        if (col + (3 * t) < n)
        {
            c[at + col + (3 * t)] = v.X3;
        }
    }

    /// <summary>
    /// As <see cref="StoreRow"/>, each output through the epilogue of <paramref name="s"/>, which reads the operand at the
    /// output's own position just before writing it (so the operand may be c itself: an update in place).
    /// </summary>
    private static void StoreRowWithEpilogue<T, TE>(ArrayView<T> c, ArrayView<T> operand, int cBase, int row, int col, int t, MatMulShape s, T alpha, T beta, Quad<T> v)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        int n = s.N;
        if (row >= s.M)
        {
            return;
        }

        int at = cBase + (row * n);
        if (col < n)
        {
            c[at + col] = Epilogue<T, TE>(v.X0, operand[at + col], s, alpha, beta);
        }

        if (col + t < n)
        {
            c[at + col + t] = Epilogue<T, TE>(v.X1, operand[at + col + t], s, alpha, beta);
        }

        if (col + (2 * t) < n)
        {
            c[at + col + (2 * t)] = Epilogue<T, TE>(v.X2, operand[at + col + (2 * t)], s, alpha, beta);
        }

        if (col + (3 * t) < n)
        {
            c[at + col + (3 * t)] = Epilogue<T, TE>(v.X3, operand[at + col + (3 * t)], s, alpha, beta);
        }
    }

    /// <summary>
    /// One output of a fused product p with its operand value: the <see cref="Axpby{T, TE}"/> kernel's
    /// <c>x·α + y·β</c> with the product as x (y first: as y), or the <see cref="ActivationGrad{T, TE}"/> kernel's
    /// <c>g · dy/dx</c> with the product as g; the same operations and roundings, so the same bits.
    /// </summary>
    private static T Epilogue<T, TE>(T product, T operand, MatMulShape s, T alpha, T beta)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        if (s.Epilogue == MatMulEpilogue.ActivationGrad)
        {
            return e.Mul(product, ActivationDerivative<T, TE>(s.Kind, operand));
        }

        T scaledProduct = e.Mul(product, alpha), scaledY = e.Mul(operand, beta);
        return s.Epilogue == MatMulEpilogue.AxpbyProductFirst ? e.Add(scaledProduct, scaledY) : e.Add(scaledY, scaledProduct);
    }
}
