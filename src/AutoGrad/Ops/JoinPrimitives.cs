using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>Joins tensors along an existing axis. VJP slices the cotangent back into pieces.</summary>
internal sealed class ConcatPrimitive(int axis) : Primitive
{
    public override string Name => "Concat";

    public static Tensor Apply(Tensor[] parts, int axis, CallSite site)
    {
        if (parts.Length == 0)
        {
            throw site.Error("Concat", "needs at least one tensor");
        }

        for (int i = 0; i < parts.Length; i++)
        {
            OpCheck.NotNull("Concat", site, parts[i], $"tensor {i}");
        }

        var first = parts[0];
        if (first.Rank == 0)
        {
            throw site.Error("Concat", "cannot concatenate scalars (rank 0); use Stack");
        }

        int a = OpCheck.Axis("Concat", site, axis, first.Rank);
        foreach (var p in parts)
        {
            if (p.DType != first.DType)
            {
                throw site.Error("Concat", $"dtypes differ, {OpCheck.Describe(first)} and {OpCheck.Describe(p)}");
            }

            OpCheck.SameDevice("Concat", site, first, p);
            bool ok = p.Rank == first.Rank;
            for (int i = 0; ok && i < p.Rank; i++)
            {
                ok = i == a || p.Dims[i] == first.Dims[i];
            }

            if (!ok)
            {
                throw site.Error("Concat", $"shapes must match except along axis {a}: {string.Join(", ", parts.Select(q => q.Shape.ToString()))}");
            }
        }

        return parts.Length == 1 ? first : Dispatch.Apply(new ConcatPrimitive(a), site, parts);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var first = inputs[0];
        var outDims = (int[])first.Dims.Clone();
        outDims[axis] = inputs.Sum(t => t.Dims[axis]);
        var y = Tensor.Uninitialized(first.DType, outDims, first.Device);
        var yStrides = Shape.Wrap(outDims).Strides();
        int offset = 0;
        foreach (var part in inputs)
        {
            first.Backend.StridedCopy(part.Storage!, 0, part.Shape.Strides(), y.Storage!, offset * yStrides[axis], yStrides, part.Dims);
            offset += part.Dims[axis];
        }

        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var result = new Tensor?[inputs.Length];
        int offset = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            int size = inputs[i].Dims[axis];
            if (needed[i])
            {
                result[i] = SlicePrimitive.Along(g, axis, offset, offset + size);
            }

            offset += size;
        }

        return result;
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var parts = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            parts[i] = tangents[i] ?? Tensor.ZerosLike(inputs[i]);
        }

        return Apply(parts, axis, CallSite.Unknown);
    }
}

/// <summary>
/// A strided window: per axis, start (inclusive), stop (exclusive) and a positive step. Linear: its VJP
/// places the cotangent back into zeros (<see cref="SlicePadPrimitive"/>), whose own VJP is this slice.
/// </summary>
internal sealed class SlicePrimitive(int[] starts, int[] stops, int[] steps) : Primitive
{
    public override string Name => "Slice";

    public static Tensor Apply(Tensor x, int[] starts, int[] stops, int[] steps, CallSite site)
    {
        int r = x.Rank;
        if (starts.Length != r || stops.Length != r || steps.Length != r)
        {
            throw site.Error("Slice", $"needs one start, stop and step per axis of {x.Shape}, got {starts.Length}, {stops.Length}, {steps.Length}");
        }

        var s0 = new int[r];
        var s1 = new int[r];
        for (int i = 0; i < r; i++)
        {
            int d = x.Dims[i];
            if (steps[i] <= 0)
            {
                throw site.Error("Slice", $"step must be positive, got {steps[i]} on axis {i}");
            }

            // Python-style clamping of negative and out-of-range bounds.
            int a = starts[i] < 0 ? Math.Max(starts[i] + d, 0) : Math.Min(starts[i], d);
            int b = stops[i] < 0 ? Math.Max(stops[i] + d, 0) : Math.Min(stops[i], d);
            s0[i] = a;
            s1[i] = Math.Max(b, a);
        }

        return Dispatch.Apply(new SlicePrimitive(s0, s1, (int[])steps.Clone()), site, x);
    }

    /// <summary>x[..., start:stop, ...] along one axis (bounds already valid).</summary>
    public static Tensor Along(Tensor x, int axis, int start, int stop)
    {
        var starts = new int[x.Rank];
        var stops = x.Shape.ToArray();
        var steps = Enumerable.Repeat(1, x.Rank).ToArray();
        starts[axis] = start;
        stops[axis] = stop;
        return Dispatch.Apply(new SlicePrimitive(starts, stops, steps), x);
    }

    public int[] OutDims()
    {
        var dims = new int[starts.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = (stops[i] - starts[i] + steps[i] - 1) / steps[i];
        }

        return dims;
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var dims = OutDims();
        var xStrides = x.Shape.Strides();
        int offset = 0;
        var srcStrides = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            offset += starts[i] * xStrides[i];
            srcStrides[i] = xStrides[i] * steps[i];
        }

        var y = Tensor.Uninitialized(x.DType, dims, x.Device);
        x.Backend.StridedCopy(x.Storage!, offset, srcStrides, y.Storage!, 0, Shape.Wrap(dims).Strides(), dims);
        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [Dispatch.Apply(new SlicePadPrimitive(inputs[0].Dims, starts, stops, steps), g)];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        Dispatch.Apply(new SlicePrimitive(starts, stops, steps), tangents[0]!);
}

/// <summary>The adjoint of <see cref="SlicePrimitive"/>: a tensor of zeros of the original shape with the input placed in the window.</summary>
internal sealed class SlicePadPrimitive(int[] fullDims, int[] starts, int[] stops, int[] steps) : Primitive
{
    public override string Name => "SlicePad";

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var y = Tensor.Empty(x.DType, fullDims, x.Device);
        var yStrides = Shape.Wrap(fullDims).Strides();
        int offset = 0;
        var dstStrides = new int[fullDims.Length];
        for (int i = 0; i < fullDims.Length; i++)
        {
            offset += starts[i] * yStrides[i];
            dstStrides[i] = yStrides[i] * steps[i];
        }

        x.Backend.StridedCopy(x.Storage!, 0, x.Shape.Strides(), y.Storage!, offset, dstStrides, x.Dims);
        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [Dispatch.Apply(new SlicePrimitive(starts, stops, steps), g)];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        Dispatch.Apply(new SlicePadPrimitive(fullDims, starts, stops, steps), tangents[0]!);
}
