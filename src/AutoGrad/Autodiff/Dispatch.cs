using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// Applies a primitive to tensors that may be traced at any number of levels: strip the highest level,
/// apply to the primals (recursively, so lower levels record too), then let that level's trace lift the
/// result. With no trace involved this is just the backend call. In anomaly mode every result is checked where it is
/// computed, and tape nodes keep the caller's line for the checks of derivative rules.
/// </summary>
internal static class Dispatch
{
    /// <summary>Applies a primitive with no caller line to give (an op inside a derivative rule, a custom function called through its delegate).</summary>
    public static Tensor Apply(Primitive primitive, params Tensor[] inputs) => Apply(primitive, CallSite.Unknown, inputs);

    /// <summary>Applies a primitive called from <paramref name="site"/> (unknown for operators, which have no caller info).</summary>
    public static Tensor Apply(Primitive primitive, CallSite site, params Tensor[] inputs)
    {
        Trace? top = null;
        foreach (var input in inputs)
        {
            var trace = input.Trace;
            if (trace is null)
            {
                if (input.Storage is { IsReleased: true })
                {
                    throw new ObjectDisposedException(
                        "tensor",
                        $"{primitive.Name} at {CallSite.Unknown.Resolve()}: input {input.Shape} {input.DType.Name()} was released ({input.Storage.ReleasedBy}). {input.Storage.ReleaseHint}");
                }

                continue;
            }

            if (!trace.IsActive)
            {
                throw new InvalidOperationException(
                    $"{primitive.Name} at {CallSite.Unknown.Resolve()}: a tensor traced by {trace.Transform} was used after that transform returned. " +
                    "Return values from the function instead of storing them outside it (or use Detach()).");
            }

            if (top is null || trace.Level > top.Level)
            {
                top = trace;
            }
        }

        if (top is null)
        {
            return Checked(primitive, site, inputs, primitive.Forward(inputs));
        }

        if ((!primitive.Differentiable && !top.RecordsNonDifferentiable) || top.Level <= TraceStack.NoGradBoundary)
        {
            // Nothing is recorded (no derivative, or every trace involved was opened outside a no-grad
            // scope): compute on the concrete values.
            var concrete = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                concrete[i] = inputs[i].Concrete;
            }

            // The concrete values are a live trace's primals: no donated buffer of theirs may be taken.
            DonationGate.Close();
            try
            {
                return Checked(primitive, site, concrete, primitive.Forward(concrete));
            }
            finally
            {
                DonationGate.Reopen();
            }
        }

        if (Anomaly.IsOn)
        {
            // Resolved once, here, for every level: an operator's line is only on the stack now, not when backward runs.
            site = AnomalyCheck.RecordSite(site);
        }

        var primals = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            primals[i] = inputs[i].Trace == top ? inputs[i].Primal! : inputs[i];
        }

        Tensor output;
        DonationGate.Close(); // also on threads that record onto another thread's trace
        try
        {
            output = Apply(primitive, site, primals);
        }
        finally
        {
            DonationGate.Reopen();
        }

        return top.Process(primitive, inputs, primals, output, site);
    }

    /// <summary>The forward result, after anomaly mode's check when it is on (one static read when it is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Tensor Checked(Primitive primitive, CallSite site, Tensor[] inputs, Tensor output)
    {
        if (Anomaly.IsOn)
        {
            AnomalyCheck.Forward(primitive, site, inputs, output);
        }

        return output;
    }
}
