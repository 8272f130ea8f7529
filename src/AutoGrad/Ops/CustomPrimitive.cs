using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>
/// A user-defined primitive: a forward computation with a user-given VJP and/or JVP rule (JAX's
/// custom_vjp / custom_jvp). A missing rule falls back to differentiating the forward computation itself.
/// Rules are written with tensor ops, so they are differentiable in turn.
/// </summary>
internal sealed class CustomPrimitive(
    string name,
    Func<Tensor[], Tensor> forward,
    Func<Tensor[], Tensor, Tensor, Tensor[]>? vjp,
    Func<Tensor[], Tensor, Tensor[], Tensor>? jvp,
    CallSite site) : Primitive
{
    public override string Name => "Custom";

    /// <summary>The name in messages, e.g. <c>Custom(lse)</c>.</summary>
    public string Label => $"Custom({name})";

    /// <summary>Where the custom function was defined (its call line is not known: it is called through a delegate).</summary>
    public CallSite DefinedAt => site;

    public override Tensor Forward(Tensor[] inputs)
    {
        var y = forward(inputs) ?? throw site.Error(Label, "the forward function returned null");
        if (y.IsTraced)
        {
            throw site.Error(Label, "the forward function must compute its result from its inputs only; it used a tensor traced by an enclosing transform");
        }

        return y;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var cotangents = vjp is not null ? vjp(inputs, output, g) : Transforms.Vjp(forward, inputs).Pullback(g);
        if (cotangents is null || cotangents.Length != inputs.Length)
        {
            throw site.Error(Label, $"the VJP rule must return one cotangent per input ({inputs.Length}), got {cotangents?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            if (needed[i] && (cotangents[i] is null || cotangents[i].Shape != inputs[i].Shape || cotangents[i].DType != inputs[i].DType))
            {
                throw site.Error(Label, $"the VJP rule's cotangent {i} must match its input {OpCheck.Describe(inputs[i])}, got {(cotangents[i] is null ? "null" : OpCheck.Describe(cotangents[i]))}");
            }
        }

        return cotangents;
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var full = tangents.Select((t, i) => t ?? Tensor.ZerosLike(inputs[i])).ToArray();
        var tangent = jvp is not null ? jvp(inputs, output, full) : Transforms.Jvp(forward, inputs, full).Tangent;
        if (tangent is null || tangent.Shape != output.Shape || tangent.DType != output.DType)
        {
            throw site.Error(Label, $"the JVP rule's tangent must match the output {OpCheck.Describe(output)}, got {(tangent is null ? "null" : OpCheck.Describe(tangent))}");
        }

        return tangent;
    }

    public static Tensor Apply(CustomPrimitive primitive, Tensor[] inputs, CallSite site)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            OpCheck.NotNull(primitive.Label, site, inputs[i], $"input {i}");
        }

        return Dispatch.Apply(primitive, inputs);
    }
}
