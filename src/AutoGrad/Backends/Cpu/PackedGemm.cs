using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// A packed, register-tiled matrix multiply for float and double. op(B) is packed into panels of NR = 2
/// vectors (k-major, zero-padded), op(A) into strips of MR = 12 rows (k-major); the micro-kernel keeps a
/// 12 × 2-vector tile of C in 24 registers and runs one fused multiply-add per element per k. Packing makes
/// the transposed products of backward as fast as the plain one. A job with a single strip of A reads B's whole panels in
/// place instead (each panel is used once, so a packed copy would only be read once too). Each element of C is a fixed sequence of
/// FMAs in k order, so the result does not depend on threading.
/// </summary>
/// <remarks>
/// Why 12 × 2: per k the tile loads 2 vectors of B and broadcasts 12 elements of A for 24 FMAs. The 6 × 2
/// tile (8 loads per 12 FMAs) reaches the FMA peak only while its B panel sits in L1 and drops ~12% once
/// panels stream from L2, which they do here: the panels of a chunk pass under each strip of A in turn.
/// Measured on a Xeon with AVX-512 (one core, L2-resident B): 6 × 2 149,
/// 12 × 2 168, 8 × 3 169 GFLOP/s; 12 × 2 keeps NR a power of two, which the MLP's widths divide.
/// </remarks>
internal static class PackedGemm<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int MR = 12;

    /// <summary>Rows of the half-height kernel used for edge strips of at most 6 rows.</summary>
    private const int HalfMR = 6;

    /// <summary>
    /// The k-block: 4 KB of each row of A (1024 deep in float32, 512 in float64). The 12-row strip (48 KB) no longer fits
    /// in L1 beside the panels, but its broadcasts come from L2 fast enough, while deeper blocks mean fewer passes over C
    /// (each loads and stores the tile) and a whole 784-deep MLP layer in one block. Measured against 512 deep
    /// (2026-11-24, both cores, three alternating rounds): 1024³ 310–311 → 316–318 GFLOP/s, 2048³ 312–317 → 314–326,
    /// 512×784·784×512 291–293 → 293–297; 768 deep landed in between.
    /// </summary>
    private static int KC => 4096 / Unsafe.SizeOf<T>();
    // A property, not a static readonly field: it folds to a constant even in methods compiled before the type is
    // initialized (AggressiveOptimization compiles on first call). A field read there kept a class-init helper call
    // in the method, and the vector accumulators, live across that call, were then kept on the stack: NarrowProduct's
    // dot products ran at a fifth of their speed.
    private static int W => Vector512<T>.Count;
    private static int NR => 2 * Vector512<T>.Count;

    /// <summary>
    /// Rows of B (k-steps) that the kernels ask L1 for ahead of their loads: 1 KB of a packed panel.
    /// The panel streams from L2, and its lines were found late: samples piled up on the first multiply-add after the
    /// panel's loads. Measured (2026-11-24, after a 2 s warm-up): one core 2048³ 153 → 155–157 GFLOP/s, 1024³ 153 →
    /// 154–156; both cores 2048³ 302 → 308–312, 1024³ 301 → 306–308 (OpenBLAS in the same minutes: 307 and 315). 2 KB
    /// ahead did as well, 4 KB slightly worse. Past the panel's end it touches the next panel, which the next tile reads.
    /// A panel read in place from B (one strip of A) has rows n elements apart, each on a new page at n ≥ 1024, where the
    /// hardware prefetcher does not follow: the same eight rows ahead then matter more.
    /// </summary>
    private const int PrefetchRows = 8;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>
    /// Bytes of packed B per chunk of panels: resident in L2 (2 MB) while the row strips pass over it (8 panels at
    /// k = 1024 in float32). Every chunk sends all of the job's packed A through L2 again, so fewer, larger chunks win
    /// until B crowds A out: against 512 KB, 1 MB measured +1% at 2048³ and +1.5% at 512×784·784×512 on two cores,
    /// 1.5 MB −1% and 2 MB −5% at 1024³ and 2048³ (all at k-blocks of 512; with 1024-deep blocks 768 KB and 1.5 MB were
    /// no better either).
    /// </summary>
    private const int PackedBBudget = 1024 * 1024;

    /// <summary>Products below this many multiply-adds run on the calling thread: dispatch would cost more than it saves.</summary>
    private const long ParallelWork = 1L << 19;

    /// <summary>Elements of C from which even a thin product (an outer product of backward at batch 1) is split: writing C is then the cost.</summary>
    private const long ParallelOutput = 1L << 17;

    /// <summary>
    /// C[b] = op(A[b])·op(B[b]) for each batch entry; all buffers contiguous as in <see cref="IBackend.MatMul"/>.
    /// With a <paramref name="bias"/> of n elements, each element's sum starts from bias[column] instead of zero
    /// (<c>addmm</c>): C = op(A)·op(B) + 1·biasᵀ without a second pass over C.
    /// </summary>
    /// <remarks>
    /// Large products are split once into one job per core, along the rows or the columns of C, whichever is
    /// longer; each job packs its own operands, so packing runs in parallel too. Every element of C is still
    /// one fixed sequence of FMAs in k order, whoever computes it.
    /// </remarks>
    public static void Multiply(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, T[]? bias = null) =>
        Multiply(batch, m, n, k, a, ta, b, tb, c, bias, default);

    /// <summary>
    /// C[b] = op(A[b])·op(B[b])·α + Y[b]·β (added in that order, or Y's term first), elementwise after the product, for a
    /// product that <see cref="CanFuse"/> allows:
    /// each tile of the product, finished in registers and rounded to T as <see cref="Multiply(int, int, int, int, T[], bool, T[], bool, T[], T[])"/>
    /// would store it, is combined with Y while in L1, so the product never goes to memory. Y may be C itself (an update
    /// in place): each element of Y is read before the element of C over it is written.
    /// </summary>
    public static void MultiplyCombine(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, T productScale, T[] y, T yScale, bool productFirst) =>
        Multiply(batch, m, n, k, a, ta, b, tb, c, null, new Combine(y, productScale, yScale, productFirst, null));

    /// <summary>
    /// C[b] = op(A[b])·op(B[b]) · dy/dx (the activation's derivative from S, as <c>ActivationGrad</c> computes it), for a
    /// product that <see cref="CanFuse"/> allows: each finished tile, rounded to T as the stored product would be, is
    /// multiplied by the derivative while in L1. S may be C itself: each element of S is read before the one over it is written.
    /// </summary>
    public static void MultiplyActivationGrad(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, ActivationGradKind kind, T[] s) =>
        Multiply(batch, m, n, k, a, ta, b, tb, c, null, new Combine(s, T.One, T.One, true, kind));

    /// <summary>
    /// C[b] = (op(A[b])·op(B[b]))ᵀ: the m × n product stored as n × m, each finished tile written transposed from L1.
    /// For a narrow product computed as its wide transpose (a classifier's weight gradient hᵀ·δ as δᵀ·h), where a
    /// separate transposition of the whole result cost as much as the product.
    /// </summary>
    public static void MultiplyTransposed(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c) =>
        Multiply(batch, m, n, k, a, ta, b, tb, c, null, new Combine(null, T.One, T.One, true, null, StoreTransposed: true));

    /// <summary>
    /// True when <see cref="MultiplyCombine"/> computes exactly the product <see cref="Multiply(int, int, int, int, T[], bool, T[], bool, T[], T[])"/>
    /// would: one k-block (the product is complete when its tile leaves the kernel) and no split along k (whose partial
    /// products are added afterwards, in another order).
    /// </summary>
    public static bool CanFuse(int batch, int m, int n, int k) =>
        IsSupported && k >= 1 && k <= KC && !SplitsK(batch, m, n, k, Parts(batch, m, n, k, out bool splitRows), splitRows);

    private static int Parts(int batch, int m, int n, int k, out bool splitRows)
    {
        // Splitting rows makes every job pack all of op(B) (k·n), splitting columns all of op(A) (m·k): split the
        // larger dimension of C so that the duplicated packing is the smaller operand.
        splitRows = m >= n;
        // A product is worth splitting for its arithmetic (m·n·k) or, when k is tiny, for writing a large C.
        bool worthSplitting = (long)batch * m * n * k >= ParallelWork || (long)batch * m * n >= ParallelOutput;
        return worthSplitting ? Math.Min(ComputePool.Threads, splitRows ? (m + MR - 1) / MR : (n + NR - 1) / NR) : 1;
    }

    private static bool SplitsK(int batch, int m, int n, int k, int parts, bool splitRows) =>
        parts > 1 && !splitRows && batch == 1 && k >= SplitKDepth && (long)m * n <= SplitKOutput;

    private static void Multiply(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, T[]? bias, Combine combine)
    {
        int panels = (n + NR - 1) / NR;
        int blocks = (m + MR - 1) / MR;
        int parts = Parts(batch, m, n, k, out bool splitRows);
        if (parts <= 1)
        {
            Job(batch, m, n, k, a, ta, b, tb, c, 0, blocks, 0, panels, 0, k, bias, combine);
            return;
        }

        if (SplitsK(batch, m, n, k, parts, splitRows))
        {
            if (combine.Y is not null)
            {
                // CanFuse keeps fused products off this path: its partial products are only complete after the split.
                throw new InvalidOperationException($"PackedGemm: a fused product of {m}×{k}·{k}×{n} would be split along k.");
            }

            KParts(m, n, k, a, ta, b, tb, c, bias, combine);
            return;
        }

        Parts(batch, m, n, k, a, ta, b, tb, c, splitRows, blocks, panels, parts, bias, combine);
    }

    /// <summary>
    /// What a fused product does with each finished tile: C = tile·<see cref="ProductScale"/> + Y·<see cref="YScale"/>,
    /// rounded as an Axpby of the stored product would be; or, with a <see cref="Grad"/> kind, C = tile · dy/dx with the
    /// derivative taken from Y (an activation's output or input). No <see cref="Y"/>: the tile is C, stored transposed
    /// with <see cref="StoreTransposed"/>.
    /// </summary>
    private readonly record struct Combine(T[]? Y, T ProductScale, T YScale, bool ProductFirst, ActivationGradKind? Grad, bool StoreTransposed = false);

    /// <summary>Depth from which a product with fewer rows than columns (x·W at a small batch) is split along k.</summary>
    private const int SplitKDepth = 256;

    /// <summary>Elements of C up to which the k-split's extra pass (adding the partial products) stays cheap.</summary>
    private const long SplitKOutput = 1L << 17;

    /// <summary>
    /// C = op(A)·op(B) split along k: each core multiplies its own range of op(B)'s rows, part 0 into C and the
    /// others into scratch, then the partial products are added to C in part order (deterministic for a given
    /// number of cores). A bias starts part 0's sums.
    /// </summary>
    /// <remarks>
    /// Why: at a small batch, x·W1 split by columns makes each core read half of every row of W1, rows the
    /// optimizer's in-place update had just written by halves on the two cores; reading lines another core holds
    /// modified costs several L2 hits. Split along k, each core reads the rows it wrote itself (as the batch-1
    /// row kernel does).
    /// </remarks>
    private static void KParts(int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, T[]? bias, Combine combine)
    {
        int parts = ComputePool.Threads;
        var partials = ArrayPool<T[]>.Shared.Rent(parts);
        partials[0] = c;
        for (int part = 1; part < parts; part++)
        {
            partials[part] = ArrayPool<T>.Shared.Rent(m * n);
        }

        try
        {
            int blocks = (m + MR - 1) / MR, panels = (n + NR - 1) / NR;
            // A product stored transposed keeps that layout in every partial: they are added element by element.
            var operands = new Operands(1, m, n, k, a, ta, b, tb, c, bias, combine);
            ComputePool.For(parts, (operands, partials, blocks, panels, parts), static (s, part) =>
            {
                var o = s.operands;
                int k0 = (int)((long)o.K * part / s.parts), k1 = (int)((long)o.K * (part + 1) / s.parts);
                Job(1, o.M, o.N, o.K, o.A, o.Ta, o.B, o.Tb, s.partials[part], 0, s.blocks, 0, s.panels, k0, k1, part == 0 ? o.Bias : null, o.Combine);
            });
            for (int part = 1; part < parts; part++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(c.AsSpan(0, m * n), partials[part].AsSpan(0, m * n), c.AsSpan(0, m * n));
            }
        }
        finally
        {
            for (int part = 1; part < parts; part++)
            {
                ArrayPool<T>.Shared.Return(partials[part]);
            }

            Array.Clear(partials, 0, parts);
            ArrayPool<T[]>.Shared.Return(partials);
        }
    }

    /// <summary>A product's operands, handed to the parallel parts as one value.</summary>
    private readonly record struct Operands(int Batch, int M, int N, int K, T[] A, bool Ta, T[] B, bool Tb, T[] C, T[]? Bias, Combine Combine);

    // Its own method, with a static lambda over a state: a capturing lambda would allocate its closure (on the serial
    // path too, if it captured Multiply's parameters) and its delegate on every product.
    private static void Parts(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, bool splitRows, int blocks, int panels, int parts, T[]? bias, Combine combine)
    {
        var operands = new Operands(batch, m, n, k, a, ta, b, tb, c, bias, combine);
        ComputePool.For(parts, (operands, splitRows, blocks, panels, parts), static (s, part) =>
        {
            var o = s.operands;
            int total = s.splitRows ? s.blocks : s.panels;
            int first = (int)((long)total * part / s.parts), last = (int)((long)total * (part + 1) / s.parts);
            if (s.splitRows)
            {
                Job(o.Batch, o.M, o.N, o.K, o.A, o.Ta, o.B, o.Tb, o.C, first, last, 0, s.panels, 0, o.K, o.Bias, o.Combine);
            }
            else
            {
                Job(o.Batch, o.M, o.N, o.K, o.A, o.Ta, o.B, o.Tb, o.C, 0, s.blocks, first, last, 0, o.K, o.Bias, o.Combine);
            }
        });
    }

    /// <summary>
    /// Row blocks [b0, b1) × panels [p0, p1) of C for every batch entry, over the k range [kBegin, kEnd):
    /// C = op(A)[:, kBegin:kEnd]·op(B)[kBegin:kEnd, :] (+ bias), blocked over k and over panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void Job(int batch, int m, int n, int k, T[] a, bool ta, T[] b, bool tb, T[] c, int b0, int b1, int p0, int p1, int kBegin, int kEnd, T[]? bias, Combine combine)
    {
        int depth = kEnd - kBegin;
        int kBlocks = (depth + KC - 1) / KC;
        int kcMax = (depth + kBlocks - 1) / kBlocks;
        int panelsPerChunk = Math.Max(1, PackedBBudget / (NR * kcMax * Unsafe.SizeOf<T>()));
        int strips = b1 - b0;
        bool direct = strips == 1 && !tb;
        T[] packedB = ArrayPool<T>.Shared.Rent(Math.Max(1, Math.Min(panelsPerChunk, p1 - p0) * NR * kcMax));
        T[] packedA = ArrayPool<T>.Shared.Rent(Math.Max(1, strips * MR * kcMax));
        T[] edge = ArrayPool<T>.Shared.Rent(MR * NR);
        try
        {
            for (int q = 0; q < batch; q++)
            {
                int aBase = q * m * k, bBase = q * k * n, cBase = q * m * n;

                // Block over k so that a block's packed panels stay in cache; later blocks add into C.
                // Blocks are of equal depth (2100 = 3 × 700, not 2 × 1024 + 52): a thin last block is mostly overhead.
                for (int k0 = kBegin; k0 < kEnd; k0 += kcMax)
                {
                    int kc = Math.Min(kcMax, kEnd - k0);
                    bool accumulate = k0 > kBegin;

                    // All of this job's rows, packed once per k-block: every chunk of panels reuses them.
                    for (int block = b0; block < b1; block++)
                    {
                        int row0 = block * MR;
                        PackA(a, aBase, ta, m, k, k0, kc, row0, Math.Min(MR, m - row0), packedA, (block - b0) * MR * kc);
                    }

                    for (int pc = p0; pc < p1; pc += panelsPerChunk)
                    {
                        int pe = Math.Min(pc + panelsPerChunk, p1);

                        // With a single strip of A each panel is read once, so packing it would copy B only to read the copy:
                        // the kernel reads whole panels straight from B's rows (stride n), and only an edge panel is packed.
                        // The classifier's weight gradient (computed transposed, 10×512·512×512) went 62.6 → 30 µs.
                        int packedFrom = direct ? Math.Clamp(n / NR, pc, pe) : pc;
                        PackB(b, bBase, tb, k, n, k0, kc, packedFrom, pe, packedB);
                        for (int block = b0; block < b1; block++)
                        {
                            int row0 = block * MR;
                            int rows = Math.Min(MR, m - row0);
                            int aOff = (block - b0) * MR * kc;
                            for (int p = pc; p < pe; p++)
                            {
                                int col0 = p * NR;
                                int cols = Math.Min(NR, n - col0);
                                var (panels, bOff, ldb) = p < packedFrom ? (b, bBase + k0 * n + col0, n) : (packedB, (p - packedFrom) * NR * kc, NR);
                                if (combine.Y is { } y)
                                {
                                    // One k-block (CanFuse): the tile is finished here.
                                    CombineTile(kc, packedA, aOff, panels, bOff, ldb, c, cBase + row0 * n + col0, n, rows, cols, edge, y, combine);
                                }
                                else if (combine.StoreTransposed)
                                {
                                    TransposedTile(kc, packedA, aOff, panels, bOff, ldb, c, cBase + col0 * m + row0, m, rows, cols, accumulate, edge);
                                }
                                else
                                {
                                    Tile(kc, packedA, aOff, panels, bOff, ldb, c, cBase + row0 * n + col0, n, rows, cols, accumulate, edge, accumulate ? null : bias, col0);
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(packedA);
            ArrayPool<T>.Shared.Return(packedB);
            ArrayPool<T>.Shared.Return(edge);
        }
    }

    /// <summary>
    /// One rows × cols tile of C (at most MR × NR): straight into C when it fills a kernel, else through a
    /// scratch tile (holding C's partial sums when accumulating) whose valid part is copied back. A bias
    /// (columns col0 … col0 + cols of it) is written into the tile's rows first and accumulated onto: the tile
    /// is in L1 then, so this costs a few dozen vector moves against the kernel's kc·24 multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(int kc, T[] packedA, int aOff, T[] panels, int bOff, int ldb, T[] c, int cOff, int ldc, int rows, int cols, bool accumulate, T[] edge, T[]? bias, int col0)
    {
        // Edge strips of up to 6 rows run the half-height kernel: a 4-row strip (m = 64 = 5·12 + 4) then costs
        // half a full tile instead of a whole one.
        bool half = rows <= HalfMR;
        int kernelRows = half ? HalfMR : MR;
        if (rows == kernelRows && cols == NR)
        {
            if (bias is not null)
            {
                var b0 = Vector512.LoadUnsafe(ref bias[col0]);
                var b1 = Vector512.LoadUnsafe(ref bias[col0 + W]);
                for (int r = 0; r < rows; r++)
                {
                    b0.StoreUnsafe(ref c[cOff + r * ldc]);
                    b1.StoreUnsafe(ref c[cOff + r * ldc + W]);
                }
            }

            Run(half, kc, packedA, aOff, panels, bOff, ldb, c, cOff, ldc, accumulate || bias is not null);
            return;
        }

        if (bias is not null)
        {
            for (int r = 0; r < rows; r++)
            {
                Array.Copy(bias, col0, edge, r * NR, cols);
            }

            accumulate = true;
        }
        else if (accumulate)
        {
            for (int r = 0; r < rows; r++)
            {
                Array.Copy(c, cOff + r * ldc, edge, r * NR, cols);
            }
        }

        Run(half, kc, packedA, aOff, panels, bOff, ldb, edge, 0, NR, accumulate);
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(edge, r * NR, c, cOff + r * ldc, cols);
        }
    }

    /// <summary>
    /// One rows × cols tile of a product stored transposed: element (r, j) of the tile lives at c[cOff + j·ldc + r]. The
    /// kernel runs on the L1 scratch <paramref name="edge"/> (loaded from C first when accumulating over a later k-block),
    /// which is then written out column by column: each of the tile's columns is a contiguous run of C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposedTile(int kc, T[] packedA, int aOff, T[] panels, int bOff, int ldb, T[] c, int cOff, int ldc, int rows, int cols, bool accumulate, T[] edge)
    {
        if (accumulate)
        {
            for (int j = 0; j < cols; j++)
            {
                for (int r = 0; r < rows; r++)
                {
                    edge[r * NR + j] = c[cOff + j * ldc + r];
                }
            }
        }

        Run(rows <= HalfMR, kc, packedA, aOff, panels, bOff, ldb, edge, 0, NR, accumulate);
        for (int j = 0; j < cols; j++)
        {
            int at = cOff + j * ldc;
            for (int r = 0; r < rows; r++)
            {
                c[at + r] = edge[r * NR + j];
            }
        }
    }

    /// <summary>
    /// One rows × cols tile of a fused product: the kernel writes the finished tile into the L1 scratch
    /// <paramref name="edge"/>, then C = tile·α + Y·β (Y at C's offsets) as <c>x * α + y * β</c>, the roundings of an
    /// Axpby over the stored product, or C = tile · dy/dx from Y (<see cref="ActivationGradTile"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CombineTile(int kc, T[] packedA, int aOff, T[] panels, int bOff, int ldb, T[] c, int cOff, int ldc, int rows, int cols, T[] edge, T[] y, Combine combine)
    {
        // Y's rows of this tile are rarely in cache (a weight last touched by the previous step, an activation from the
        // forward pass): ask for them now, so
        // that they arrive while the kernel runs instead of stalling the combine after it.
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref y[cOff + r * ldc];
            Sse.Prefetch0(Unsafe.AsPointer(ref row));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, cols - 1)));
            if (!ReferenceEquals(c, y))
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref c[cOff + r * ldc]));
                Sse.Prefetch0(Unsafe.AsPointer(ref c[cOff + r * ldc + cols - 1]));
            }
        }

        Run(rows <= HalfMR, kc, packedA, aOff, panels, bOff, ldb, edge, 0, NR, accumulate: false);
        if (combine.Grad is { } kind)
        {
            ActivationGradTile(kind, c, cOff, ldc, rows, cols, edge, y);
            return;
        }

        T alpha = combine.ProductScale, beta = combine.YScale;
        bool productFirst = combine.ProductFirst;
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        for (int r = 0; r < rows; r++)
        {
            int at = cOff + r * ldc;
            ref T tile = ref edge[r * NR];
            int j = 0;
            // The terms are added in the Axpby's order: with both NaN, the first one's bits survive.
            for (; j + W <= cols; j += W)
            {
                var product = Vector512.LoadUnsafe(ref Unsafe.Add(ref tile, j)) * va;
                var yv = Vector512.LoadUnsafe(ref y[at + j]) * vb;
                (productFirst ? product + yv : yv + product).StoreUnsafe(ref c[at + j]);
            }

            for (; j < cols; j++)
            {
                T product = Unsafe.Add(ref tile, j) * alpha, yv = y[at + j] * beta;
                c[at + j] = productFirst ? product + yv : yv + product;
            }
        }
    }

    /// <summary>
    /// C = tile · dy/dx over a finished tile in <paramref name="edge"/>, the derivative from S at C's offsets, with the
    /// roundings of <c>ActivationGrad</c>: <c>g * (s * (1 - s))</c>, <c>g * (1 - s * s)</c>, <c>g * (s &gt; 0 ? 1 : 0)</c>,
    /// the product g first. The formulas are <c>CpuBackend.ActivationGradRange</c>'s, repeated here over Vector512 (calling
    /// that loop per row measured 75–77 µs against 68–70 for the fused call in the batch-512 step); change both together.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivationGradTile(ActivationGradKind kind, T[] c, int cOff, int ldc, int rows, int cols, T[] edge, T[] s)
    {
        var one = Vector512<T>.One;
        for (int r = 0; r < rows; r++)
        {
            int at = cOff + r * ldc;
            ref T tile = ref edge[r * NR];
            int j = 0;
            for (; j + W <= cols; j += W)
            {
                var sv = Vector512.LoadUnsafe(ref s[at + j]);
                var derivative = kind switch
                {
                    ActivationGradKind.Sigmoid => sv * (one - sv),
                    ActivationGradKind.Tanh => one - sv * sv,
                    _ => Vector512.ConditionalSelect(Vector512.GreaterThan(sv, Vector512<T>.Zero), one, Vector512<T>.Zero),
                };
                (Vector512.LoadUnsafe(ref Unsafe.Add(ref tile, j)) * derivative).StoreUnsafe(ref c[at + j]);
            }

            for (; j < cols; j++)
            {
                T si = s[at + j];
                T derivative = kind switch
                {
                    ActivationGradKind.Sigmoid => si * (T.One - si),
                    ActivationGradKind.Tanh => T.One - si * si,
                    _ => si > T.Zero ? T.One : T.Zero,
                };
                c[at + j] = Unsafe.Add(ref tile, j) * derivative;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run(bool half, int kc, T[] packedA, int aOff, T[] panels, int bOff, int ldb, T[] c, int cOff, int ldc, bool accumulate)
    {
        if (half)
        {
            HalfKernel(kc, packedA, aOff, panels, bOff, ldb, c, cOff, ldc, accumulate);
        }
        else
        {
            Kernel(kc, packedA, aOff, panels, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /// <summary>packed[p − p0][kk][j] = op(B)[k0 + kk, p·NR + j] for panels p in [p0, p1) and kk &lt; kc, zero beyond n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void PackB(T[] b, int bBase, bool tb, int k, int n, int k0, int kc, int p0, int p1, T[] packed)
    {
        // Panels that are whole rows of B (no transposition, no padding) are moved by PackWholePanels; the rest here.
        int whole = tb ? p0 : Math.Clamp(n / NR, p0, p1);
        if (whole > p0)
        {
            PackWholePanels(b, bBase, n, k0, kc, p0, whole, packed);
        }

        for (int p = whole; p < p1; p++)
        {
            int col0 = p * NR;
            int width = Math.Min(NR, n - col0);
            int dst = (p - p0) * NR * kc;
            if (tb)
            {
                // op(B)[kk, j] = B[j, kk]: read each row of B contiguously, write it down a column of the panel.
                for (int j = 0; j < width; j++)
                {
                    int from = bBase + (col0 + j) * k + k0;
                    for (int kk = 0; kk < kc; kk++)
                    {
                        packed[dst + kk * NR + j] = b[from + kk];
                    }
                }
            }
            else
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    Array.Copy(b, bBase + (k0 + kk) * n + col0, packed, dst + kk * NR, width);
                }
            }

            if (width < NR)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    packed.AsSpan(dst + kk * NR + width, NR - width).Clear();
                }
            }
        }
    }

    /// <summary>Rows of B that <see cref="PackWholePanels"/> copies into every panel before it moves on to the next rows.</summary>
    private const int PackRows = 8;

    /// <summary>
    /// <see cref="PackB"/> for panels [p0, p1) that lie wholly inside op(B) = B: two vector moves per panel row, taken
    /// <see cref="PackRows"/> rows at a time across all the panels.
    /// </summary>
    /// <remarks>
    /// Why across the panels: one panel at a time read 128 bytes from each of kc rows n elements apart, a new 4 KB page
    /// per row at n = 2048, where the hardware prefetcher does not follow; across the panels each row is read from start
    /// to end. Eight rows at a time keep the writes to eight lines per panel, so the panels (64–128 KB apart, one L1 set)
    /// are not written a line at a time as packing the whole row at once did. The 2048³ product's time in packing B fell
    /// from 3.4% to 2.2% (perf samples); 16 and 32 rows were no better.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackWholePanels(T[] b, int bBase, int n, int k0, int kc, int p0, int p1, T[] packed)
    {
        int panelSize = NR * kc;
        for (int r0 = 0; r0 < kc; r0 += PackRows)
        {
            int rows = Math.Min(PackRows, kc - r0);
            for (int p = p0; p < p1; p++)
            {
                ref T src = ref b[bBase + (k0 + r0) * n + p * NR];
                ref T to = ref packed[(p - p0) * panelSize + r0 * NR];
                for (int kk = 0; kk < rows; kk++)
                {
                    Vector512.LoadUnsafe(ref src).StoreUnsafe(ref to);
                    Vector512.LoadUnsafe(ref Unsafe.Add(ref src, W)).StoreUnsafe(ref Unsafe.Add(ref to, W));
                    src = ref Unsafe.Add(ref src, n);
                    to = ref Unsafe.Add(ref to, NR);
                }
            }
        }
    }

    /// <summary>packed[at + kk·MR + r] = op(A)[row0 + r, k0 + kk] for kk &lt; kc, zero for rows beyond m.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void PackA(T[] a, int aBase, bool ta, int m, int k, int k0, int kc, int row0, int rows, T[] packed, int at)
    {
        if (ta && rows == MR)
        {
            // op(A)'s rows are A's columns: each k brings MR neighbouring elements of one row of A, moved as
            // 128-bit vectors (a span copy per k cost more in call overhead than in moving 48 bytes).
            int v = Vector128<T>.Count;
            ref T src = ref a[aBase + k0 * m + row0];
            ref T to = ref packed[at];
            for (int kk = 0; kk < kc; kk++)
            {
                for (int r = 0; r < MR; r += v)
                {
                    Vector128.LoadUnsafe(ref src, (nuint)r).StoreUnsafe(ref to, (nuint)r);
                }

                src = ref Unsafe.Add(ref src, m);
                to = ref Unsafe.Add(ref to, MR);
            }

            return;
        }

        if (!ta && rows == MR)
        {
            // A transposition: per k, one element from each of the MR rows, written contiguously. The rows are
            // read as MR sequential streams (the prefetcher follows them); the writes fill whole lines in order.
            // Walking one row at a time instead wrote every 12th element and cost ~15% of a 512×784×512 product.
            ref T row = ref a[aBase + row0 * k + k0];
            ref T to = ref packed[at];
            int kk = 0;
            if (typeof(T) == typeof(float) && Avx512F.IsSupported)
            {
                // Sixteen k at a time in registers (see TransposeStrip16): a third of the scalar moves' time.
                for (; kk + 16 <= kc; kk += 16)
                {
                    TransposeStrip16(ref Unsafe.As<T, float>(ref Unsafe.Add(ref row, kk)), k, ref Unsafe.As<T, float>(ref to));
                    to = ref Unsafe.Add(ref to, 16 * MR);
                }
            }

            for (; kk < kc; kk++)
            {
                ref T col = ref Unsafe.Add(ref row, kk);
                Unsafe.Add(ref to, 0) = col;
                Unsafe.Add(ref to, 1) = Unsafe.Add(ref col, k);
                Unsafe.Add(ref to, 2) = Unsafe.Add(ref col, 2 * k);
                Unsafe.Add(ref to, 3) = Unsafe.Add(ref col, 3 * k);
                Unsafe.Add(ref to, 4) = Unsafe.Add(ref col, 4 * k);
                Unsafe.Add(ref to, 5) = Unsafe.Add(ref col, 5 * k);
                Unsafe.Add(ref to, 6) = Unsafe.Add(ref col, 6 * k);
                Unsafe.Add(ref to, 7) = Unsafe.Add(ref col, 7 * k);
                Unsafe.Add(ref to, 8) = Unsafe.Add(ref col, 8 * k);
                Unsafe.Add(ref to, 9) = Unsafe.Add(ref col, 9 * k);
                Unsafe.Add(ref to, 10) = Unsafe.Add(ref col, 10 * k);
                Unsafe.Add(ref to, 11) = Unsafe.Add(ref col, 11 * k);
                to = ref Unsafe.Add(ref to, MR);
            }

            return;
        }

        for (int r = 0; r < MR; r++)
        {
            if (r >= rows)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    packed[at + kk * MR + r] = T.Zero;
                }

                continue;
            }

            int i = row0 + r;
            if (!ta)
            {
                int src = aBase + i * k + k0;
                for (int kk = 0; kk < kc; kk++)
                {
                    packed[at + kk * MR + r] = a[src + kk];
                }
            }
            else
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    packed[at + kk * MR + r] = a[aBase + (k0 + kk) * m + i];
                }
            }
        }
    }

    /// <summary>
    /// to[j·12 + r] = src[r·ld + j] for r &lt; 12, j &lt; 16: sixteen k of a 12-row strip, transposed in registers.
    /// </summary>
    /// <remarks>
    /// Each group of four rows is transposed within 128-bit lanes (two rounds of unpacks), which leaves in lane ℓ of
    /// vector i the four rows' elements at k = 4ℓ + i: exactly the 16 bytes that group contributes to that k's row of
    /// the strip, stored as one 128-bit piece. 24 shuffles and 48 small stores per 16 k, against 192 scalar loads and
    /// 192 scalar stores.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeStrip16(ref float src, int ld, ref float to)
    {
        for (int group = 0; group < MR / 4; group++)
        {
            ref float r0 = ref Unsafe.Add(ref src, 4 * group * ld);
            var v0 = Vector512.LoadUnsafe(ref r0);
            var v1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, ld));
            var v2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, 2 * ld));
            var v3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref r0, 3 * ld));
            var t0 = Avx512F.UnpackLow(v0, v1).AsDouble();   // per lane: v0[0] v1[0] v0[1] v1[1]
            var t1 = Avx512F.UnpackHigh(v0, v1).AsDouble();  // per lane: v0[2] v1[2] v0[3] v1[3]
            var t2 = Avx512F.UnpackLow(v2, v3).AsDouble();
            var t3 = Avx512F.UnpackHigh(v2, v3).AsDouble();
            var u0 = Avx512F.UnpackLow(t0, t2).AsSingle();   // per lane ℓ: the four rows at k = 4ℓ
            var u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();  // k = 4ℓ + 1
            var u2 = Avx512F.UnpackLow(t1, t3).AsSingle();   // k = 4ℓ + 2
            var u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();  // k = 4ℓ + 3
            ref float d = ref Unsafe.Add(ref to, 4 * group);
            StoreLanes(u0, ref d);
            StoreLanes(u1, ref Unsafe.Add(ref d, MR));
            StoreLanes(u2, ref Unsafe.Add(ref d, 2 * MR));
            StoreLanes(u3, ref Unsafe.Add(ref d, 3 * MR));
        }
    }

    /// <summary>Lane ℓ of <paramref name="v"/> to d[ℓ·4·MR]: the strip rows k, k + 4, k + 8, k + 12.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<float> v, ref float d)
    {
        v.GetLower().GetLower().StoreUnsafe(ref d);
        Avx512F.ExtractVector128(v, 1).StoreUnsafe(ref Unsafe.Add(ref d, 4 * MR));
        Avx512F.ExtractVector128(v, 2).StoreUnsafe(ref Unsafe.Add(ref d, 8 * MR));
        Avx512F.ExtractVector128(v, 3).StoreUnsafe(ref Unsafe.Add(ref d, 12 * MR));
    }

    /// <summary>Asks L1 for the two lines of B a kernel loads <paramref name="ahead"/> bytes from now (a hint: never faults).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchPanel(ref T pb, nint ahead)
    {
        // Through an untracked pointer: a byref past the array's end must not exist, even for a moment.
        byte* at = (byte*)Unsafe.AsPointer(ref pb) + ahead;
        Sse.Prefetch0(at);
        Sse.Prefetch0(at + 64);
    }

    /// <summary>
    /// The 12 × 2-vector tile: C[r, j] = Σ_kk A[kk, r]·B[kk, j], written to c at cOff with row stride ldc; B's rows are
    /// <paramref name="ldb"/> apart (NR in a packed panel, n when read in place).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int k, T[] packedA, int aOff, T[] panels, int bOff, int ldb, T[] c, int cOff, int ldc, bool accumulate)
    {
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
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
            c60 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 6 * ldc));
            c61 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 6 * ldc + w));
            c70 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 7 * ldc));
            c71 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 7 * ldc + w));
            c80 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 8 * ldc));
            c81 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 8 * ldc + w));
            c90 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 9 * ldc));
            c91 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 9 * ldc + w));
            ca0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 10 * ldc));
            ca1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 10 * ldc + w));
            cb0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 11 * ldc));
            cb1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pc, 11 * ldc + w));
        }

        ref T pa = ref packedA[aOff];
        ref T pb = ref panels[bOff];
        nint ahead = PrefetchRows * ldb * Unsafe.SizeOf<T>();
        for (int kk = 0; kk < k; kk++)
        {
            PrefetchPanel(ref pb, ahead);
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
            var a6 = Vector512.Create(Unsafe.Add(ref pa, 6));
            c60 = Fma(a6, b0, c60);
            c61 = Fma(a6, b1, c61);
            var a7 = Vector512.Create(Unsafe.Add(ref pa, 7));
            c70 = Fma(a7, b0, c70);
            c71 = Fma(a7, b1, c71);
            var a8 = Vector512.Create(Unsafe.Add(ref pa, 8));
            c80 = Fma(a8, b0, c80);
            c81 = Fma(a8, b1, c81);
            var a9 = Vector512.Create(Unsafe.Add(ref pa, 9));
            c90 = Fma(a9, b0, c90);
            c91 = Fma(a9, b1, c91);
            var aa = Vector512.Create(Unsafe.Add(ref pa, 10));
            ca0 = Fma(aa, b0, ca0);
            ca1 = Fma(aa, b1, ca1);
            var ab = Vector512.Create(Unsafe.Add(ref pa, 11));
            cb0 = Fma(ab, b0, cb0);
            cb1 = Fma(ab, b1, cb1);
            pa = ref Unsafe.Add(ref pa, MR);
            pb = ref Unsafe.Add(ref pb, ldb);
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
        c60.StoreUnsafe(ref Unsafe.Add(ref pc, 6 * ldc));
        c61.StoreUnsafe(ref Unsafe.Add(ref pc, 6 * ldc + w));
        c70.StoreUnsafe(ref Unsafe.Add(ref pc, 7 * ldc));
        c71.StoreUnsafe(ref Unsafe.Add(ref pc, 7 * ldc + w));
        c80.StoreUnsafe(ref Unsafe.Add(ref pc, 8 * ldc));
        c81.StoreUnsafe(ref Unsafe.Add(ref pc, 8 * ldc + w));
        c90.StoreUnsafe(ref Unsafe.Add(ref pc, 9 * ldc));
        c91.StoreUnsafe(ref Unsafe.Add(ref pc, 9 * ldc + w));
        ca0.StoreUnsafe(ref Unsafe.Add(ref pc, 10 * ldc));
        ca1.StoreUnsafe(ref Unsafe.Add(ref pc, 10 * ldc + w));
        cb0.StoreUnsafe(ref Unsafe.Add(ref pc, 11 * ldc));
        cb1.StoreUnsafe(ref Unsafe.Add(ref pc, 11 * ldc + w));
    }

    /// <summary>The 6 × 2-vector tile for edge strips: the first 6 rows of a packed 12-row strip.</summary>
    /// <remarks>A written-out copy of <see cref="Kernel"/>'s first half, on purpose: accumulators stay in registers only
    /// as named locals, so a row count known at run time cannot share one body.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfKernel(int k, T[] packedA, int aOff, T[] panels, int bOff, int ldb, T[] c, int cOff, int ldc, bool accumulate)
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

        ref T pa = ref packedA[aOff];
        ref T pb = ref panels[bOff];
        nint ahead = PrefetchRows * ldb * Unsafe.SizeOf<T>();
        for (int kk = 0; kk < k; kk++)
        {
            PrefetchPanel(ref pb, ahead);
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
            pb = ref Unsafe.Add(ref pb, ldb);
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
    internal static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }
}
