using AutoGrad.Backends;
using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>Reinterprets the same elements in a new shape (row-major order). Linear: VJP reshapes back.</summary>
internal sealed class ReshapePrimitive(int[] newShape) : Primitive
{
    public override string Name => "Reshape";

    public static Tensor Apply(Tensor x, int[] shape, CallSite site)
    {
        var resolved = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (infer >= 0)
                {
                    throw site.Error("Reshape", $"only one dimension can be -1, got {Shape.Format(shape)}");
                }

                infer = i;
            }
            else if (resolved[i] < 0)
            {
                throw site.Error("Reshape", $"dimensions must be non-negative or -1, got {Shape.Format(shape)}");
            }
            else
            {
                known *= resolved[i];
            }
        }

        if (infer >= 0)
        {
            if (known == 0 || x.Size % known != 0)
            {
                throw site.Error("Reshape", $"cannot infer the -1 in {Shape.Format(shape)} for {x.Size} elements of {x.Shape}");
            }

            resolved[infer] = (int)(x.Size / known);
            known *= resolved[infer];
        }

        if (known != x.Size)
        {
            throw site.Error("Reshape", $"cannot reshape {x.Shape} ({x.Size} elements) to {Shape.Format(shape)} ({known} elements)");
        }

        return x.Dims.AsSpan().SequenceEqual(resolved) ? x : Dispatch.Apply(new ReshapePrimitive(resolved), site, x);
    }

    public override Tensor Forward(Tensor[] inputs) => new(inputs[0].Storage!, newShape, inputs[0].Device);

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) => [g.Reshape(inputs[0].Dims)];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => tangents[0]!.Reshape(newShape);
}

/// <summary>Reorders axes: output axis i is input axis perm[i]. Linear: VJP applies the inverse permutation.</summary>
internal sealed class PermutePrimitive(int[] perm) : Primitive
{
    public override string Name => "Permute";

    public static Tensor Apply(Tensor x, int[] axes, CallSite site)
    {
        if (axes.Length != x.Rank)
        {
            throw site.Error("Permute", $"needs {x.Rank} axes for a tensor of shape {x.Shape}, got [{string.Join(",", axes)}]");
        }

        var perm = new int[axes.Length];
        var seen = new bool[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            perm[i] = OpCheck.Axis("Permute", site, axes[i], x.Rank);
            if (seen[perm[i]])
            {
                throw site.Error("Permute", $"[{string.Join(",", axes)}] is not a permutation of the axes of {x.Shape}");
            }

            seen[perm[i]] = true;
        }

        bool identity = true;
        for (int i = 0; i < perm.Length; i++)
        {
            identity &= perm[i] == i;
        }

        return identity ? x : Dispatch.Apply(new PermutePrimitive(perm), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var outShape = new int[perm.Length];
        var inStrides = x.Shape.Strides();
        var srcStrides = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            outShape[i] = x.Dims[perm[i]];
            srcStrides[i] = inStrides[perm[i]];
        }

        var y = Tensor.Uninitialized(x.DType, outShape, x.Device);
        x.Backend.StridedCopy(x.Storage!, 0, srcStrides, y.Storage!, 0, Shape.Wrap(outShape).Strides(), outShape);
        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        return [g.Permute(inverse)];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => tangents[0]!.Permute(perm);
}

/// <summary>Repeats a tensor along broadcast axes (NumPy rules). VJP sums back to the input's shape.</summary>
internal sealed class BroadcastToPrimitive(int[] shape) : Primitive
{
    public override string Name => "BroadcastTo";

    public static Tensor Apply(Tensor x, int[] shape, CallSite site)
    {
        bool ok = shape.Length >= x.Rank;
        for (int i = 0; ok && i < x.Rank; i++)
        {
            int d = x.Dims[i], t = shape[shape.Length - x.Rank + i];
            ok = d == t || d == 1;
        }

        foreach (int d in shape)
        {
            ok &= d >= 0;
        }

        if (!ok)
        {
            throw site.Error("BroadcastTo", $"cannot broadcast {x.Shape} to {Shape.Format(shape)}");
        }

        OpCheck.Size("BroadcastTo", site, shape);

        return x.Dims.AsSpan().SequenceEqual(shape) ? x : Dispatch.Apply(new BroadcastToPrimitive((int[])shape.Clone()), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var y = Tensor.Uninitialized(x.DType, shape, x.Device);
        x.Backend.StridedCopy(x.Storage!, 0, BinaryPrimitive.BroadcastStrides(x.Dims, shape), y.Storage!, 0, Shape.Wrap(shape).Strides(), shape);
        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) => [g.SumToShape(inputs[0].Shape)];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => tangents[0]!.BroadcastTo(shape);
}

/// <summary>
/// Converts between float32 and float64, from int32, and (without gradient) from float to int32, which
/// truncates toward zero and rejects NaN, infinities and values outside the int32 range.
/// VJP converts the cotangent back.
/// </summary>
internal sealed class CastPrimitive(DType target, CallSite site) : Primitive
{
    public override string Name => "Cast";

    public override bool Differentiable => target.IsFloating();

    public static Tensor Apply(Tensor x, DType dtype, CallSite site)
    {
        if (!Enum.IsDefined(dtype))
        {
            throw site.Error("Cast", $"unknown dtype {(int)dtype} for {OpCheck.Describe(x)}");
        }

        return x.DType == dtype ? x : Dispatch.Apply(new CastPrimitive(dtype, site), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var y = Tensor.Uninitialized(target, x.Dims, x.Device);
        try
        {
            x.Backend.Cast(x.Storage!, y.Storage!);
        }
        catch (CastRangeException e)
        {
            TensorScope.Release(y);
            throw site.Error("Cast", $"element {e.Position} of {OpCheck.Describe(x)} is {e.Value}, which has no int32 value");
        }

        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [inputs[0].DType.IsFloating() ? g.To(inputs[0].DType) : null];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => tangents[0]!.To(target);

}
