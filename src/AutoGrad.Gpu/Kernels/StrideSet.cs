namespace AutoGrad.Gpu.Kernels;

/// <summary>Eight ints passed by value to a kernel (no arrays or fixed buffers in kernel parameters).</summary>
internal readonly struct Int8
{
    public readonly int A0, A1, A2, A3, A4, A5, A6, A7;

    public Int8(ReadOnlySpan<int> values)
    {
        A0 = At(values, 0);
        A1 = At(values, 1);
        A2 = At(values, 2);
        A3 = At(values, 3);
        A4 = At(values, 4);
        A5 = At(values, 5);
        A6 = At(values, 6);
        A7 = At(values, 7);
    }

    private static int At(ReadOnlySpan<int> values, int i) => i < values.Length ? values[i] : 0;

    public int this[int i] => i switch
    {
        0 => A0,
        1 => A1,
        2 => A2,
        3 => A3,
        4 => A4,
        5 => A5,
        6 => A6,
        _ => A7,
    };
}

/// <summary>
/// A shape of rank ≤ <see cref="MaxRank"/> with up to three operands' strides, after the host merged axes that are
/// contiguous in every operand (<c>StrideMath.Coalesce</c>). Kernels turn their linear index into offsets with it.
/// </summary>
internal readonly struct StrideSet
{
    /// <summary>The most axes a strided kernel takes after merging; more throw <see cref="NotSupportedException"/> on the host.</summary>
    public const int MaxRank = 8;

    public readonly int Rank;
    public readonly Int8 Dims, S0, S1, S2;

    public StrideSet(int rank, Int8 dims, Int8 s0, Int8 s1, Int8 s2)
    {
        Rank = rank;
        Dims = dims;
        S0 = s0;
        S1 = s1;
        S2 = s2;
    }

    /// <summary>Offset of linear (row-major) index <paramref name="linear"/> in operand 0.</summary>
    public int Offset0(int linear)
    {
        int off = 0;
        for (int ax = Rank - 1; ax >= 0; ax--)
        {
            int d = Dims[ax];
            off += (linear % d) * S0[ax];
            linear /= d;
        }

        return off;
    }

    /// <summary>Offsets of linear index <paramref name="linear"/> in operands 0, 1 and 2.</summary>
    public void Offsets(int linear, out int o0, out int o1, out int o2)
    {
        o0 = 0;
        o1 = 0;
        o2 = 0;
        for (int ax = Rank - 1; ax >= 0; ax--)
        {
            int d = Dims[ax];
            int i = linear % d;
            linear /= d;
            o0 += i * S0[ax];
            o1 += i * S1[ax];
            o2 += i * S2[ax];
        }
    }
}
