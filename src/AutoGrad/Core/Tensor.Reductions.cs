using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Reductions over axes: sum, mean, max, min, argmax, argmin.</summary>
public sealed partial class Tensor
{
    /// <summary>Sum over <paramref name="axes"/> (all when null); reduced axes are dropped unless <paramref name="keepDims"/>.</summary>
    public Tensor Sum(int[]? axes = null, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        SumPrimitive.Apply(this, axes, keepDims, new CallSite(file, line));

    /// <summary>Sum over one axis.</summary>
    public Tensor Sum(int axis, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        SumPrimitive.Apply(this, [axis], keepDims, new CallSite(file, line));

    /// <summary>Mean over <paramref name="axes"/> (all when null). The mean of zero elements is NaN, as in NumPy.</summary>
    public Tensor Mean(int[]? axes = null, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        OpCheck.Floating("Mean", site, this);
        var resolved = OpCheck.Axes("Mean", site, axes, Rank);
        int count = 1;
        foreach (int a in resolved)
        {
            count *= Dims[a];
        }

        return SumPrimitive.Apply(this, resolved, keepDims, site) / (double)count;
    }

    /// <summary>Mean over one axis.</summary>
    public Tensor Mean(int axis, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Mean([axis], keepDims, file, line);

    /// <summary>
    /// Maximum over <paramref name="axes"/> (all when null). At ties the gradient is shared evenly by the
    /// elements equal to the maximum.
    /// </summary>
    public Tensor Max(int[]? axes = null, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ExtremePrimitive.Apply(true, this, axes, keepDims, new CallSite(file, line));

    /// <summary>Maximum over one axis.</summary>
    public Tensor Max(int axis, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ExtremePrimitive.Apply(true, this, [axis], keepDims, new CallSite(file, line));

    /// <summary>
    /// Minimum over <paramref name="axes"/> (all when null). At ties the gradient is shared evenly by the
    /// elements equal to the minimum.
    /// </summary>
    public Tensor Min(int[]? axes = null, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ExtremePrimitive.Apply(false, this, axes, keepDims, new CallSite(file, line));

    /// <summary>Minimum over one axis.</summary>
    public Tensor Min(int axis, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ExtremePrimitive.Apply(false, this, [axis], keepDims, new CallSite(file, line));

    /// <summary>Index (int32) of the first maximum along <paramref name="axis"/>. No gradient.</summary>
    public Tensor ArgMax(int axis = -1, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ArgReducePrimitive.Apply(true, this, axis, keepDims, new CallSite(file, line));

    /// <summary>Index (int32) of the first minimum along <paramref name="axis"/>. No gradient.</summary>
    public Tensor ArgMin(int axis = -1, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ArgReducePrimitive.Apply(false, this, axis, keepDims, new CallSite(file, line));
}
