namespace AutoGrad.Testing;

/// <summary>One generated input: the layout of the shapes, the values of each input (row-major) and the seed of the random directions.</summary>
internal sealed record Case(Layout Layout, double[][] Values, int DirectionSeed)
{
    public int[] ShapeOf(int input) => Layout.ShapeOf(input);

    public Tensor[] Tensors() => Values.Select((v, i) => Tensor.FromArray((double[])v.Clone(), ShapeOf(i))).ToArray();

    public override string ToString() => Format.Inputs(this);
}

/// <summary>
/// Shrinking: smaller shapes first (an axis removed, keeping one of its slices; a leading broadcast axis of one input
/// dropped; a dimension cut to one slice or by one slice), then simpler values (<see cref="Domain.Simpler"/>). Every candidate is strictly smaller, so it ends.
/// </summary>
internal static class Shrinker
{
    public static IEnumerable<Case> Candidates(Case c, Shapes shapes, Domain[] domains)
    {
        var layout = c.Layout;

        // Remove an axis entirely, keeping slice k of it.
        for (int d = 0; d < layout.Dims.Length; d++)
        {
            if (!shapes.CanRemove(layout, d))
            {
                continue;
            }

            for (int k = 0; k < layout.Dims[d]; k++)
            {
                yield return RemoveAxis(c, d, k);
            }
        }

        // Drop one input's leading broadcast axis (size 1, so its values stay): [1,3] against [2,3] becomes [3].
        for (int i = 0; i < layout.Inputs.Length; i++)
        {
            if (layout.Inputs[i] is [{ One: true }, ..])
            {
                var inputs = (Axis[][])layout.Inputs.Clone();
                inputs[i] = inputs[i][1..];
                yield return c with { Layout = layout with { Inputs = inputs } };
            }
        }

        // Cut a dimension to a single slice k, then by one slice k.
        for (int d = 0; d < layout.Dims.Length; d++)
        {
            int n = layout.Dims[d];
            if (n > 1)
            {
                for (int k = 0; k < n; k++)
                {
                    int keep = k;
                    yield return Narrow(c, d, i => i == keep, 1);
                }
            }

            if (n > 2)
            {
                for (int k = 0; k < n; k++)
                {
                    int drop = k;
                    yield return Narrow(c, d, i => i != drop, n - 1);
                }
            }
        }

        // Simpler values, one element at a time.
        for (int i = 0; i < c.Values.Length; i++)
        {
            for (int j = 0; j < c.Values[i].Length; j++)
            {
                foreach (var simpler in domains[i].Simpler(c.Values[i][j]))
                {
                    var values = c.Values.Select(v => v).ToArray();
                    values[i] = (double[])values[i].Clone();
                    values[i][j] = simpler;
                    yield return c with { Values = values };
                }
            }
        }
    }

    /// <summary>Removes underlying dimension <paramref name="dim"/>, keeping slice <paramref name="keep"/> of every axis that follows it.</summary>
    private static Case RemoveAxis(Case c, int dim, int keep)
    {
        var values = new double[c.Values.Length][];
        var inputs = new Axis[c.Values.Length][];
        for (int i = 0; i < c.Values.Length; i++)
        {
            var (v, shape) = (c.Values[i], c.ShapeOf(i));
            var axes = c.Layout.Inputs[i];
            for (int p = 0; p < axes.Length; p++)
            {
                if (axes[p].Follows(dim))
                {
                    v = Select(v, shape, p, k => k == keep);
                    shape = shape.Select((s, q) => q == p ? 1 : s).ToArray();
                }
            }

            values[i] = v;
            inputs[i] = axes.Where(a => a.Dim != dim)
                .Select(a => a.Dim > dim ? a with { Dim = a.Dim - 1 } : a)
                .ToArray();
        }

        var dims = c.Layout.Dims.Where((_, d) => d != dim).ToArray();
        return c with { Layout = new Layout(dims, inputs), Values = values };
    }

    /// <summary>Sets underlying dimension <paramref name="dim"/> to <paramref name="size"/>, keeping the slices <paramref name="keep"/> accepts.</summary>
    private static Case Narrow(Case c, int dim, Func<int, bool> keep, int size)
    {
        var values = new double[c.Values.Length][];
        for (int i = 0; i < c.Values.Length; i++)
        {
            var (v, shape) = (c.Values[i], c.ShapeOf(i));
            var axes = c.Layout.Inputs[i];
            for (int p = 0; p < axes.Length; p++)
            {
                if (axes[p].Follows(dim))
                {
                    v = Select(v, shape, p, keep);
                    shape = shape.Select((s, q) => q == p ? size : s).ToArray();
                }
            }

            values[i] = v;
        }

        var dims = (int[])c.Layout.Dims.Clone();
        dims[dim] = size;
        return c with { Layout = c.Layout with { Dims = dims }, Values = values };
    }

    /// <summary>The row-major values of <paramref name="shape"/> with only the indices along <paramref name="axis"/> that <paramref name="keep"/> accepts.</summary>
    internal static double[] Select(double[] values, int[] shape, int axis, Func<int, bool> keep)
    {
        int outer = Layout.Size(shape[..axis]);
        int inner = Layout.Size(shape[(axis + 1)..]);
        int n = shape[axis];
        var result = new List<double>(values.Length);
        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < n; k++)
            {
                if (keep(k))
                {
                    result.AddRange(values.AsSpan((o * n + k) * inner, inner));
                }
            }
        }

        return result.ToArray();
    }
}
