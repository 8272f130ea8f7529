using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>
/// One row per elementwise two-input primitive with NumPy broadcasting: its kernel and the partial
/// derivatives ∂y/∂a and ∂y/∂b as functions of (a, b, y). A null partial means the constant 1 (saves a
/// multiply); a row with <see cref="Differentiable"/> false has no gradient at all.
/// VJP: each input gets g·∂y/∂x summed back to its own shape. JVP: ta·∂y/∂a + tb·∂y/∂b.
/// </summary>
internal sealed record BinaryRow(
    string Name,
    BinaryKernel Kernel,
    bool Differentiable,
    Func<Tensor, Tensor, Tensor, Tensor>? DyDa,
    Func<Tensor, Tensor, Tensor, Tensor>? DyDb,
    string Summary);

/// <summary>The table of elementwise two-input primitives.</summary>
internal static class BinaryRows
{
    public static readonly BinaryRow Add = new("Add", BinaryKernel.Add, true, null, null, "a + b");
    public static readonly BinaryRow Sub = new("Sub", BinaryKernel.Sub, true, null, (a, b, y) => Tensor.ScalarLike(-1.0, y), "a − b");
    public static readonly BinaryRow Mul = new("Mul", BinaryKernel.Mul, true, (a, b, y) => b, (a, b, y) => a, "a·b");
    public static readonly BinaryRow Div = new("Div", BinaryKernel.Div, true, (a, b, y) => 1.0 / b, (a, b, y) => -y / b, "a / b; ∂/∂b = −y/b");

    // As PyTorch: ∂/∂a is 0 where b = 0 (not 0·a^−1 = NaN at a = 0), and ∂/∂b = y·log a is 0 where a = 0 and b ≥ 0
    // (where b < 0 it is ∞·log 0 = −∞, as PyTorch's). The log takes 1 in place of those zeros so that no branch, even an
    // unselected one, holds a NaN (which would leak into second derivatives through Where's VJP).
    public static readonly BinaryRow Pow = new("Pow", BinaryKernel.Pow, true,
        (a, b, y) => Tensor.Where(b.Equal(0.0), Tensor.ZerosLike(y), b * a.Pow(b - 1.0)),
        (a, b, y) =>
        {
            var flat = a.Equal(0.0) * b.GreaterEqual(0.0);
            return y * Tensor.Where(flat, Tensor.OnesLike(a), a).Log();
        },
        "a^b elementwise; ∂/∂a = b·a^(b−1) (0 where b = 0), ∂/∂b = y·log a (0 where a = 0 and b ≥ 0)");

    // At ties the gradient is split evenly between a and b (as JAX and PyTorch). As PyTorch's rule (the gradient masked
    // out only where the other input wins), a NaN on either side gives both inputs the whole gradient.
    public static readonly BinaryRow Maximum = new("Maximum", BinaryKernel.Maximum, true,
        (a, b, y) => 1.0 - a.Less(b) - 0.5 * a.Equal(b),
        (a, b, y) => 1.0 - b.Less(a) - 0.5 * a.Equal(b),
        "elementwise max; at ties each input gets half the gradient, with a NaN both get all of it");

    public static readonly BinaryRow Minimum = new("Minimum", BinaryKernel.Minimum, true,
        (a, b, y) => 1.0 - a.Greater(b) - 0.5 * a.Equal(b),
        (a, b, y) => 1.0 - b.Greater(a) - 0.5 * a.Equal(b),
        "elementwise min; at ties each input gets half the gradient, with a NaN both get all of it");

    public static readonly BinaryRow Equal = new("Equal", BinaryKernel.Equal, false, null, null, "1 where a = b, else 0; no gradient");
    public static readonly BinaryRow NotEqual = new("NotEqual", BinaryKernel.NotEqual, false, null, null, "1 where a ≠ b, else 0; no gradient");
    public static readonly BinaryRow Less = new("Less", BinaryKernel.Less, false, null, null, "1 where a < b, else 0; no gradient");
    public static readonly BinaryRow LessEqual = new("LessEqual", BinaryKernel.LessEqual, false, null, null, "1 where a ≤ b, else 0; no gradient");
    public static readonly BinaryRow Greater = new("Greater", BinaryKernel.Greater, false, null, null, "1 where a > b, else 0; no gradient");
    public static readonly BinaryRow GreaterEqual = new("GreaterEqual", BinaryKernel.GreaterEqual, false, null, null, "1 where a ≥ b, else 0; no gradient");

