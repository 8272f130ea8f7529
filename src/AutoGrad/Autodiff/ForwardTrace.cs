using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// Forward mode: every traced tensor carries a tangent beside its primal, and each primitive's JVP rule
/// pushes tangents through as the function runs. Nothing is recorded.
/// </summary>
internal sealed class ForwardTrace(string transform) : Trace(transform)
{
    public Tensor NewDual(Tensor primal, Tensor tangent) => new(this, primal, -1, tangent);

    public override Tensor Process(Primitive primitive, Tensor[] inputs, Tensor[] primals, Tensor output, CallSite site)
    {
        var tangents = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            tangents[i] = inputs[i].Trace == this ? inputs[i].Tangent : null;
        }

        var tangent = AnomalyCheck.Active ? AnomalyCheck.Jvp(primitive, site, tangents, primals, output) : primitive.Jvp(tangents, primals, output);
        return new Tensor(this, output, -1, tangent);
    }
}
