using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace AutoGrad.Backends.Cpu;

/// <summary>Reductions over the middle axis of an (outer, n, inner) view, in a fixed order.</summary>
internal sealed partial class CpuBackend
{
    public void Reduce(ReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y)
    {
        switch (x)
        {
            case CpuStorage<float> f: ReduceImpl(kernel, f.Data, outer, n, inner, Data<float>(y)); break;
            case CpuStorage<double> d: ReduceImpl(kernel, d.Data, outer, n, inner, Data<double>(y)); break;
            default: throw new NotSupportedException($"reduce on {x.DType.Name()}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void ReduceImpl<T>(ReduceKernel kernel, T[] x, int outer, int n, int inner, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = ElementwiseParts(x.Length);
        if (kernel == ReduceKernel.Sum && inner >= 16 * parts && parts > 1)
        {
            // Column sums (a bias gradient): each core sums its own range of columns over every row. Each output
            // element is still the same sequence of adds, so the split changes no bit.
            ColumnSumParts(x, outer, n, inner, y, parts);
            return;
        }

        for (int o = 0; o < outer; o++)
        {
            int baseIn = o * n * inner;
            if (inner == 1)
            {
                var row = x.AsSpan(baseIn, n);
                y[o] = kernel switch
                {
                    ReduceKernel.Sum => Sum(row),
                    ReduceKernel.Max => Extreme(row, max: true),
                    _ => Extreme(row, max: false),
                };
                continue;
            }

            var acc = y.AsSpan(o * inner, inner);
            if (kernel == ReduceKernel.Sum)
            {
                acc.Clear();
            }
            else
            {
                x.AsSpan(baseIn, inner).CopyTo(acc);
            }

            if (kernel == ReduceKernel.Sum)
            {
                // Row by row, each element acc + src as in the loop below: vectorized, and bitwise the same.
                for (int j = 0; j < n; j++)
                {
                    TensorPrimitives.Add(acc, x.AsSpan(baseIn + j * inner, inner), acc);
                }

                continue;
            }

            for (int j = 1; j < n; j++)
            {
                var src = x.AsSpan(baseIn + j * inner, inner);
                for (int i = 0; i < inner; i++)
                {
                    acc[i] = kernel == ReduceKernel.Max ? T.Max(acc[i], src[i]) : T.Min(acc[i], src[i]);
                }
            }
        }
    }

    /// <summary>Column sums split by columns across the cores (its own method: see <see cref="UnaryParts{T}"/>).</summary>
    private static void ColumnSumParts<T>(T[] x, int outer, int n, int inner, T[] y, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, part =>
        {
            var (start, length) = PartRange(inner, parts, part);
            for (int o = 0; o < outer; o++)
            {
                int baseIn = o * n * inner + start;
                var acc = y.AsSpan(o * inner + start, length);
                acc.Clear();
                for (int j = 0; j < n; j++)
                {
                    TensorPrimitives.Add(acc, x.AsSpan(baseIn + j * inner, length), acc);
                }
            }
        });

    /// <summary>
    /// Vectorized sum with four accumulators from index 0: the association order depends only on the
    /// length, never on alignment, so results are reproducible bit for bit.
    /// </summary>
    private static T Sum<T>(ReadOnlySpan<T> xs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T total = T.Zero;
        int w = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated && xs.Length >= 4 * w)
        {
            Vector<T> s0 = Vector<T>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i <= xs.Length - 4 * w; i += 4 * w)
            {
                s0 += new Vector<T>(xs.Slice(i));
                s1 += new Vector<T>(xs.Slice(i + w));
                s2 += new Vector<T>(xs.Slice(i + 2 * w));
                s3 += new Vector<T>(xs.Slice(i + 3 * w));
            }

            total = Vector.Sum((s0 + s1) + (s2 + s3));
        }

        for (; i < xs.Length; i++)
        {
            total += xs[i];
        }

        return total;
    }

    private static T Extreme<T>(ReadOnlySpan<T> xs, bool max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T best = xs[0];
        for (int i = 1; i < xs.Length; i++)
        {
            best = max ? T.Max(best, xs[i]) : T.Min(best, xs[i]);
        }

        return best;
    }

    public void ArgReduce(ArgReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y)
    {
        switch (x)
        {
            case CpuStorage<float> f: ArgReduceImpl(kernel, f.Data, outer, n, inner, Data<int>(y)); break;
            case CpuStorage<double> d: ArgReduceImpl(kernel, d.Data, outer, n, inner, Data<int>(y)); break;
            default: throw new NotSupportedException($"arg-reduce on {x.DType.Name()}");
        }
    }

    private static void ArgReduceImpl<T>(ArgReduceKernel kernel, T[] x, int outer, int n, int inner, int[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool max = kernel == ArgReduceKernel.ArgMax;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                T bestValue = x[o * n * inner + i];
                for (int j = 1; j < n && !T.IsNaN(bestValue); j++)
                {
                    T v = x[(o * n + j) * inner + i];
                    if (T.IsNaN(v) || (max ? v > bestValue : v < bestValue))
                    {
                        best = j;
                        bestValue = v;
                    }
                }

                y[o * inner + i] = best;
            }
        }
    }
}
