using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace AutoGrad.Backends.Cpu;

/// <summary>Softmax cross-entropy against integer labels and its gradient, over a block of rows of logits.</summary>
internal sealed partial class CpuBackend
{
    public void SoftmaxCrossEntropy(TensorStorage logits, TensorStorage labels, int rows, int classes, TensorStorage y)
    {
        switch (logits)
        {
            case CpuStorage<float> f: CrossEntropyImpl(f.Data, Data<int>(labels), null, rows, classes, Data<float>(y)); break;
            case CpuStorage<double> d: CrossEntropyImpl(d.Data, Data<int>(labels), null, rows, classes, Data<double>(y)); break;
            default: throw new NotSupportedException($"softmax cross-entropy on {logits.DType.Name()}");
        }
    }

    public void SoftmaxCrossEntropyGrad(TensorStorage logits, TensorStorage labels, TensorStorage c, int rows, int classes, TensorStorage y)
    {
        switch (logits)
        {
            case CpuStorage<float> f: CrossEntropyImpl(f.Data, Data<int>(labels), Data<float>(c), rows, classes, Data<float>(y)); break;
            case CpuStorage<double> d: CrossEntropyImpl(d.Data, Data<int>(labels), Data<double>(c), rows, classes, Data<double>(y)); break;
            default: throw new NotSupportedException($"softmax cross-entropy gradient on {logits.DType.Name()}");
        }
    }

    /// <summary>The loss per row (<paramref name="c"/> null) or the gradient rows scaled by c.</summary>
    private static void CrossEntropyImpl<T>(T[] z, int[] labels, T[]? c, int rows, int classes, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = rows >= 2 ? ElementwiseParts(rows * classes) : 1;
        if (parts == 1)
        {
            CrossEntropyRows(z, labels, c, classes, y, 0, rows);
            return;
        }

        CrossEntropyParts(z, labels, c, rows, classes, y, parts);
    }

    // Its own method: see UnaryParts.
    private static void CrossEntropyParts<T>(T[] z, int[] labels, T[]? c, int rows, int classes, T[] y, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (z, labels, c, rows, classes, y, parts), static (s, part) =>
            CrossEntropyRows(s.z, s.labels, s.c, s.classes, s.y, (int)((long)s.rows * part / s.parts), (int)((long)s.rows * (part + 1) / s.parts)));

    /// <summary>Rows [first, last): the exponentials of the whole block in one vectorized pass, the rest per row.</summary>
    /// <remarks>
    /// With few classes (the MLP's 10) the work per row is tiny, and four TensorPrimitives calls per row cost ~70 ns
    /// in call overhead alone: short rows are reduced with plain loops, and the exponentials, the only expensive
    /// part, are taken over the block at once.
    /// </remarks>
    private static void CrossEntropyRows<T>(T[] z, int[] labels, T[]? c, int classes, T[] y, int first, int last)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = last - first;
        int size = rows * classes;
        // The gradient builds the exponentials in its own output; the loss needs them only for their sums.
        T[]? scratch = c is null ? ArrayPool<T>.Shared.Rent(size) : null;
        T[] shifts = ArrayPool<T>.Shared.Rent(rows);
        try
        {
            var e = c is null ? scratch.AsSpan(0, size) : y.AsSpan(first * classes, size);
            for (int r = 0; r < rows; r++)
            {
                int label = labels[first + r];
                if ((uint)label >= (uint)classes)
                {
                    throw new IndexRangeException(label, first + r, classes);
                }

                var row = z.AsSpan((first + r) * classes, classes);
                T m = RowMax(row); // NaN if the row has one: the shift is then 0 and NaN flows through
                if (!T.IsFinite(m))
                {
                    m = T.Zero; // as the composite's stable shift: an all −∞ row gives −∞ − (−∞), not a shifted NaN
                }

                shifts[r] = m;
                var to = e.Slice(r * classes, classes);
                if (classes >= ShortRow)
                {
                    TensorPrimitives.Subtract(row, m, to);
                }
                else
                {
                    for (int j = 0; j < classes; j++)
                    {
                        to[j] = row[j] - m;
                    }
                }
            }

            for (int s = 0; s < size; s += TemporalChunk)
            {
                var chunk = e.Slice(s, Math.Min(TemporalChunk, size - s));
                TensorPrimitives.Exp(chunk, chunk);
            }

            for (int r = 0; r < rows; r++)
            {
                var er = e.Slice(r * classes, classes);
                T sum = RowSum(er);
                int label = labels[first + r];
                if (c is null)
                {
                    y[first + r] = T.Log(sum) - (z[((first + r) * classes) + label] - shifts[r]);
                    continue;
                }

                T scale = c[first + r];
                for (int j = 0; j < er.Length; j++)
                {
                    er[j] = ((er[j] / sum) - (j == label ? T.One : T.Zero)) * scale;
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<T>.Shared.Return(scratch);
            }

            ArrayPool<T>.Shared.Return(shifts);
        }
    }

    /// <summary>Rows shorter than this are reduced by plain loops: a TensorPrimitives call costs more than the work.</summary>
    private const int ShortRow = 64;

    private static T RowMax<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (row.Length >= ShortRow)
        {
            return TensorPrimitives.Max(row);
        }

        T m = row[0];
        for (int j = 1; j < row.Length; j++)
        {
            m = T.Max(m, row[j]); // IEEE maximum: NaN propagates
        }

        return m;
    }

    private static T RowSum<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (row.Length >= ShortRow)
        {
            return TensorPrimitives.Sum(row);
        }

        T sum = T.Zero;
        foreach (var v in row)
        {
            sum += v;
        }

        return sum;
    }
}
