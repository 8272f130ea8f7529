using AutoGrad.Autodiff;
using AutoGrad.Ops;
using FsCheck;
using FsCheck.Fluent;
using static AutoGrad.Tests.Support.Gens;

namespace AutoGrad.Tests.Support;

/// <summary>Cases for the structural primitives: shape ops, reductions, products, indexing.</summary>
public static partial class OpCases
{
    private static readonly Tensor M23 = Tensor.Zeros([2, 3], DType.Float64);

    /// <summary>A tensor shape, an axis, and int32 indices into that axis (same shape but m entries along it), for gather and scatter.</summary>
    private static Gen<(int[] Shape, int Axis, int[] IndexShape, double[] Indices)> IndexLayouts() =>
        from shape in Shape(minRank: 1, maxRank: 3, allowZero: false)
        from axis in Gen.Choose(0, shape.Length - 1)
        from m in Gen.Choose(0, 3)
        let idxShape = shape.Select((d, i) => i == axis ? m : d).ToArray()
        from idx in Gen.ArrayOf(Gen.Choose(0, shape[axis] - 1).Select(i => (double)i), Size(idxShape))
        select (shape, axis, idxShape, idx);

    private static Gen<int[]> AxesSubset(int rank) =>
        Gen.ArrayOf(Gen.Elements(true, false), rank).Select(mask =>
            Enumerable.Range(0, rank).Where(i => mask[i]).ToArray());

    private static OpSample Single(string op, int[] shape, double[] values, string attrs, Func<Tensor, Tensor> f, Func<double[], (double[], int[])> reference) => new()
    {
        Op = op, Data = [values], Shapes = [shape], Attrs = attrs,
        Apply = xs => f(xs[0]),
        Reference = d => reference(d[0]),
    };

