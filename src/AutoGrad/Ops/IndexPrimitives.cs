using AutoGrad.Autodiff;
using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>Shared validation of (x, indices, axis) for gather and scatter-add.</summary>
internal static class IndexLayout
{
    /// <summary>
    /// Checks that <paramref name="indices"/> is int32 with the rank of <paramref name="dims"/> and equal
    /// sizes on every axis but <paramref name="axis"/>; returns the (outer, n, m, inner) kernel view.
    /// </summary>
    public static (int Axis, int Outer, int N, int M, int Inner) Resolve(string op, CallSite site, int[] dims, Tensor indices, int axis)
    {
        OpCheck.Int32(op, site, indices, "indices");
        if (indices.Rank != dims.Length)
        {
            throw site.Error(op, $"indices {indices.Shape} must have the rank of {Shape.Format(dims)}");
        }

        int a = OpCheck.Axis(op, site, axis, dims.Length);
        for (int i = 0; i < dims.Length; i++)
        {
            if (i != a && indices.Dims[i] != dims[i])
            {
                throw site.Error(op, $"indices {indices.Shape} and {Shape.Format(dims)} differ on axis {i} (only axis {a} may differ)");
            }
        }

        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++)
        {
            outer *= dims[i];
        }

        for (int i = a + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }

        return (a, outer, dims[a], indices.Dims[a], inner);
    }

    public static Exception RangeError(string op, CallSite site, IndexRangeException e, Tensor indices, int axis) =>
        site.Error(op, $"index {e.Index} in indices {indices.Shape} (flat position {e.Position}) is out of range for axis {axis} of size {e.Limit}");
}

/// <summary>
/// y = take_along_axis(x, indices, axis): y[..., j, ...] = x[..., indices[..., j, ...], ...]. Linear in x:
/// VJP scatter-adds the cotangent (<see cref="ScatterAddPrimitive"/>). Indices carry no gradient.
/// </summary>
internal sealed class TakeAlongAxisPrimitive(int axis, CallSite site) : Primitive
{
    public override string Name => "TakeAlongAxis";

    public static Tensor Apply(Tensor x, Tensor indices, int axis, CallSite site)
    {
        OpCheck.SameDevice("TakeAlongAxis", site, x, indices);
        var layout = IndexLayout.Resolve("TakeAlongAxis", site, x.Dims, indices, axis);
        if (layout.N == 0 && layout.M > 0 && layout.Outer * layout.Inner > 0)
        {
            throw site.Error("TakeAlongAxis", $"axis {layout.Axis} of {x.Shape} is empty, nothing to take");
        }

        return Dispatch.Apply(new TakeAlongAxisPrimitive(layout.Axis, site), site, x, indices);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (x, idx) = (inputs[0], inputs[1]);
        var (_, outer, n, m, inner) = IndexLayout.Resolve(Name, site, x.Dims, idx, axis);
        var y = Tensor.Empty(x.DType, idx.Dims, x.Device);
        try
        {
            x.Backend.Gather(x.Storage!, idx.Storage!, outer, n, m, inner, y.Storage!);
        }
        catch (IndexRangeException e)
        {
            throw IndexLayout.RangeError(Name, site, e, idx, axis);
        }

        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [needed[0] ? ScatterAddPrimitive.Apply(g, inputs[1], axis, inputs[0].Dims, site) : null, null];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        Dispatch.Apply(new TakeAlongAxisPrimitive(axis, site), tangents[0]!, inputs[1]);
}

/// <summary>
/// The adjoint of take-along-axis: zeros of <c>dims</c> with y[..., indices[..., j, ...], ...] += g[..., j, ...].
/// Repeated indices add up. Linear in g: VJP gathers the cotangent.
/// </summary>
internal sealed class ScatterAddPrimitive(int axis, int[] dims, CallSite site) : Primitive
{
    public override string Name => "ScatterAdd";

