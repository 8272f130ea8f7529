using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>The reduction a grouped reduce launch computes (<see cref="ReduceShape.Op"/>); kernel uniforms are ints.</summary>
internal static class ReduceOp
{
    /// <summary>Σ, in the element type (the value of <see cref="Backends.ReduceKernel.Sum"/>).</summary>
    public const int Sum = 0;

    /// <summary>The maximum, with .NET's NaN and signed-zero rules (<see cref="Backends.ReduceKernel.Max"/>).</summary>
    public const int Max = 1;

    /// <summary>The minimum (<see cref="Backends.ReduceKernel.Min"/>).</summary>
    public const int Min = 2;

    /// <summary>The first index of the maximum; the first NaN wins.</summary>
    public const int ArgMax = 3;

    /// <summary>The first index of the minimum; the first NaN wins.</summary>
    public const int ArgMin = 4;

    /// <summary>The index of a partial that has seen no element (a thread past the end of its chunk).</summary>
    public const int Empty = int.MaxValue;
}

/// <summary>
/// One launch of <see cref="DeviceKernels.ReduceGroups{T, TE}"/>: the input is an (outer, n, inner) view whose
/// outer·inner outputs are each split into <see cref="Chunks"/> chunks of <see cref="ChunkLength"/> (the last shorter),
/// one group per (output, chunk).
/// </summary>
internal readonly struct ReduceShape
{
    /// <summary>A <see cref="ReduceOp"/> value.</summary>
    public readonly int Op;

    public readonly int N, Inner, Chunks, ChunkLength;

    /// <summary>1 when the input carries the index of each value (the second pass, over partials); else the index is j.</summary>
    public readonly int Indexed;

    /// <summary>1 when this launch writes the result (the value of a reduce, the index of an arg-reduce); 0 for partials (both).</summary>
    public readonly int Final;

    public ReduceShape(int op, int n, int inner, int chunks, int chunkLength, bool indexed, bool final)
    {
        Op = op;
        N = n;
        Inner = inner;
        Chunks = chunks;
        ChunkLength = chunkLength;
        Indexed = indexed ? 1 : 0;
        Final = final ? 1 : 0;
    }
}

/// <summary>
/// A value and its index in the reduced axis: the partial result of a max, min or arg-reduction. The index decides
/// between two NaNs (the first wins) and, in an arg-reduction, between equal values (the first wins), so combining
/// partials in any order gives the sequential loop's result bit for bit.
/// </summary>
internal readonly struct Candidate
{
    public readonly double Value;
    public readonly int Index;

    public Candidate(double value, int index)
    {
        Value = value;
        Index = index;
    }
}

/// <summary>
/// Reductions. The thread-per-output kernels (<see cref="Reduce{T, TE}"/>, <see cref="ArgReduce{T, TE}"/>) loop over
/// the reduced axis in order. <see cref="ReduceGroups{T, TE}"/> gives each output one group (or one group per chunk of
/// it, and a second launch over the chunks' partials): each thread reduces a fixed strided subset in index order, then a
/// fixed-shape tree in shared memory combines the group's partials. The order of every operation depends only on the
/// shape, the group size and the chunking, which the host fixes per accelerator (<see cref="ReducePlan"/>): the same
/// inputs give the same bits, run after run. No atomics.
/// </summary>
internal static partial class DeviceKernels
{
    /// <summary>
    /// One thread per output element (o, i) of an (outer, n, inner) view: y[o·inner + i] = reduce over j = 0, 1, …, n−1
    /// of x[(o·n + j)·inner + i], in that order. Sums add in the element type from zero; max and min compare in double.
    /// </summary>
    public static void Reduce<T, TE>(Index1D t, ArrayView<T> x, ArrayView<T> y, int kernel, int n, int inner)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int o = t / inner, i = t - (o * inner);
        int at = o * n * inner + i;
        if (kernel == 0)
        {
            T sum = e.FromDouble(0.0);
            for (int j = 0; j < n; j++, at += inner)
            {
                sum = e.Add(sum, x[at]);
            }

            y[t] = sum;
            return;
        }

        if (n == 0)
        {
            y[t] = e.FromDouble(0.0);
            return;
        }

        double best = e.ToDouble(x[at]);
        for (int j = 1; j < n; j++)
        {
            at += inner;
            double v = e.ToDouble(x[at]);
            best = kernel == 1 ? Ieee.Max(best, v) : Ieee.Min(best, v);
        }

