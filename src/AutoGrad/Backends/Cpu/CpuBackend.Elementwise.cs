using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace AutoGrad.Backends.Cpu;

/// <summary>Elementwise kernels: unary maps, broadcast binary ops and where.</summary>
internal sealed partial class CpuBackend
{
    public void Unary(UnaryKernel kernel, double p0, double p1, TensorStorage x, TensorStorage y)
    {
        switch (x)
        {
            case CpuStorage<float> f: UnaryImpl(kernel, p0, p1, f.Data, Data<float>(y)); break;
            case CpuStorage<double> d: UnaryImpl(kernel, p0, p1, d.Data, Data<double>(y)); break;
            default: throw new NotSupportedException($"unary kernel {kernel} on {x.DType.Name()}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void UnaryImpl<T>(UnaryKernel kernel, double p0, double p1, T[] x, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = ElementwiseParts(x.Length);
        if (parts == 1)
        {
            UnaryRange(kernel, p0, p1, x, y);
            return;
        }

        UnaryParts(kernel, p0, p1, x, y, parts);
    }

    // The parallel paths live in their own methods and pass their values as a state to a static lambda: a lambda
    // capturing a method's parameters makes the compiler allocate its closure on entry to that method, on the serial
    // path too, and its delegate on every call.
    private static void UnaryParts<T>(UnaryKernel kernel, double p0, double p1, T[] x, T[] y, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (kernel, p0, p1, x, y, parts), static (s, part) =>
        {
            var (start, length) = PartRange(s.x.Length, s.parts, part);
            UnaryRange(s.kernel, s.p0, s.p1, s.x.AsSpan(start, length), s.y.AsSpan(start, length));
        });

    /// <summary>
    /// The longest span handed to one TensorPrimitives call. Above 256 KB it writes with non-temporal stores, which
    /// bypass the cache: the next op, reading the result, then missed it (an add over 128K floats took 28 µs
    /// instead of 19). 16K elements stay below that in float64 too; results are the same element by element.
    /// </summary>
    private const int TemporalChunk = 1 << 14;

    /// <summary>Elements below which an elementwise kernel stays on the calling thread (dispatch and a cold second cache cost more).</summary>
    private const int ParallelElements = 1 << 16;

    private static int ElementwiseParts(int length) => length >= ParallelElements ? ComputePool.Threads : 1;

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> over <paramref name="length"/> elements, in whole cache lines.</summary>
    private static (int Start, int Length) PartRange(int length, int parts, int part)
    {
        int start = (int)((long)length * part / parts) & ~15, end = part == parts - 1 ? length : (int)((long)length * (part + 1) / parts) & ~15;
        return (start, end - start);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnaryRange<T>(UnaryKernel kernel, double p0, double p1, ReadOnlySpan<T> xs, Span<T> ys)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (xs.IsEmpty)
        {
            return; // some TensorPrimitives operations reject empty spans
        }

        if (xs.Length > TemporalChunk)
        {
            for (int s = 0; s < xs.Length; s += TemporalChunk)
            {
                int len = Math.Min(TemporalChunk, xs.Length - s);
                UnaryRange(kernel, p0, p1, xs.Slice(s, len), ys.Slice(s, len));
            }

            return;
        }

        switch (kernel)
        {
            case UnaryKernel.Neg: TensorPrimitives.Negate(xs, ys); return;
            case UnaryKernel.Exp: TensorPrimitives.Exp(xs, ys); return;
            case UnaryKernel.Log: TensorPrimitives.Log(xs, ys); return;
            case UnaryKernel.Sqrt: TensorPrimitives.Sqrt(xs, ys); return;
            case UnaryKernel.Abs: TensorPrimitives.Abs(xs, ys); return;
            case UnaryKernel.Tanh: TensorPrimitives.Tanh(xs, ys); return;
            case UnaryKernel.Sin: TensorPrimitives.Sin(xs, ys); return;
            case UnaryKernel.Cos: TensorPrimitives.Cos(xs, ys); return;
            case UnaryKernel.Sigmoid: TensorPrimitives.Sigmoid(xs, ys); return;
            case UnaryKernel.Relu: TensorPrimitives.Max(xs, T.Zero, ys); return; // IEEE maximum: NaN stays NaN, −0 gives +0
            default:
                for (int i = 0; i < xs.Length; i++)
                {
                    ys[i] = T.CreateTruncating(ScalarMath.Unary(kernel, double.CreateTruncating(xs[i]), p0, p1));
                }

                return;
        }
    }

    public void Binary(BinaryKernel kernel, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape)
    {
        switch (a)
        {
            case CpuStorage<float> f: BinaryImpl(kernel, f.Data, aStrides, Data<float>(b), bStrides, Data<float>(y), shape); break;
            case CpuStorage<double> d: BinaryImpl(kernel, d.Data, aStrides, Data<double>(b), bStrides, Data<double>(y), shape); break;
            default: throw new NotSupportedException($"binary kernel {kernel} on {a.DType.Name()}");
        }
    }

    public void BinaryFlat(BinaryKernel kernel, TensorStorage a, bool aScalar, TensorStorage b, bool bScalar, TensorStorage y)
    {
        switch (a)
        {
            case CpuStorage<float> f: BinaryFlatImpl(kernel, f.Data, aScalar ? 0 : 1, Data<float>(b), bScalar ? 0 : 1, Data<float>(y)); break;
            case CpuStorage<double> d: BinaryFlatImpl(kernel, d.Data, aScalar ? 0 : 1, Data<double>(b), bScalar ? 0 : 1, Data<double>(y)); break;
            default: throw new NotSupportedException($"binary kernel {kernel} on {a.DType.Name()}");
        }
    }

    private static void BinaryFlatImpl<T>(BinaryKernel kernel, T[] a, int ia, T[] b, int ib, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length == 1)
        {
            y[0] = Apply(kernel, a[0], b[0]);
            return;
        }

        int parts = ElementwiseParts(y.Length);
        if (parts > 1)
        {
            BinaryRunParts(kernel, a, ia, b, ib, y, parts);
        }
        else if (y.Length > 0)
        {
            BinaryRun(kernel, a, 0, ia, b, 0, ib, y.AsSpan());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void BinaryImpl<T>(BinaryKernel kernel, T[] a, int[] aStrides, T[] b, int[] bStrides, T[] y, int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<int> outStrides = stackalloc int[shape.Length <= StrideMath.MaxRank ? shape.Length : 0];
        if (shape.Length > StrideMath.MaxRank)
        {
            outStrides = Shape.Wrap(shape).Strides(); // beyond the inline limit (Coalesce decides whether it merges enough)
        }
        else
        {
            for (int ax = shape.Length - 1, stride = 1; ax >= 0; ax--)
            {
                outStrides[ax] = stride;
                stride *= shape[ax];
            }
        }

        StrideMath.Coalesce(shape, aStrides, bStrides, outStrides, out var c);
        int rank = c.Rank;
        ReadOnlySpan<int> dims = c.Dims[..rank], sa = c.S0[..rank], sb = c.S1[..rank];
        if (rank == 0)
        {
            y[0] = Apply(kernel, a[0], b[0]);
            return;
        }

        int total = y.Length;
        if (total == 0)
        {
            return;
        }

        int inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
        int rows = total / inner;
        int parts = ElementwiseParts(total);
        if (rows == 1 && parts > 1 && ia <= 1 && ib <= 1)
        {
            // One long run (same shapes, or a scalar against a tensor): split it between the cores.
            BinaryRunParts(kernel, a, ia, b, ib, y, parts);
            return;
        }

        if (parts > 1 && rows >= parts)
        {
            // Broadcast rows (a bias added to a batch): whole rows per core, split where an even split of the
            // elements would fall, so that each core reads back the rows it wrote in the op before.
            BinaryRowParts(kernel, a, b, y, c, rows, parts);
            return;
        }

        BinaryRows(kernel, a, sa, b, sb, y, dims, 0, rows);
    }

    private static void BinaryRunParts<T>(BinaryKernel kernel, T[] a, int ia, T[] b, int ib, T[] y, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (kernel, a, ia, b, ib, y, parts), static (s, part) =>
        {
            var (start, length) = PartRange(s.y.Length, s.parts, part);
            BinaryRun(s.kernel, s.a, start * s.ia, s.ia, s.b, start * s.ib, s.ib, s.y.AsSpan(start, length));
        });

    private static void BinaryRowParts<T>(BinaryKernel kernel, T[] a, T[] b, T[] y, in Coalesced c, int rows, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (kernel, a, b, y, c, rows, parts), static (s, part) =>
        {
            int first = (int)((long)s.rows * part / s.parts), last = (int)((long)s.rows * (part + 1) / s.parts);
            var c = s.c;
            BinaryRows(s.kernel, s.a, c.S0[..c.Rank], s.b, c.S1[..c.Rank], s.y, c.Dims[..c.Rank], first, last);
        });

    /// <summary>Rows [first, last) of a coalesced broadcast binary op, a row being one run along the last axis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinaryRows<T>(BinaryKernel kernel, T[] a, ReadOnlySpan<int> sa, T[] b, ReadOnlySpan<int> sb, T[] y, ReadOnlySpan<int> dims, int first, int last)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = dims.Length;
        int inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
        Span<int> index = stackalloc int[StrideMath.MaxRank];
        int aOff = 0, bOff = 0;
        for (int ax = rank - 2, rest = first; ax >= 0; ax--)
        {
            index[ax] = rest % dims[ax];
            rest /= dims[ax];
            aOff += index[ax] * sa[ax];
            bOff += index[ax] * sb[ax];
        }

        for (int r = first, yOff = first * inner; r < last; r++, yOff += inner)
        {
            BinaryRun(kernel, a, aOff, ia, b, bOff, ib, y.AsSpan(yOff, inner));
            for (int ax = rank - 2; ax >= 0; ax--)
            {
                aOff += sa[ax];
                bOff += sb[ax];
                if (++index[ax] < dims[ax])
                {
                    break;
                }

                aOff -= sa[ax] * dims[ax];
                bOff -= sb[ax] * dims[ax];
                index[ax] = 0;
            }
        }
    }

    /// <summary>One contiguous output run; operands are contiguous (stride 1), broadcast (stride 0) or strided.</summary>
    private static void BinaryRun<T>(BinaryKernel kernel, T[] a, int aOff, int ia, T[] b, int bOff, int ib, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length;
        if (n > TemporalChunk)
        {
            for (int s = 0; s < n; s += TemporalChunk)
            {
                BinaryRun(kernel, a, aOff + (s * ia), ia, b, bOff + (s * ib), ib, y.Slice(s, Math.Min(TemporalChunk, n - s)));
            }

            return;
        }

        if (ia == 1 && ib == 1)
        {
            var av = a.AsSpan(aOff, n);
            var bv = b.AsSpan(bOff, n);
            switch (kernel)
            {
                case BinaryKernel.Add: TensorPrimitives.Add(av, bv, y); return;
                case BinaryKernel.Sub: TensorPrimitives.Subtract(av, bv, y); return;
                case BinaryKernel.Mul: TensorPrimitives.Multiply(av, bv, y); return;
                case BinaryKernel.Div: TensorPrimitives.Divide(av, bv, y); return;
            }
        }
        else if (ia == 1 && ib == 0)
        {
            var av = a.AsSpan(aOff, n);
            T s = b[bOff];
            switch (kernel)
            {
                case BinaryKernel.Add: TensorPrimitives.Add(av, s, y); return;
                case BinaryKernel.Sub: TensorPrimitives.Subtract(av, s, y); return;
                case BinaryKernel.Mul: TensorPrimitives.Multiply(av, s, y); return;
                case BinaryKernel.Div: TensorPrimitives.Divide(av, s, y); return;
            }
        }
        else if (ia == 0 && ib == 1)
        {
            T s = a[aOff];
            var bv = b.AsSpan(bOff, n);
            switch (kernel)
            {
                case BinaryKernel.Add: TensorPrimitives.Add(bv, s, y); return;
                case BinaryKernel.Sub: TensorPrimitives.Subtract(s, bv, y); return;
                case BinaryKernel.Mul: TensorPrimitives.Multiply(bv, s, y); return;
                case BinaryKernel.Div: TensorPrimitives.Divide(s, bv, y); return;
            }
        }

        if (ia <= 1 && ib <= 1 && (ia | ib) == 1 && Vector.IsHardwareAccelerated && kernel >= BinaryKernel.Maximum)
        {
            VectorRun(kernel, a, aOff, ia, b, bOff, ib, y);
            return;
        }

        for (int j = 0, ai = aOff, bi = bOff; j < n; j++, ai += ia, bi += ib)
        {
            y[j] = Apply(kernel, a[ai], b[bi]);
        }
    }

    /// <summary>
    /// Maximum, minimum and the comparisons over a run where each operand is contiguous or one broadcast value
    /// (ReLU's mask in backward is <c>x &gt; 0</c>): vector compares and selects, the same results as
    /// <see cref="Apply"/> element by element, NaNs included (ordered compares are false on NaN; Max/Min propagate it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VectorRun<T>(BinaryKernel kernel, T[] a, int aOff, int ia, T[] b, int bOff, int ib, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length, w = Vector<T>.Count, j = 0;
        var one = Vector<T>.One;
        var zero = Vector<T>.Zero;
        for (; j <= n - w; j += w)
        {
            var av = ia == 1 ? new Vector<T>(a.AsSpan(aOff + j, w)) : new Vector<T>(a[aOff]);
            var bv = ib == 1 ? new Vector<T>(b.AsSpan(bOff + j, w)) : new Vector<T>(b[bOff]);
            var r = kernel switch
            {
                BinaryKernel.Maximum => Vector.ConditionalSelect(Vector.Equals(av, av), Vector.ConditionalSelect(Vector.Equals(bv, bv), Vector.Max(av, bv), bv), av),
                BinaryKernel.Minimum => Vector.ConditionalSelect(Vector.Equals(av, av), Vector.ConditionalSelect(Vector.Equals(bv, bv), Vector.Min(av, bv), bv), av),
                BinaryKernel.Equal => Vector.ConditionalSelect(Vector.Equals(av, bv), one, zero),
                BinaryKernel.NotEqual => Vector.ConditionalSelect(Vector.Equals(av, bv), zero, one),
                BinaryKernel.Less => Vector.ConditionalSelect(Vector.LessThan(av, bv), one, zero),
                BinaryKernel.LessEqual => Vector.ConditionalSelect(Vector.LessThanOrEqual(av, bv), one, zero),
                BinaryKernel.Greater => Vector.ConditionalSelect(Vector.GreaterThan(av, bv), one, zero),
                _ => Vector.ConditionalSelect(Vector.GreaterThanOrEqual(av, bv), one, zero),
            };
            r.CopyTo(y.Slice(j, w));
        }

        for (; j < n; j++)
        {
            y[j] = Apply(kernel, a[aOff + (ia == 1 ? j : 0)], b[bOff + (ib == 1 ? j : 0)]);
        }
    }

    private static T Apply<T>(BinaryKernel kernel, T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> => kernel switch
        {
            BinaryKernel.Add => a + b,
            BinaryKernel.Sub => a - b,
            BinaryKernel.Mul => a * b,
            BinaryKernel.Div => a / b,
            BinaryKernel.Pow => T.Pow(a, b),
            BinaryKernel.Maximum => T.Max(a, b),
            BinaryKernel.Minimum => T.Min(a, b),
            BinaryKernel.Equal => a == b ? T.One : T.Zero,
            BinaryKernel.NotEqual => a != b ? T.One : T.Zero,
            BinaryKernel.Less => a < b ? T.One : T.Zero,
            BinaryKernel.LessEqual => a <= b ? T.One : T.Zero,
            BinaryKernel.Greater => a > b ? T.One : T.Zero,
            BinaryKernel.GreaterEqual => a >= b ? T.One : T.Zero,
            _ => throw new ArgumentOutOfRangeException(nameof(kernel)),
        };

    public void Where(TensorStorage cond, int[] condStrides, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape)
    {
        switch (a)
        {
            case CpuStorage<float> f: WhereImpl(Data<float>(cond), condStrides, f.Data, aStrides, Data<float>(b), bStrides, Data<float>(y), shape); break;
            case CpuStorage<double> d: WhereImpl(Data<double>(cond), condStrides, d.Data, aStrides, Data<double>(b), bStrides, Data<double>(y), shape); break;
            default: throw new NotSupportedException($"where on {a.DType.Name()}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void WhereImpl<T>(T[] c, int[] cStrides, T[] a, int[] aStrides, T[] b, int[] bStrides, T[] y, int[] shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = shape.Length;
        int total = y.Length;
        Span<int> index = rank <= StrideMath.MaxRank ? stackalloc int[StrideMath.MaxRank] : new int[rank];
        int cOff = 0, aOff = 0, bOff = 0;
        for (int i = 0; i < total; i++)
        {
            y[i] = c[cOff] != T.Zero ? a[aOff] : b[bOff];
            for (int ax = rank - 1; ax >= 0; ax--)
            {
                cOff += cStrides[ax];
                aOff += aStrides[ax];
                bOff += bStrides[ax];
                if (++index[ax] < shape[ax])
                {
                    break;
                }

                cOff -= cStrides[ax] * shape[ax];
                aOff -= aStrides[ax] * shape[ax];
                bOff -= bStrides[ax] * shape[ax];
                index[ax] = 0;
            }
        }
    }
}