    private static IEnumerable<OpCase> StructuralCases()
    {
        yield return new OpCase
        {
            Name = "Reshape",
            Samples =
                from shape in Shape()
                from choice in Gen.Choose(0, 4)
                from values in Values(Size(shape), -3, 3)
                let target = choice switch
                {
                    0 => [Size(shape)],
                    1 => shape.Reverse().ToArray(),
                    2 => [1, .. shape],
                    3 => [.. shape, 1],
                    _ => Size(shape) == 0 ? [0] : [-1],
                }
                select Single("Reshape", shape, values, $"to [{string.Join(",", target)}]", x => x.Reshape(target),
                    d => (d, target.Select(t => t == -1 ? Size(shape) : t).ToArray())),
            Errors = () =>
            [
                new("element count differs", () => M23.Reshape([4]), "cannot reshape [2,3] (6 elements) to [4] (4 elements)"),
                new("two -1", () => M23.Reshape([-1, -1]), "only one dimension can be -1"),
            ],
        };

        yield return new OpCase
        {
            Name = "Permute",
            Samples =
                from shape in Shape()
                from perm in Gen.Shuffle(Enumerable.Range(0, shape.Length).ToArray())
                from values in Values(Size(shape), -3, 3)
                select Single("Permute", shape, values, $"perm [{string.Join(",", perm)}]", x => x.Permute(perm), d =>
                {
                    var outShape = perm.Select(p => shape[p]).ToArray();
                    var o = new double[d.Length];
                    for (int k = 0; k < o.Length; k++)
                    {
                        var idx = Ref.Unravel(k, outShape);
                        var src = new int[shape.Length];
                        for (int i = 0; i < perm.Length; i++)
                        {
                            src[perm[i]] = idx[i];
                        }

                        o[k] = d[Ref.Ravel(src, shape)];
                    }

                    return (o, outShape);
                }),
            Errors = () =>
            [
                new("not a permutation", () => M23.Permute([0, 0]), "[0,0] is not a permutation of the axes of [2,3]"),
                new("wrong count", () => M23.Permute([0]), "needs 2 axes for a tensor of shape [2,3]"),
                new("axis out of range", () => M23.Transpose(0, 2), "axis 2 is out of range for a tensor of rank 2", "Transpose"),
            ],
        };

        yield return new OpCase
        {
            Name = "BroadcastTo",
            Samples =
                from pair in BroadcastPair()
                let target = Ref.BroadcastShape(pair.A, pair.B)
                from values in Values(Size(pair.A), -3, 3)
                select Single("BroadcastTo", pair.A, values, $"to [{string.Join(",", target)}]", x => x.BroadcastTo(target), d =>
                {
                    var o = new double[Size(target)];
                    for (int k = 0; k < o.Length; k++)
                    {
                        o[k] = Ref.At(d, pair.A, Ref.Unravel(k, target));
                    }

                    return (o, target);
                }),
            Errors = () => [new("incompatible target", () => M23.BroadcastTo([3, 3]), "cannot broadcast [2,3] to [3,3]")],
        };

        // Float64 → float32 → float64 (or the reverse in float32 runs): the identity up to float32
        // rounding. Linear, so exact for any step; a large step keeps the rounding out of the difference.
        yield return new OpCase
        {
            Name = "Cast",
            Step = 8,
            DotTolerance = 1e-6, // tangents and cotangents are rounded to float32 in the middle, as they should be
            Samples =
                from shape in Shape()
                from values in Values(Size(shape), -3, 3)
                select Single("Cast", shape, values, "round trip through the other float type",
                    x => x.To(x.DType == DType.Float64 ? DType.Float32 : DType.Float64).To(x.DType),
                    d => Ref.Map(d, shape, v => (float)v)),
            Errors = () => [new("unknown dtype", () => M23.To((DType)42), "unknown dtype 42 for float64[2,3]")],
        };

        // To another device and back (a second device identity over the CPU backend): the identity, exactly.
        yield return new OpCase
        {
            Name = "ToDevice",
            NotCompilable = "a compiled function runs on one device",
            Samples =
                from shape in Shape()
                from values in Values(Size(shape), -3, 3)
                select Single("ToDevice", shape, values, "to another device and back, times 2 there",
                    x => (x.To(TestDevices.Other) * 2.0).To(x.Device), d => Ref.Map(d, shape, v => 2 * v)),
            Errors = () => [new("null device", () => M23.To((Device)null!), "the target device is null for float64[2,3]")],
        };

        yield return new OpCase
        {
            Name = "Sum",
            Float32Tolerance = 1e-4,
            Samples =
                from shape in Shape()
                from axes in AxesSubset(shape.Length)
                from all in Gen.Elements(true, false)
                from keep in Gen.Elements(true, false)
                from values in Values(Size(shape), -3, 3)
                let chosen = all ? null : axes
                select Single("Sum", shape, values, $"axes {(chosen is null ? "all" : "[" + string.Join(",", chosen) + "]")} keep {keep}",
                    x => x.Sum(chosen, keep), d => Ref.Reduce(d, shape, chosen, keep, g => g.Sum())),
            Errors = () =>
            [
                new("axis out of range", () => M23.Sum(2), "axis 2 is out of range for a tensor of rank 2 (valid: -2..1)"),
                new("repeated axis", () => M23.Sum([1, -1]), "axis 1 is repeated in [1,-1]"),
                IntInput("Sum", x => x.Sum()),
            ],
        };

        foreach (bool max in new[] { true, false })
        {
            string name = max ? "Max" : "Min";
            yield return new OpCase
            {
                Name = name,
                Samples =
                    from shape in Shape(allowZero: false)
                    from axes in AxesSubset(shape.Length)
                    from keep in Gen.Elements(true, false)
                    from values in DistinctValues(Size(shape))
                    select Single(name, shape, values, $"axes [{string.Join(",", axes)}] keep {keep}",
                        x => max ? x.Max(axes, keep) : x.Min(axes, keep),
                        d => Ref.Reduce(d, shape, axes, keep, g => max ? g.Max() : g.Min())),
                Errors = () =>
                [
                    new("empty axis", () => { _ = max ? Tensor.Zeros([2, 0]).Max(1) : Tensor.Zeros([2, 0]).Min(1); }, "cannot reduce over axis 1 of size 0 in [2,0]"),
                    new("axis out of range", () => { _ = max ? M23.Max(-3) : M23.Min(-3); }, "axis -3 is out of range for a tensor of rank 2"),
                ],
            };

            string argName = max ? "ArgMax" : "ArgMin";
            yield return new OpCase
            {
                Name = argName,
                Differentiable = false,
                Samples =
                    from shape in Shape(minRank: 1, allowZero: false)
                    from axis in Gen.Choose(-shape.Length, shape.Length - 1)
                    from keep in Gen.Elements(true, false)
                    from values in DistinctValues(Size(shape))
                    select Single(argName, shape, values, $"axis {axis} keep {keep}",
                        x => (max ? x.ArgMax(axis, keep) : x.ArgMin(axis, keep)).To(x.DType),
                        d => Ref.Reduce(d, shape, [axis], keep, g => g.IndexOf(max ? g.Max() : g.Min()))),
                Errors = () =>
                [
                    new("axis out of range", () => { _ = max ? M23.ArgMax(2) : M23.ArgMin(2); }, "axis 2 is out of range for a tensor of rank 2"),
                ],
            };
        }

        yield return new OpCase
        {
            Name = "MatMul",
            Float32Tolerance = 1e-4,
            Samples =
                from batchRank in Gen.Choose(0, 2)
                from batch in Gen.ArrayOf(Gen.Choose(1, 2), batchRank)
                from m in Gen.Choose(0, 3)
                from k in Gen.Choose(0, 4)
                from n in Gen.Choose(1, 3)
                from ta in Gen.Elements(true, false)
                from tb in Gen.Elements(true, false)
                let sa = batch.Concat(ta ? new[] { k, m } : [m, k]).ToArray()
                let sb = batch.Concat(tb ? new[] { n, k } : [k, n]).ToArray()
                from a in Values(Size(sa), -3, 3)
                from b in Values(Size(sb), -3, 3)
                select new OpSample
                {
                    Op = "MatMul", Data = [a, b], Shapes = [sa, sb], Attrs = $"transposeA {ta} transposeB {tb}",
                    Apply = xs => MatMulPrimitive.Apply(xs[0], xs[1], ta, tb, CallSite.Unknown),
                    Reference = d => MatMulReference(d[0], d[1], batch, m, n, k, ta, tb),
                },
            Errors = () =>
            [
                new("inner dimensions", () => Tensor.Zeros([2, 3]).MatMul(Tensor.Zeros([4, 5])), "inner dimensions differ, [2,3] @ [4,5]"),
                new("batch dimensions", () => Tensor.Zeros([2, 2, 3]).MatMul(Tensor.Zeros([3, 3, 4])), "batch dimensions cannot be broadcast, [2,2,3] @ [3,3,4]"),
                new("scalar operand", () => Tensor.Scalar(1f).MatMul(Tensor.Zeros([2])), "operands must have rank ≥ 1"),
                new("mixed dtypes", () => Tensor.Zeros([2, 2], DType.Float64).MatMul(Tensor.Zeros([2, 2])), "dtypes differ"),
            ],
        };

        yield return new OpCase
        {
            Name = "Concat",
            Samples =
                from rank in Gen.Choose(1, 3)
                from shape in Gen.ArrayOf(Gen.Choose(1, 3), rank)
                from axis in Gen.Choose(0, rank - 1)
                from lengths in Gen.ArrayOf(Gen.Choose(0, 3), 3).Select(l => l.Take(1 + (l[0] % 3)).ToArray())
                let shapes = lengths.Select(l => shape.Select((d, i) => i == axis ? l : d).ToArray()).ToArray()
                from data in Gen.CollectToArray(shapes.Select(s => Values(Size(s), -3, 3)))
                select new OpSample
                {
                    Op = "Concat", Data = data, Shapes = shapes, Attrs = $"axis {axis}",
                    Apply = xs => Tensor.Concat(xs, axis),
                    Reference = d => ConcatReference(d, shapes, axis),
                },
            Errors = () =>
            [
                new("mismatched shapes", () => Tensor.Concat([Tensor.Zeros([2, 3]), Tensor.Zeros([3, 2])], 0), "shapes must match except along axis 0"),
                new("axis out of range", () => Tensor.Concat([Tensor.Zeros([2, 3])], 2), "axis 2 is out of range for a tensor of rank 2"),
            ],
        };

        yield return new OpCase
        {
            Name = "Slice",
            Samples =
                from shape in Shape(minRank: 1)
                from starts in Gen.CollectToArray(shape.Select(d => Gen.Choose(-d - 1, d + 1)))
                from stops in Gen.CollectToArray(shape.Select(d => Gen.Choose(-d - 1, d + 1)))
                from steps in Gen.ArrayOf(Gen.Choose(1, 3), shape.Length)
                from values in Values(Size(shape), -3, 3)
                select Single("Slice", shape, values, $"starts [{string.Join(",", starts)}] stops [{string.Join(",", stops)}] steps [{string.Join(",", steps)}]",
                    x => x.Slice(starts, stops, steps), d => SliceReference(d, shape, starts, stops, steps)),
            Errors = () =>
            [
                new("zero step", () => M23.Slice(1, 0, 2, 0), "step must be positive, got 0 on axis 1"),
                new("wrong arity", () => M23.Slice([0], [1]), "needs one start, stop and step per axis of [2,3]"),
            ],
        };

        // SlicePad is created only by Slice's VJP (never called by users); it is tested through the internal API.
        yield return new OpCase
        {
            Name = "SlicePad",
            Samples =
                from full in Shape(minRank: 1)
                from starts in Gen.CollectToArray(full.Select(d => Gen.Choose(0, d)))
                from extents in Gen.CollectToArray(full.Select(d => Gen.Choose(0, d)))
                from steps in Gen.ArrayOf(Gen.Choose(1, 3), full.Length)
                let stops = starts.Select((s, i) => Math.Min(full[i], s + extents[i])).ToArray()
                let window = starts.Select((s, i) => (stops[i] - s + steps[i] - 1) / steps[i]).ToArray()
                from values in Values(Size(window), -3, 3)
                select Single("SlicePad", window, values, $"into [{string.Join(",", full)}] at [{string.Join(",", starts)}] step [{string.Join(",", steps)}]",
                    x => Dispatch.Apply(new SlicePadPrimitive(full, starts, stops, steps), x),
                    d => SlicePadReference(d, window, full, starts, steps)),
        };

        yield return new OpCase
        {
            Name = "TakeAlongAxis",
            Samples =
                from layout in IndexLayouts()
                let shape = layout.Shape
                let axis = layout.Axis
                let idxShape = layout.IndexShape
                let idx = layout.Indices
                from values in Values(Size(shape), -3, 3)
                select new OpSample
                {
                    Op = "TakeAlongAxis", Data = [values, idx], Shapes = [shape, idxShape], IsIndex = [false, true], Attrs = $"axis {axis}",
                    Apply = xs => xs[0].TakeAlongAxis(xs[1], axis),
                    Reference = d => GatherReference(d[0], shape, d[1], idxShape, axis),
                },
            Errors = () =>
            [
                new("float indices", () => M23.TakeAlongAxis(M23, 1), "indices must be an int32 tensor, got float64[2,3]"),
                new("index out of range", () => M23.TakeAlongAxis(Tensor.FromArray(new[] { 0, 5 }, [2, 1]), 1), "index 5 in indices [2,1] (flat position 1) is out of range for axis 1 of size 3"),
                new("shape mismatch", () => M23.TakeAlongAxis(Tensor.FromArray(new[] { 0, 1, 2 }, [3, 1]), 1), "indices [3,1] and [2,3] differ on axis 0"),
            ],
        };

        yield return new OpCase
        {
            Name = "ScatterAdd",
            Samples =
                from layout in IndexLayouts()
                let shape = layout.Shape
                let axis = layout.Axis
                let idxShape = layout.IndexShape
                let idx = layout.Indices
                from values in Values(Size(idxShape), -3, 3)
                select new OpSample
                {
                    Op = "ScatterAdd", Data = [values, idx], Shapes = [idxShape, idxShape], IsIndex = [false, true], Attrs = $"axis {axis} into [{string.Join(",", shape)}]",
                    Apply = xs => Tensor.ScatterAdd(xs[0], xs[1], axis, new Shape(shape)),
                    Reference = d => ScatterReference(d[0], d[1], idxShape, shape, axis),
                },
            Errors = () =>
            [
                new("source shape", () => Tensor.ScatterAdd(M23, Tensor.FromArray(new[] { 0, 1 }, [2, 1]), 1, new Shape(2, 3)), "source [2,3] must have the shape of indices [2,1]"),
                new("index out of range", () => Tensor.ScatterAdd(Tensor.Zeros([1, 1]), Tensor.FromArray(new[] { 3 }, [1, 1]), 1, new Shape(1, 3)), "index 3 in indices [1,1]"),
            ],
        };

        yield return new OpCase
        {
            Name = "Where",
            Samples =
                from pair in BroadcastPair()
                from which in Gen.Choose(0, 3)
                let full = Ref.BroadcastShape(pair.A, pair.B)
                let condShape = which switch { 0 => pair.A, 1 => pair.B, 2 => full, _ => Array.Empty<int>() }
                from cond in Gen.ArrayOf(Gen.Elements(0.0, 1.0), Size(condShape))
                from a in Values(Size(pair.A), -3, 3)
                from b in Values(Size(pair.B), -3, 3)
                select new OpSample
                {
                    // The mask is part of the call, not an input: it carries no derivative, and perturbing its
                    // zeros would flip branches.
                    Op = "Where", Data = [a, b], Shapes = [pair.A, pair.B], Attrs = $"mask [{string.Join(",", condShape)}] {string.Join(",", cond)}",
                    Apply = xs => Tensor.Where(Tensor.FromArray(cond, condShape, xs[0].Device).To(xs[0].DType), xs[0], xs[1]), // the mask where the data is
                    Reference = d => WhereReference(cond, condShape, d[0], pair.A, d[1], pair.B),
                },
            Errors = () =>
            [
                new("shapes", () => Tensor.Where(Tensor.Zeros([2]), Tensor.Zeros([3]), Tensor.Zeros([3])), "shapes [2] and [3] cannot be broadcast together"),
                new("dtypes", () => Tensor.Where(Tensor.Zeros([2]), Tensor.Zeros([2]), Tensor.Zeros([2], DType.Float64)), "dtypes differ"),
            ],
        };

        yield return new OpCase
        {
            Name = "OneHot",
            Differentiable = false,
            Samples =
                from shape in Shape(maxRank: 2)
                from classes in Gen.Choose(1, 4)
                from labels in Gen.ArrayOf(Gen.Choose(0, classes - 1).Select(i => (double)i), Size(shape))
                select new OpSample
                {
                    Op = "OneHot", Data = [labels], Shapes = [shape], IsIndex = [true], Attrs = $"classes {classes}",
                    Apply = xs => xs[0].OneHot(classes, DType.Float64),
                    Reference = d => (d[0].SelectMany(l => Enumerable.Range(0, classes).Select(c => c == (int)l ? 1.0 : 0.0)).ToArray(), [.. shape, classes]),
                },
            Errors = () =>
            [
                new("label out of range", () => Tensor.FromArray(new[] { 0, 3 }).OneHot(3), "label 3 at position 1 of [2] is outside [0, 3)"),
                new("float labels", () => M23.OneHot(3), "labels must be an int32 tensor, got float64[2,3]"),
            ],
        };
    }

