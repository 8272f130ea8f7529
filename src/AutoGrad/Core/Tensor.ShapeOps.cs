using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Reshaping, permuting, slicing, broadcasting, joining and splitting.</summary>
public sealed partial class Tensor
{
    /// <summary>The same elements in a new shape (row-major); one dimension may be −1 and is inferred.</summary>
    public Tensor Reshape(int[] shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return ReshapePrimitive.Apply(this, shape, new CallSite(file, line));
    }

    /// <summary>The same elements in a new shape.</summary>
    public Tensor Reshape(Shape shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ReshapePrimitive.Apply(this, shape.Dims, new CallSite(file, line));

    /// <summary>A 1-D view of all elements.</summary>
    public Tensor Flatten([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ReshapePrimitive.Apply(this, [Size], new CallSite(file, line));

    /// <summary>Reorders the axes: output axis i is input axis <paramref name="axes"/>[i].</summary>
    public Tensor Permute(int[] axes, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(axes);
        return PermutePrimitive.Apply(this, axes, new CallSite(file, line));
    }

    /// <summary>Swaps two axes (by default the last two: the matrix transpose).</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        int a = OpCheck.Axis("Transpose", site, axis0, Rank);
        int b = OpCheck.Axis("Transpose", site, axis1, Rank);
        var perm = Enumerable.Range(0, Rank).ToArray();
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return PermutePrimitive.Apply(this, perm, site);
    }

    /// <summary>Repeats along broadcast axes to <paramref name="shape"/> (NumPy rules).</summary>
    public Tensor BroadcastTo(int[] shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return BroadcastToPrimitive.Apply(this, shape, new CallSite(file, line));
    }

    /// <summary>Repeats along broadcast axes to <paramref name="shape"/> (NumPy rules).</summary>
    public Tensor BroadcastTo(Shape shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        BroadcastToPrimitive.Apply(this, shape.Dims, new CallSite(file, line));

    /// <summary>
    /// The inverse of broadcasting: sums over the axes along which <paramref name="shape"/> was broadcast
    /// to give this tensor's shape, and returns a tensor of exactly <paramref name="shape"/>.
    /// </summary>
    public Tensor SumToShape(Shape shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        if (Shape == shape)
        {
            return this;
        }

        var target = shape.Dims;
        int lead = Rank - target.Length;
        bool ok = lead >= 0;
        var axes = new List<int>();
        for (int i = 0; ok && i < Rank; i++)
        {
            if (i < lead)
            {
                axes.Add(i);
            }
            else if (target[i - lead] == 1 && Dims[i] != 1)
            {
                axes.Add(i);
            }
            else
            {
                ok = target[i - lead] == Dims[i];
            }
        }

        if (!ok)
        {
            throw site.Error("SumToShape", $"{Shape} is not a broadcast of {shape}");
        }

        return SumPrimitive.Apply(this, axes.ToArray(), false, site).Reshape(target, file, line);
    }

    /// <summary>
    /// A strided window: per axis, elements start (inclusive) to stop (exclusive) by step (positive).
    /// Negative bounds count from the end and out-of-range bounds are clamped, as in Python.
    /// </summary>
    public Tensor Slice(int[] starts, int[] stops, int[]? steps = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(starts);
        ArgumentNullException.ThrowIfNull(stops);
        return SlicePrimitive.Apply(this, starts, stops, steps ?? Enumerable.Repeat(1, Rank).ToArray(), new CallSite(file, line));
    }

    /// <summary>Elements start..stop (exclusive) by step along one axis; other axes whole.</summary>
    public Tensor Slice(int axis, int start, int stop, int step = 1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        int a = OpCheck.Axis("Slice", site, axis, Rank);
        var starts = new int[Rank];
        var stops = Shape.ToArray();
        var steps = Enumerable.Repeat(1, Rank).ToArray();
        starts[a] = start;
        stops[a] = stop;
        steps[a] = step;
        return SlicePrimitive.Apply(this, starts, stops, steps, site);
    }

    /// <summary>Removes an axis of size 1, or every axis of size 1 when <paramref name="axis"/> is null.</summary>
    public Tensor Squeeze(int? axis = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        if (axis is null)
        {
            return ReshapePrimitive.Apply(this, Dims.Where(d => d != 1).ToArray(), site);
        }

        int a = OpCheck.Axis("Squeeze", site, axis.Value, Rank);
        if (Dims[a] != 1)
        {
            throw site.Error("Squeeze", $"axis {axis} of {Shape} has size {Dims[a]}, not 1");
        }

        return ReshapePrimitive.Apply(this, Dims.Where((_, i) => i != a).ToArray(), site);
    }

    /// <summary>Inserts an axis of size 1 at <paramref name="axis"/> (−1 appends).</summary>
    public Tensor Unsqueeze(int axis, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        int a = OpCheck.Axis("Unsqueeze", site, axis, Rank + 1);
        var dims = Dims.ToList();
        dims.Insert(a, 1);
        return ReshapePrimitive.Apply(this, dims.ToArray(), site);
    }

    /// <summary>Joins tensors along an existing axis; all other dimensions must match.</summary>
    public static Tensor Concat(Tensor[] tensors, int axis = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return ConcatPrimitive.Apply(tensors, axis, new CallSite(file, line));
    }

    /// <summary>Joins equally shaped tensors along a new axis.</summary>
    public static Tensor Stack(Tensor[] tensors, int axis = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var site = new CallSite(file, line);
        if (tensors.Length == 0)
        {
            throw site.Error("Stack", "needs at least one tensor");
        }

        for (int i = 0; i < tensors.Length; i++)
        {
            OpCheck.NotNull("Stack", site, tensors[i], $"tensor {i}");
        }

        foreach (var t in tensors)
        {
            if (t.Shape != tensors[0].Shape)
            {
                throw site.Error("Stack", $"all tensors must have the same shape, got {string.Join(", ", tensors.Select(q => q.Shape.ToString()))}");
            }

            if (t.DType != tensors[0].DType)
            {
                throw site.Error("Stack", $"dtypes differ, {OpCheck.Describe(tensors[0])} and {OpCheck.Describe(t)}");
            }

            OpCheck.SameDevice("Stack", site, tensors[0], t);
        }

        int a = OpCheck.Axis("Stack", site, axis, tensors[0].Rank + 1);
        var expanded = tensors.Select(t => t.Unsqueeze(a, file, line)).ToArray();
        return ConcatPrimitive.Apply(expanded, a, site);
    }

    /// <summary>Splits into pieces of the given sizes along <paramref name="axis"/>; the sizes must add up to the axis length.</summary>
    public Tensor[] Split(int[] sizes, int axis = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var site = new CallSite(file, line);
        int a = OpCheck.Axis("Split", site, axis, Rank);
        if (sizes.Any(s => s < 0) || sizes.Sum() != Dims[a])
        {
            throw site.Error("Split", $"sizes [{string.Join(",", sizes)}] do not add up to {Dims[a]}, the length of axis {a} of {Shape}");
        }

        var parts = new Tensor[sizes.Length];
        int offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Slice(a, offset, offset + sizes[i], 1, file, line);
            offset += sizes[i];
        }

        return parts;
    }

    /// <summary>Splits into <paramref name="sections"/> equal pieces along <paramref name="axis"/>.</summary>
    public Tensor[] Split(int sections, int axis = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        int a = OpCheck.Axis("Split", site, axis, Rank);
        if (sections <= 0 || Dims[a] % sections != 0)
        {
            throw site.Error("Split", $"cannot split axis {a} of {Shape} into {sections} equal sections");
        }

        return Split(Enumerable.Repeat(Dims[a] / sections, sections).ToArray(), a, file, line);
    }
}