    public static Tensor Apply(Tensor g, Tensor indices, int axis, int[] dims, CallSite site)
    {
        OpCheck.Floating("ScatterAdd", site, g);
        OpCheck.SameDevice("ScatterAdd", site, g, indices);
        var layout = IndexLayout.Resolve("ScatterAdd", site, dims, indices, axis);
        if (!g.Dims.AsSpan().SequenceEqual(indices.Dims))
        {
            throw site.Error("ScatterAdd", $"source {g.Shape} must have the shape of indices {indices.Shape}");
        }

        return Dispatch.Apply(new ScatterAddPrimitive(layout.Axis, (int[])dims.Clone(), site), site, g, indices);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (g, idx) = (inputs[0], inputs[1]);
        var (_, outer, n, m, inner) = IndexLayout.Resolve(Name, site, dims, idx, axis);
        var y = Tensor.Empty(g.DType, dims, g.Device);
        try
        {
            g.Backend.ScatterAdd(g.Storage!, idx.Storage!, outer, n, m, inner, y.Storage!);
        }
        catch (IndexRangeException e)
        {
            throw IndexLayout.RangeError(Name, site, e, idx, axis);
        }

        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [needed[0] ? Dispatch.Apply(new TakeAlongAxisPrimitive(axis, site), g, inputs[1]) : null, null];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        Dispatch.Apply(new ScatterAddPrimitive(axis, dims, site), tangents[0]!, inputs[1]);
}

/// <summary>
/// where(condition, a, b) with broadcasting of all three: a where condition ≠ 0, else b.
/// The condition carries no gradient; a and b receive the cotangent where they were chosen.
/// </summary>
internal sealed class WherePrimitive(int[] outShape) : Primitive
{
    public override string Name => "Where";

    public static Tensor Apply(Tensor condition, Tensor a, Tensor b, CallSite site)
    {
        OpCheck.Floating("Where", site, condition);
        OpCheck.Floating("Where", site, a);
        OpCheck.SameDTypeAndDevice("Where", site, a, b);
        OpCheck.SameDevice("Where", site, condition, a);
        var shape = OpCheck.Broadcast("Where", site, OpCheck.Broadcast("Where", site, condition.Dims, a.Dims), b.Dims);
        var c = condition.DType == a.DType ? condition : condition.Detach().To(a.DType);
        return Dispatch.Apply(new WherePrimitive(shape), site, c, a, b);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (c, a, b) = (inputs[0], inputs[1], inputs[2]);
        var y = Tensor.Empty(a.DType, outShape, a.Device);
        a.Backend.Where(c.Storage!, BinaryPrimitive.BroadcastStrides(c.Dims, outShape),
            a.Storage!, BinaryPrimitive.BroadcastStrides(a.Dims, outShape),
            b.Storage!, BinaryPrimitive.BroadcastStrides(b.Dims, outShape), y.Storage!, outShape);
        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (c, a, b) = (inputs[0], inputs[1], inputs[2]);
        var zero = Tensor.ZerosLike(g);
        var cond = c.Detach();
        return
        [
            null,
            needed[1] ? Tensor.Where(cond, g, zero).SumToShape(a.Shape) : null,
            needed[2] ? Tensor.Where(cond, zero, g).SumToShape(b.Shape) : null,
        ];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var zero = Tensor.ZerosLike(output);
        var ta = tangents[1] ?? zero;
        var tb = tangents[2] ?? zero;
        return Tensor.Where(inputs[0].Detach(), ta, tb).BroadcastTo(output.Shape);
    }
}

/// <summary>One-hot encoding of int32 labels: shape labels.shape + [classes]. No gradient.</summary>
internal sealed class OneHotPrimitive(int classes, DType dtype, CallSite site) : Primitive
{
    public override string Name => "OneHot";

    public override bool Differentiable => false;

    public static Tensor Apply(Tensor labels, int classes, DType dtype, CallSite site)
    {
        OpCheck.Int32("OneHot", site, labels, "labels");
        if (classes <= 0)
        {
            throw site.Error("OneHot", $"number of classes must be positive, got {classes}");
        }

        OpCheck.DefinedDType("OneHot", site, dtype);
        OpCheck.Size("OneHot", site, [.. labels.Dims, classes]);

        return Dispatch.Apply(new OneHotPrimitive(classes, dtype, site), site, labels);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var labels = inputs[0];
        var dims = labels.Dims.Append(classes).ToArray();
        var y = Tensor.Empty(dtype, dims, labels.Device);
        try
        {
            labels.Backend.OneHot(labels.Storage!, classes, y.Storage!);
        }
        catch (IndexRangeException e)
        {
            throw site.Error(Name, $"label {e.Index} at position {e.Position} of {labels.Shape} is outside [0, {classes})");
        }

        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) => throw new NotSupportedException();

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => throw new NotSupportedException();
}