    private static (double[], int[]) MatMulReference(double[] a, double[] b, int[] batch, int m, int n, int k, bool ta, bool tb)
    {
        int bs = Ref.Size(batch);
        var c = new double[bs * m * n];
        for (int q = 0; q < bs; q++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = ta ? a[q * m * k + p * m + i] : a[q * m * k + i * k + p];
                        double bv = tb ? b[q * k * n + j * k + p] : b[q * k * n + p * n + j];
                        s += av * bv;
                    }

                    c[(q * m + i) * n + j] = s;
                }
            }
        }

        return (c, [.. batch, m, n]);
    }

    private static (double[], int[]) ConcatReference(double[][] parts, int[][] shapes, int axis)
    {
        var outShape = (int[])shapes[0].Clone();
        outShape[axis] = shapes.Sum(s => s[axis]);
        var o = new double[Ref.Size(outShape)];
        for (int k = 0; k < o.Length; k++)
        {
            var idx = Ref.Unravel(k, outShape);
            int p = 0, pos = idx[axis];
            while (pos >= shapes[p][axis])
            {
                pos -= shapes[p][axis];
                p++;
            }

            idx[axis] = pos;
            o[k] = parts[p][Ref.Ravel(idx, shapes[p])];
        }

        return (o, outShape);
    }

    private static (double[], int[]) SliceReference(double[] x, int[] shape, int[] starts, int[] stops, int[] steps)
    {
        // Python slice semantics, computed the long way: list the chosen indices per axis.
        var chosen = shape.Select((d, i) =>
        {
            int a = starts[i] < 0 ? Math.Max(starts[i] + d, 0) : Math.Min(starts[i], d);
            int b = stops[i] < 0 ? Math.Max(stops[i] + d, 0) : Math.Min(stops[i], d);
            var list = new List<int>();
            for (int j = a; j < b; j += steps[i])
            {
                list.Add(j);
            }

            return list;
        }).ToArray();
        var outShape = chosen.Select(c => c.Count).ToArray();
        var o = new double[Ref.Size(outShape)];
        for (int k = 0; k < o.Length; k++)
        {
            var idx = Ref.Unravel(k, outShape);
            o[k] = x[Ref.Ravel(idx.Select((v, i) => chosen[i][v]).ToArray(), shape)];
        }

        return (o, outShape);
    }

    private static (double[], int[]) SlicePadReference(double[] x, int[] window, int[] full, int[] starts, int[] steps)
    {
        var o = new double[Ref.Size(full)];
        for (int k = 0; k < x.Length; k++)
        {
            var idx = Ref.Unravel(k, window);
            o[Ref.Ravel(idx.Select((v, i) => starts[i] + v * steps[i]).ToArray(), full)] = x[k];
        }

        return (o, full);
    }

    /// <summary>Visits every index position k of an indices tensor with the full-tensor index it names.</summary>
    private static void AlongAxis(double[] idx, int[] idxShape, int[] shape, int axis, Action<int, int> visit)
    {
        for (int k = 0; k < idx.Length; k++)
        {
            var at = Ref.Unravel(k, idxShape);
            at[axis] = (int)idx[k];
            visit(k, Ref.Ravel(at, shape));
        }
    }

    private static (double[], int[]) GatherReference(double[] x, int[] shape, double[] idx, int[] idxShape, int axis)
    {
        var o = new double[idx.Length];
        AlongAxis(idx, idxShape, shape, axis, (k, at) => o[k] = x[at]);
        return (o, idxShape);
    }

    private static (double[], int[]) ScatterReference(double[] g, double[] idx, int[] idxShape, int[] shape, int axis)
    {
        var o = new double[Ref.Size(shape)];
        AlongAxis(idx, idxShape, shape, axis, (k, at) => o[at] += g[k]);
        return (o, shape);
    }

    private static (double[], int[]) WhereReference(double[] c, int[] sc, double[] a, int[] sa, double[] b, int[] sb)
    {
        var so = Ref.BroadcastShape(Ref.BroadcastShape(sc, sa), sb);
        var o = new double[Ref.Size(so)];
        for (int k = 0; k < o.Length; k++)
        {
            var idx = Ref.Unravel(k, so);
            o[k] = Ref.At(c, sc, idx) != 0 ? Ref.At(a, sa, idx) : Ref.At(b, sb, idx);
        }

        return (o, so);
    }
}
