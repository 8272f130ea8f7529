using FsCheck;
using FsCheck.Fluent;
using static AutoGrad.Tests.Support.Gens;

namespace AutoGrad.Tests.Support;

/// <summary>
/// Cases for public composites (no derivative code of their own): they get the same finite-difference,
/// dot-product and reference checks as primitives, which tests the composition.
/// </summary>
public static partial class OpCases
{
    public static IEnumerable<OpCase> Composites()
    {
        yield return new OpCase
        {
            Name = "Mean",
            Float32Tolerance = 1e-4,
            Samples =
                from shape in Shape(allowZero: false)
                from axes in AxesSubset(shape.Length)
                from keep in Gen.Elements(true, false)
                from values in Values(Size(shape), -3, 3)
                select Single("Mean", shape, values, $"axes [{string.Join(",", axes)}] keep {keep}",
                    x => x.Mean(axes, keep), d => Ref.Reduce(d, shape, axes, keep, g => g.Average())),
        };

        yield return new OpCase
        {
            Name = "LogSumExp",
            Samples =
                from shape in Shape(minRank: 1, allowZero: false)
                from axis in Gen.Choose(-shape.Length, shape.Length - 1)
                from values in Values(Size(shape), -5, 5)
                select Single("LogSumExp", shape, values, $"axis {axis}", x => x.LogSumExp(axis),
                    d => Ref.Reduce(d, shape, [axis], false, g => Math.Log(g.Sum(Math.Exp)))),
        };

        foreach (bool log in new[] { false, true })
        {
            string name = log ? "LogSoftmax" : "Softmax";
            yield return new OpCase
            {
                Name = name,
                Samples =
                    from shape in Shape(minRank: 1, allowZero: false)
                    from axis in Gen.Choose(-shape.Length, shape.Length - 1)
                    from values in Values(Size(shape), -5, 5)
                    select Single(name, shape, values, $"axis {axis}", x => log ? x.LogSoftmax(axis) : x.Softmax(axis),
                        d => SoftmaxReference(d, shape, axis < 0 ? axis + shape.Length : axis, log)),
            };
        }

        yield return new OpCase
        {
            Name = "MatMul (NumPy semantics)",
            Float32Tolerance = 1e-4,
            Samples =
                from kind in Gen.Choose(0, 4)
                from k in Gen.Choose(1, 3)
                from m in Gen.Choose(1, 3)
                from n in Gen.Choose(1, 3)
                let sa = kind switch { 0 => new[] { k }, 1 => [m, k], 2 => [k], 3 => [2, 1, m, k], _ => [m, k] }
                let sb = kind switch { 0 => new[] { k }, 1 => [k], 2 => [k, n], 3 => [3, k, n], _ => [2, k, n] }
                from a in Values(Size(sa), -3, 3)
                from b in Values(Size(sb), -3, 3)
                select new OpSample
                {
                    Op = "MatMul", Data = [a, b], Shapes = [sa, sb],
                    Apply = xs => xs[0].MatMul(xs[1]),
                    Reference = d => NumpyMatMulReference(d[0], sa, d[1], sb),
                },
        };

        yield return new OpCase
        {
            Name = "Stack",
            Samples =
                from shape in Shape(maxRank: 3)
                from count in Gen.Choose(1, 3)
                from axis in Gen.Choose(-shape.Length - 1, shape.Length)
                from data in Gen.ArrayOf(Values(Size(shape), -3, 3), count)
                select new OpSample
                {
                    Op = "Stack", Data = data, Shapes = Enumerable.Repeat(shape, count).ToArray(), Attrs = $"axis {axis}",
                    Apply = xs => Tensor.Stack(xs, axis),
                    Reference = d =>
                    {
                        int a = axis < 0 ? axis + shape.Length + 1 : axis;
                        var unit = shape.Take(a).Append(1).Concat(shape.Skip(a)).ToArray();
                        return ConcatReference(d, Enumerable.Repeat(unit, count).ToArray(), a);
                    },
                },
        };

        yield return new OpCase
        {
            Name = "Split (first piece, squared sum of others)",
            Samples =
                from shape in Shape(minRank: 1, allowZero: false)
                from axis in Gen.Choose(0, shape.Length - 1)
                from cut in Gen.Choose(0, shape[axis])
                from values in Values(Size(shape), -3, 3)
                select Single("Split", shape, values, $"axis {axis} at {cut}",
                    x =>
                    {
                        var parts = x.Split([cut, shape[axis] - cut], axis);
                        return parts[0].Sum() * 2.0 + (parts[1] * parts[1]).Sum();
                    },
                    d =>
                    {
                        double total = 0;
                        for (int k = 0; k < d.Length; k++)
                        {
                            total += Ref.Unravel(k, shape)[axis] < cut ? 2 * d[k] : d[k] * d[k];
                        }

                        return ([total], []);
                    }),
        };

        yield return new OpCase
        {
            Name = "SumToShape",
            Float32Tolerance = 1e-4,
            Samples =
                from pair in BroadcastPair()
                let full = Ref.BroadcastShape(pair.A, pair.B)
                from values in Values(Size(full), -3, 3)
                select Single("SumToShape", full, values, $"to [{string.Join(",", pair.A)}]", x => x.SumToShape(new Shape(pair.A)), d =>
                {
                    var o = new double[Ref.Size(pair.A)];
                    int off = full.Length - pair.A.Length;
                    for (int k = 0; k < d.Length; k++)
                    {
                        var idx = Ref.Unravel(k, full).Skip(off).Select((v, i) => pair.A[i] == 1 ? 0 : v).ToArray();
                        o[Ref.Ravel(idx, pair.A)] += d[k];
                    }

                    return (o, pair.A);
                }),
        };

        yield return new OpCase
        {
            Name = "Squeeze/Unsqueeze/Transpose",
            Samples =
                from shape in Shape(minRank: 2, maxRank: 3)
                from axis in Gen.Choose(0, shape.Length)
                from values in Values(Size(shape), -3, 3)
                select Single("Squeeze/Unsqueeze/Transpose", shape, values, $"unsqueeze at {axis}",
                    x => x.Unsqueeze(axis).Squeeze(axis).Transpose(),
                    d =>
                    {
                        int r = shape.Length;
                        var outShape = shape.ToArray();
                        (outShape[r - 1], outShape[r - 2]) = (outShape[r - 2], outShape[r - 1]);
                        var o = new double[d.Length];
                        for (int k = 0; k < d.Length; k++)
                        {
                            var idx = Ref.Unravel(k, outShape);
                            (idx[r - 1], idx[r - 2]) = (idx[r - 2], idx[r - 1]);
                            o[k] = d[Ref.Ravel(idx, shape)];
                        }

                        return (o, outShape);
                    }),
        };
    }

