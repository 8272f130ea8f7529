using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Integer indexing: take-along-axis and its scatter-add adjoint, one-hot encoding.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// NumPy's take_along_axis: picks, along <paramref name="axis"/>, the elements named by the int32
    /// <paramref name="indices"/>, which has this tensor's rank and shape except on that axis.
    /// With labels of shape [n, 1] and logits [n, classes], <c>logits.TakeAlongAxis(labels, 1)</c>
    /// picks each row's true-class logit, as cross-entropy needs.
    /// </summary>
    public Tensor TakeAlongAxis(Tensor indices, int axis, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return TakeAlongAxisPrimitive.Apply(this, indices, axis, new CallSite(file, line));
    }

    /// <summary>
    /// Zeros of <paramref name="shape"/> into which <paramref name="source"/> is added at the int32
    /// <paramref name="indices"/> along <paramref name="axis"/> (repeated indices add up): the adjoint of
    /// <see cref="TakeAlongAxis"/>.
    /// </summary>
    public static Tensor ScatterAdd(Tensor source, Tensor indices, int axis, Shape shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        return ScatterAddPrimitive.Apply(source, indices, axis, shape.Dims, new CallSite(file, line));
    }

    /// <summary>One-hot encoding of int32 labels: shape labels.shape + [classes], 1 at each label. No gradient.</summary>
    public Tensor OneHot(int classes, DType dtype = DType.Float32, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        OneHotPrimitive.Apply(this, classes, dtype, new CallSite(file, line));
}