        y[t] = e.FromDouble(best); // exact: best is one of the elements
    }

    /// <summary>y[o·inner + i] = the first j of the maximum (minimum) of x[o, j, i]; the first NaN wins.</summary>
    public static void ArgReduce<T, TE>(Index1D t, ArrayView<T> x, ArrayView<int> y, int argMax, int n, int inner)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int o = t / inner, i = t - (o * inner);
        int at = o * n * inner + i;
        int best = 0;
        double bestValue = e.ToDouble(x[at]);
        for (int j = 1; j < n && !Ieee.IsNaN(bestValue); j++)
        {
            at += inner;
            double v = e.ToDouble(x[at]);
            if (Ieee.IsNaN(v) || (argMax != 0 ? v > bestValue : v < bestValue))
            {
                best = j;
                bestValue = v;
            }
        }

        y[t] = best;
    }

    /// <summary>
    /// One group per (output t, chunk c), grid outputs·chunks, a power-of-two number of threads per group (at most
    /// <see cref="ReducePlan.MaxThreads"/>). Output t = o·inner + i reduces x[(o·n + j)·inner + i] over the chunk's
    /// j ∈ [c·chunkLength, min((c + 1)·chunkLength, n)): thread k takes j = start + k, start + k + threads, … in order
    /// (a sum from zero in the element type, each step rounded; a max, min or arg-reduction through
    /// <see cref="Better"/>), then the group combines its partials by halves (k with k + h for h = threads/2, …, 1,
    /// a barrier between steps), so the order depends only on the number of threads. Partials (Final = 0) go to
    /// values[g] and indices[g] at g = t·chunks + c; a second launch with Indexed = 1 reads them as its rows (inner 1,
    /// n = chunks). The result (Final = 1, one chunk) goes to values[t] (reduce) or indices[t] (arg-reduce); the other
    /// view is unused (any view).
    /// </summary>
    public static void ReduceGroups<T, TE>(ArrayView<T> x, ArrayView<int> xIndex, ArrayView<T> values, ArrayView<int> indices, ReduceShape s)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        var sharedValues = SharedMemory.Allocate<T>(ReducePlan.MaxThreads);
        var sharedIndices = SharedMemory.Allocate<int>(ReducePlan.MaxThreads);
        int k = Group.IdxX, threads = Group.DimX, g = Grid.IdxX;
        int t = g / s.Chunks, c = g - (t * s.Chunks);
        int o = t / s.Inner, i = t - (o * s.Inner);
        int start = c * s.ChunkLength;
        int end = s.N - start < s.ChunkLength ? s.N : start + s.ChunkLength;
        int rowBase = o * s.N;

        if (s.Op == ReduceOp.Sum)
        {
            T sum = e.FromDouble(0.0);
            for (int j = start + k; j < end; j += threads)
            {
                sum = e.Add(sum, x[((rowBase + j) * s.Inner) + i]);
            }

            sharedValues[k] = sum;
            Group.Barrier();
            for (int h = threads / 2; h > 0; h /= 2)
            {
                if (k < h)
                {
                    sharedValues[k] = e.Add(sharedValues[k], sharedValues[k + h]);
                }

                Group.Barrier();
            }

            if (k == 0)
            {
                values[g] = sharedValues[0];
            }

            return;
        }

        var best = new Candidate(0.0, ReduceOp.Empty);
        for (int j = start + k; j < end; j += threads)
        {
            int at = ((rowBase + j) * s.Inner) + i;
            best = Better(s.Op, best, new Candidate(e.ToDouble(x[at]), s.Indexed != 0 ? xIndex[at] : j));
        }

        sharedValues[k] = e.FromDouble(best.Value); // exact: an element of x (or 0 for an empty partial)
        sharedIndices[k] = best.Index;
        Group.Barrier();
        for (int h = threads / 2; h > 0; h /= 2)
        {
            if (k < h)
            {
                var merged = Better(
                    s.Op,
                    new Candidate(e.ToDouble(sharedValues[k]), sharedIndices[k]),
                    new Candidate(e.ToDouble(sharedValues[k + h]), sharedIndices[k + h]));
                sharedValues[k] = e.FromDouble(merged.Value);
                sharedIndices[k] = merged.Index;
            }

            Group.Barrier();
        }

        if (k == 0)
        {
            if (s.Final == 0 || s.Op < ReduceOp.ArgMax)
            {
                values[g] = sharedValues[0];
            }

            if (s.Final == 0 || s.Op >= ReduceOp.ArgMax)
            {
                indices[g] = sharedIndices[0];
            }
        }
    }

    /// <summary>
    /// The partial that covers both a and b, whatever order they come in: an empty one gives way; a NaN wins, the one
    /// with the lower index when both are (the sequential loop keeps its first NaN); otherwise max/min by
    /// <see cref="Ieee.Max"/>/<see cref="Ieee.Min"/> (+0 over −0, which no order changes), and for an arg-reduction the
    /// larger (smaller) value, the lower index on a tie (−0 and +0 tie, as `v &gt; best` in the loop).
    /// </summary>
    private static Candidate Better(int op, Candidate a, Candidate b)
    {
        if (b.Index == ReduceOp.Empty)
        {
            return a;
        }

        if (a.Index == ReduceOp.Empty)
        {
            return b;
        }

        bool nanA = Ieee.IsNaN(a.Value), nanB = Ieee.IsNaN(b.Value);
        if (nanA || nanB)
        {
            return nanA && (!nanB || a.Index < b.Index) ? a : b;
        }

        int first = a.Index < b.Index ? a.Index : b.Index;
        if (op == ReduceOp.Max)
        {
            return new Candidate(Ieee.Max(a.Value, b.Value), first);
        }

        if (op == ReduceOp.Min)
        {
            return new Candidate(Ieee.Min(a.Value, b.Value), first);
        }

        if (a.Value == b.Value)
        {
            return a.Index < b.Index ? a : b;
        }

        return (op == ReduceOp.ArgMax ? a.Value > b.Value : a.Value < b.Value) ? a : b;
    }
}

