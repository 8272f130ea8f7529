using System.Runtime.CompilerServices;

namespace AutoGrad.Backends.Cpu;

/// <summary>Index arithmetic shared by the strided kernels.</summary>
internal static class StrideMath
{
    /// <summary>The most dimensions a strided kernel walks after merging (NumPy's limit before 2.0 was 32 in all).</summary>
    public const int MaxRank = 32;

    /// <summary>
    /// Merges adjacent dimensions that every operand walks contiguously (stride[i] = stride[i+1]·dim[i+1])
    /// and drops size-1 dimensions, so that the common contiguous case becomes one long inner loop. Two or three
    /// operands (<paramref name="s2"/> empty for two); the result lives in <paramref name="c"/>, on the caller's stack:
    /// a kernel call allocates nothing.
    /// </summary>
    public static void Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<int> s0, ReadOnlySpan<int> s1, ReadOnlySpan<int> s2, out Coalesced c)
    {
        c = default;
        bool three = !s2.IsEmpty;
        int rank = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1)
            {
                continue;
            }

            if (rank > 0)
            {
                int last = rank - 1;
                if (c.S0[last] == s0[i] * shape[i] && c.S1[last] == s1[i] * shape[i] && (!three || c.S2[last] == s2[i] * shape[i]))
                {
                    c.Dims[last] *= shape[i];
                    c.S0[last] = s0[i];
                    c.S1[last] = s1[i];
                    if (three)
                    {
                        c.S2[last] = s2[i];
                    }

                    continue;
                }
            }

            if (rank == MaxRank)
            {
                throw new NotSupportedException($"a strided copy or broadcast over more than {MaxRank} dimensions that cannot be merged (shape {Shape.Format(shape.ToArray())})");
            }

            c.Dims[rank] = shape[i];
            c.S0[rank] = s0[i];
            c.S1[rank] = s1[i];
            if (three)
            {
                c.S2[rank] = s2[i];
            }

            rank++;
        }

        if (rank == 0 && shape.Length > 0)
        {
            // All dimensions were 1 (or the shape is empty of size): keep one for the loops.
            c.Dims[0] = shape.IndexOf(0) >= 0 ? 0 : 1;
            c.S0[0] = c.S1[0] = c.S2[0] = 1;
            rank = 1;
        }

        c.Rank = rank;
    }
}

/// <summary><see cref="StrideMath.MaxRank"/> ints held inline, so that a kernel's index arithmetic stays on its stack.</summary>
[InlineArray(StrideMath.MaxRank)]
internal struct RankInts
{
    private int _element0;
}

/// <summary>A coalesced iteration space: the merged dimensions and each operand's strides over them.</summary>
internal struct Coalesced
{
    public int Rank;
    public RankInts Dims;
    public RankInts S0;
    public RankInts S1;
    public RankInts S2;
}
