using AutoGrad.Autodiff;
using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>Helpers for reducing over a set of axes with the (outer, n, inner) kernels.</summary>
internal static class ReduceLayout
{
    /// <summary>The output dims with the reduced axes kept as 1.</summary>
    public static int[] KeptDims(int[] dims, int[] axes)
    {
        var kept = (int[])dims.Clone();
        foreach (int a in axes)
        {
            kept[a] = 1;
        }

        return kept;
    }

    public static int[] OutDims(int[] dims, int[] axes, bool keepDims)
    {
        if (keepDims)
        {
            return KeptDims(dims, axes);
        }

        var result = new List<int>(dims.Length);
        for (int i = 0; i < dims.Length; i++)
        {
            if (Array.IndexOf(axes, i) < 0)
            {
                result.Add(dims[i]);
            }
        }

        return result.ToArray();
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="axes"/> (sorted). If the axes are contiguous the
    /// input is viewed in place as (outer, n, inner); otherwise they are first moved to the end.
    /// </summary>
    public static Tensor Reduce(Tensor x, int[] axes, int[] outDims, Action<Tensor, int, int, int, Tensor> kernel, DType outType)
    {
        var y = Tensor.Empty(outType, outDims, x.Device);
        if (axes.Length == 0)
        {
            kernel(x, x.Size, 1, 1, y);
            return y;
        }

        bool contiguous = axes[^1] - axes[0] == axes.Length - 1;
        var source = x;
        int first = axes[0], last = axes[^1];
        if (!contiguous)
        {
            var perm = new List<int>();
            for (int i = 0; i < x.Rank; i++)
            {
                if (Array.IndexOf(axes, i) < 0)
                {
                    perm.Add(i);
                }
            }

            perm.AddRange(axes);
            source = PermutePrimitiveForward(x, perm.ToArray());
            first = x.Rank - axes.Length;
            last = x.Rank - 1;
        }

        int outer = 1, n = 1, inner = 1;
        for (int i = 0; i < source.Rank; i++)
        {
            if (i < first)
            {
                outer *= source.Dims[i];
            }
            else if (i <= last)
            {
                n *= source.Dims[i];
            }
            else
            {
                inner *= source.Dims[i];
            }
        }

        kernel(source, outer, n, inner, y);
        return y;
    }

    private static Tensor PermutePrimitiveForward(Tensor x, int[] perm) => new PermutePrimitive(perm).Forward([x]);
}

/// <summary>Sum over axes. VJP broadcasts the cotangent back over the reduced axes; JVP sums the tangent.</summary>
internal sealed class SumPrimitive(int[] axes, bool keepDims) : Primitive
{
    public override string Name => "Sum";

    public static Tensor Apply(Tensor x, int[]? axes, bool keepDims, CallSite site)
    {
        OpCheck.Floating("Sum", site, x);
        return Dispatch.Apply(new SumPrimitive(OpCheck.Axes("Sum", site, axes, x.Rank), keepDims), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        return ReduceLayout.Reduce(x, axes, ReduceLayout.OutDims(x.Dims, axes, keepDims),
            (src, o, n, i, y) => src.Backend.Reduce(ReduceKernel.Sum, src.Storage!, o, n, i, y.Storage!), x.DType);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var x = inputs[0];
        return [g.Reshape(ReduceLayout.KeptDims(x.Dims, axes)).BroadcastTo(x.Shape)];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => tangents[0]!.Sum(axes, keepDims);
}

/// <summary>
/// Max or min over axes. Ties follow one documented rule, as JAX's and PyTorch's amax (and PyTorch's full max()): the
/// gradient is split evenly among all elements equal to the extreme, and a NaN extreme goes to the NaNs. VJP and JVP use that mask, which carries no
/// gradient itself.
/// </summary>
internal sealed class ExtremePrimitive(bool max, int[] axes, bool keepDims) : Primitive
{
    public override string Name => max ? "Max" : "Min";

    public static Tensor Apply(bool max, Tensor x, int[]? axes, bool keepDims, CallSite site)
    {
        string name = max ? "Max" : "Min";
        OpCheck.Floating(name, site, x);
        var resolved = OpCheck.Axes(name, site, axes, x.Rank);
        foreach (int a in resolved)
        {
            if (x.Dims[a] == 0)
            {
                throw site.Error(name, $"cannot reduce over axis {a} of size 0 in {x.Shape}: the result would have no value");
            }
        }

        if (x.Size == 0 && resolved.Length == 0 && x.Rank == 0)
        {
            throw site.Error(name, "empty input");
        }

        return Dispatch.Apply(new ExtremePrimitive(max, resolved, keepDims), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var kernel = max ? ReduceKernel.Max : ReduceKernel.Min;
        return ReduceLayout.Reduce(x, axes, ReduceLayout.OutDims(x.Dims, axes, keepDims),
            (src, o, n, i, y) => src.Backend.Reduce(kernel, src.Storage!, o, n, i, y.Storage!), x.DType);
    }

    /// <summary>
    /// mask / count: 1/k on each of the k elements equal to the extreme, 0 elsewhere. Where the extreme is NaN (a NaN in
    /// the input) the NaNs share it, as PyTorch's <c>max()</c> and <c>max(dim)</c> route the gradient to the NaN, rather
    /// than every element getting 0/0.
    /// </summary>
    private Tensor Weights(Tensor x, Tensor output)
    {
        var keptShape = ReduceLayout.KeptDims(x.Dims, axes);
        var extreme = output.Reshape(keptShape);
        var mask = x.Equal(extreme) + x.NotEqual(x) * extreme.NotEqual(extreme);
        return mask / mask.Sum(axes, keepDims: true);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var x = inputs[0];
        return [g.Reshape(ReduceLayout.KeptDims(x.Dims, axes)) * Weights(x, output)];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        (tangents[0]! * Weights(inputs[0], output)).Sum(axes, keepDims);
}

/// <summary>Index of the first maximum (minimum) along an axis, as int32. No gradient.</summary>
internal sealed class ArgReducePrimitive(bool max, int axis, bool keepDims) : Primitive
{
    public override string Name => max ? "ArgMax" : "ArgMin";

    public override bool Differentiable => false;

    public static Tensor Apply(bool max, Tensor x, int axis, bool keepDims, CallSite site)
    {
        string name = max ? "ArgMax" : "ArgMin";
        OpCheck.Floating(name, site, x);
        int a = OpCheck.Axis(name, site, axis, x.Rank);
        if (x.Dims[a] == 0)
        {
            throw site.Error(name, $"axis {a} of {x.Shape} has size 0");
        }

        return Dispatch.Apply(new ArgReducePrimitive(max, a, keepDims), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var kernel = max ? ArgReduceKernel.ArgMax : ArgReduceKernel.ArgMin;
        return ReduceLayout.Reduce(x, [axis], ReduceLayout.OutDims(x.Dims, [axis], keepDims),
            (src, o, n, i, y) => src.Backend.ArgReduce(kernel, src.Storage!, o, n, i, y.Storage!), DType.Int32);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) => throw new NotSupportedException();

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => throw new NotSupportedException();
}