/// <summary>
/// How a reduction of outer·inner outputs over n is launched (host side; not kernels). The thread-per-output kernels
/// serve many short reductions and column sums, where adjacent threads read adjacent addresses; the grouped kernel serves
/// long reductions with few outputs, which would otherwise leave the device to a handful of threads:
/// <list type="bullet">
/// <item>grouped when n ≥ <see cref="MinLength"/> and either inner = 1 (rows: a group reads its row coalesced) or there
/// are fewer than <see cref="MaxStridedOutputs"/> outputs (inner &gt; 1 with few columns: a full reduction's leading axis);</item>
/// <item><see cref="Threads"/> per group: <see cref="MaxThreads"/>, or the largest power of two the accelerator's groups
/// hold (16 on ILGPU's CPU accelerator);</item>
/// <item>each output split into chunks of at least <see cref="MinChunk"/> elements (8 per thread of a 256-thread group;
/// the same on every accelerator, so ILGPU's CPU accelerator runs as few groups as a GPU), as many as keep
/// outputs·chunks ≤ <see cref="TargetGroups"/> (at least one); with more than one chunk, a second launch combines each
/// output's partials in one group.</item>
/// </list>
/// Every choice depends only on the shape and the accelerator's group limit, so the order of operations, hence the
/// bits, is fixed per accelerator.
/// </summary>
internal readonly record struct ReducePlan(bool Grouped, int Threads, int Chunks, int ChunkLength)
{
    /// <summary>Threads per group on accelerators that allow 256-thread groups (and the kernel's shared arrays).</summary>
    public const int MaxThreads = 256;

    /// <summary>The shortest reduction the grouped kernel takes.</summary>
    public const int MinLength = 1024;

    /// <summary>With inner &gt; 1 (column reductions), the grouped kernel takes fewer outputs than this.</summary>
    public const int MaxStridedOutputs = 256;

    /// <summary>The fewest elements in a chunk of a split reduction.</summary>
    public const int MinChunk = 2048;

    /// <summary>The most groups a split reduction aims at (2048 groups of 256 threads: more than a large GPU holds at once).</summary>
    public const int TargetGroups = 2048;

    /// <summary>The group size for an accelerator allowing <paramref name="maxThreadsPerGroup"/> threads: a power of two.</summary>
    public static int ThreadsFor(int maxThreadsPerGroup)
    {
        int t = 1;
        while (t * 2 <= Math.Min(MaxThreads, maxThreadsPerGroup))
        {
            t *= 2;
        }

        return t;
    }

    /// <summary>The plan for <paramref name="outputs"/> reductions over <paramref name="n"/> with groups of <paramref name="threads"/>.</summary>
    public static ReducePlan For(int outputs, int n, int inner, int threads)
    {
        if (n < MinLength || (inner > 1 && outputs >= MaxStridedOutputs))
        {
            return new ReducePlan(false, 1, 1, n);
        }

        int chunks = Math.Min(Ceiling(n, MinChunk), Math.Max(1, TargetGroups / outputs));
        int chunkLength = Ceiling(Ceiling(n, chunks), threads) * threads; // whole rounds of the group's threads
        return new ReducePlan(true, threads, Ceiling(n, chunkLength), chunkLength);
    }

    private static int Ceiling(int a, int b) => (a + b - 1) / b;
}
