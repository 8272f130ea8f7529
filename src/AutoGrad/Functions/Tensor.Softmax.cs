using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>
/// Log-sum-exp, softmax and log-softmax: compositions of primitives with no derivative code of their own.
/// Each subtracts the maximum first; that shift goes through <see cref="Detach"/> because the result
/// does not depend on it mathematically, so its gradient would be zero anyway, and detaching it keeps the
/// tie-splitting of Max out of the derivative. As in PyTorch, only LogSumExp replaces an infinite maximum by 0 (so that a
/// row of −∞ gives −∞ and a +∞ gives +∞); Softmax and LogSoftmax shift by the maximum itself, so a row holding +∞, or
/// only −∞, is NaN throughout, as PyTorch's <c>softmax</c> and <c>log_softmax</c> give it.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>log Σ exp(x) along <paramref name="axis"/>, computed stably.</summary>
    public Tensor LogSumExp(int axis = -1, bool keepDims = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckAxis("LogSumExp", axis, file, line);
        var shift = StableShift(axis, file, line);
        var result = (this - shift).Exp(file, line).Sum(axis, keepDims: true, file, line).Log(file, line) + shift;
        return keepDims ? result : result.Squeeze(axis, file, line);
    }

    /// <summary>exp(x) / Σ exp(x) along <paramref name="axis"/>, computed stably.</summary>
    public Tensor Softmax(int axis = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckAxis("Softmax", axis, file, line);
        var e = (this - Detach().Max(axis, keepDims: true, file, line)).Exp(file, line);
        return e / e.Sum(axis, keepDims: true, file, line);
    }

    /// <summary>x − logsumexp(x) along <paramref name="axis"/>, computed stably as (x − m) − log Σ exp(x − m), m the maximum.</summary>
    public Tensor LogSoftmax(int axis = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckAxis("LogSoftmax", axis, file, line);
        var shifted = this - Detach().Max(axis, keepDims: true, file, line);
        return shifted - shifted.Exp(file, line).Sum(axis, keepDims: true, file, line).Log(file, line);
    }

    /// <summary>Errors under the composite's own name: a float tensor, an axis in range, not of size 0.</summary>
    private void CheckAxis(string op, int axis, string file, int line)
    {
        var site = new CallSite(file, line);
        Ops.OpCheck.Floating(op, site, this);
        int a = Ops.OpCheck.Axis(op, site, axis, Rank);
        if (Dims[a] == 0)
        {
            throw site.Error(op, $"axis {axis} of {Shape} has size 0");
        }
    }

    /// <summary>The detached max along the axis, with infinite maxima replaced by 0 so that all −∞ rows give −∞, not NaN.</summary>
    private Tensor StableShift(int axis, string file, int line)
    {
        var max = Detach().Max(axis, keepDims: true, file, line);
        var finite = max.Abs(file, line).Less(double.PositiveInfinity, file, line);
        return Where(finite, max, ZerosLike(max), file, line);
    }
}