    public static readonly BinaryRow[] All =
        [Add, Sub, Mul, Div, Pow, Maximum, Minimum, Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual];
}

/// <summary>An elementwise two-input primitive: a row from <see cref="BinaryRows"/>.</summary>
internal sealed class BinaryPrimitive(BinaryRow row, int[] outShape) : Primitive
{
    public override string Name => row.Name;

    public override bool Differentiable => row.Differentiable;

    public static Tensor Apply(BinaryRow row, Tensor a, Tensor b, CallSite site)
    {
        OpCheck.NotNull(row.Name, site, a, "input");
        OpCheck.NotNull(row.Name, site, b, "input");
        if (!row.Differentiable && (a.DType == DType.Int32 || b.DType == DType.Int32))
        {
            // Comparisons accept int32 (labels, argmax results, constants against them): float64 holds
            // every int32 exactly. The mask takes the float input's dtype, or float32 when both are
            // int32, ready for Mean() as an accuracy.
            var maskType = a.DType.IsFloating() ? a.DType : b.DType.IsFloating() ? b.DType : DType.Float32;
            return Apply(row, a.To(DType.Float64), b.To(DType.Float64), site).To(maskType);
        }

        OpCheck.Floating(row.Name, site, a);
        OpCheck.Floating(row.Name, site, b);
        OpCheck.SameDTypeAndDevice(row.Name, site, a, b);
        var shape = OpCheck.Broadcast(row.Name, site, a.Dims, b.Dims);
        return Autodiff.Dispatch.Apply(new BinaryPrimitive(row, shape), site, a, b);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        var y = ElementwiseOutput.For(a.DType, outShape, a.Device, inputs);
        int size = y.Tensor.Size, aSize = a.Size, bSize = b.Size;
        if ((aSize == size || aSize == 1) && (bSize == size || bSize == 1))
        {
            // Each operand is the output's own layout or one value (most ops of a training step, every op on
            // scalars): one flat run, without stride arrays.
            a.Backend.BinaryFlat(row.Kernel, a.Storage!, aSize != size, b.Storage!, bSize != size, y.Tensor.Storage!);
        }
        else
        {
            a.Backend.Binary(row.Kernel, a.Storage!, BroadcastStrides(a.Dims, outShape), b.Storage!, BroadcastStrides(b.Dims, outShape), y.Tensor.Storage!, outShape);
        }

        return y.Complete(Name);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (a, b) = (inputs[0], inputs[1]);
        var ga = needed[0] ? Scale(g, row.DyDa, a, b, output).SumToShape(a.Shape) : null;
        var gb = needed[1] ? Scale(g, row.DyDb, a, b, output).SumToShape(b.Shape) : null;
        return [ga, gb];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Tensor? result = null;
        if (tangents[0] is { } ta)
        {
            result = Scale(ta, row.DyDa, a, b, output);
        }

        if (tangents[1] is { } tb)
        {
            var term = Scale(tb, row.DyDb, a, b, output);
            result = result is null ? term : result + term;
        }

        return result!.Shape == output.Shape ? result : result.BroadcastTo(output.Shape);
    }

    private static Tensor Scale(Tensor g, Func<Tensor, Tensor, Tensor, Tensor>? partial, Tensor a, Tensor b, Tensor y) =>
        partial is null ? g : g * partial(a, b, y);

    /// <summary>Strides that read <paramref name="dims"/> as if broadcast to <paramref name="outShape"/> (0 on broadcast axes).</summary>
    public static int[] BroadcastStrides(int[] dims, int[] outShape)
    {
        var strides = new int[outShape.Length];
        var own = Shape.Wrap(dims).Strides();
        int offset = outShape.Length - dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            strides[i + offset] = dims[i] == 1 ? 0 : own[i];
        }

        return strides;
    }
}