    private static (double[], int[]) SoftmaxReference(double[] x, int[] shape, int axis, bool log)
    {
        var o = new double[x.Length];
        var (lse, _) = Ref.Reduce(x, shape, [axis], true, g => Math.Log(g.Sum(Math.Exp)));
        var kept = shape.Select((d, i) => i == axis ? 1 : d).ToArray();
        for (int k = 0; k < x.Length; k++)
        {
            var idx = Ref.Unravel(k, shape);
            idx[axis] = 0;
            double l = x[k] - lse[Ref.Ravel(idx, kept)];
            o[k] = log ? l : Math.Exp(l);
        }

        return (o, shape);
    }

    private static (double[], int[]) NumpyMatMulReference(double[] a, int[] sa, double[] b, int[] sb)
    {
        var am = sa.Length == 1 ? new[] { 1, sa[0] } : sa;
        var bm = sb.Length == 1 ? new[] { sb[0], 1 } : sb;
        var batch = Ref.BroadcastShape(am[..^2], bm[..^2]);
        int m = am[^2], k = am[^1], n = bm[^1];
        var o = new double[Ref.Size(batch) * m * n];
        for (int q = 0; q < Ref.Size(batch); q++)
        {
            var bidx = Ref.Unravel(q, batch);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        s += Ref.At(a, am, [.. bidx, i, p]) * Ref.At(b, bm, [.. bidx, p, j]);
                    }

                    o[(q * m + i) * n + j] = s;
                }
            }
        }

        var shape = batch.ToList();
        if (sa.Length > 1)
        {
            shape.Add(m);
        }

        if (sb.Length > 1)
        {
            shape.Add(n);
        }

        return (o, shape.ToArray());
    }
}
