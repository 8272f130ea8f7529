using AutoGrad.Autodiff;
using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>
/// The backward rule of an activation as one primitive (TensorFlow's <c>SigmoidGrad</c>, <c>TanhGrad</c>,
/// <c>ReluGrad</c>): g·dy/dx in one pass over memory, where the composed rule (for the sigmoid
/// <c>g * (y * (1 - y))</c>) made two or three passes over activation-sized buffers. Inputs are (s, g) with s the
/// activation's output y (sigmoid, tanh) or its input x (ReLU). Results are bitwise those of the composition.
/// Its own derivatives are written with tensor ops, so gradients of gradients still work.
/// </summary>
internal sealed class ActivationGradPrimitive(ActivationGradKind kind) : Primitive
{
    public override string Name => NameOf(kind);

    // Constant strings: the name is read on every application (tape, messages), and kind + "Grad" would box and concatenate each time.
    public static string NameOf(ActivationGradKind kind) => kind switch
    {
        ActivationGradKind.Sigmoid => "SigmoidGrad",
        ActivationGradKind.Tanh => "TanhGrad",
        _ => "ReluGrad",
    };

    /// <summary>g·dy/dx for an activation whose output (sigmoid, tanh) or input (ReLU) is <paramref name="s"/>.</summary>
    public static Tensor Apply(ActivationGradKind kind, Tensor s, Tensor g, CallSite site)
    {
        string op = NameOf(kind);
        FusedChecks.Operands(op, site, s, g);
        return Dispatch.Apply(new ActivationGradPrimitive(kind), site, s, g);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (s, g) = (inputs[0], inputs[1]);
        var output = ElementwiseOutput.For(s.DType, s.Dims, s.Device, inputs);
        s.Backend.ActivationGrad(kind, s.Storage!, g.Storage!, output.Tensor.Storage!);
        return output.Complete(Name);
    }

    // out = g·d(s) with d the activation's derivative in terms of s; ∂out/∂g = d(s) (this same op applied to the
    // cotangent), ∂out/∂s = g·d'(s): 1 − 2y for the sigmoid, −2y for tanh, 0 for ReLU (whose mask is flat).
    public override Tensor?[] Vjp(Tensor c, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (s, g) = (inputs[0], inputs[1]);
        return
        [
            needed[0] ? FromS(c, s, g) : null,
            needed[1] ? Apply(kind, s, c, CallSite.Unknown) : null,
        ];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (s, g) = (inputs[0], inputs[1]);
        var fromS = tangents[0] is { } ts ? FromS(ts, s, g) : null;
        var fromG = tangents[1] is { } tg ? Apply(kind, s, tg, CallSite.Unknown) : null;
        return fromS is null ? fromG ?? Tensor.ZerosLike(output) : fromG is null ? fromS : fromS + fromG;
    }

    /// <summary>t·g·d'(s): the part of the output's change that comes from a change t in s (null for ReLU: none).</summary>
    private Tensor? FromS(Tensor t, Tensor s, Tensor g) => kind switch
    {
        ActivationGradKind.Sigmoid => t * g * (1.0 - 2.0 * s),
        ActivationGradKind.Tanh => t * g * s * -2.0,
        _ => null,
    };
}
