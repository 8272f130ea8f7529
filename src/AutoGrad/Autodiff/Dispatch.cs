using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// Applies a primitive to tensors that may be traced at any number of levels: strip the highest level,
/// apply to the primals (recursively, so lower levels record too), then let that level's trace lift the
/// result. With no trace involved this is just the backend call.
/// </summary>
internal static class Dispatch
{
    public static Tensor Apply(Primitive primitive, params Tensor[] inputs)
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
            return primitive.Forward(inputs);
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
                return primitive.Forward(concrete);
            }
            finally
            {
                DonationGate.Reopen();
            }
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
            output = Apply(primitive, primals);
        }
        finally
        {
            DonationGate.Reopen();
        }

        return top.Process(primitive, inputs, primals, output);
    }
}
