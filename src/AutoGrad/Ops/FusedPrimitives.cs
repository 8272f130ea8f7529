using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>
/// α·x + β·y (<c>Axpby</c>) or α·x + β·y² (<c>AxpbySquare</c>) in one pass: the moving averages and plain
/// steps of the optimizers. Operands have one shape and dtype (no broadcasting: a fused update never needs it,
/// and a silent broadcast would hide a parameter/state mix-up).
/// </summary>
internal sealed class AxpbyPrimitive(double alpha, double beta, bool squareY) : Primitive
{
    public override string Name => squareY ? "AxpbySquare" : "Axpby";

    public static Tensor Apply(double alpha, Tensor x, double beta, Tensor y, bool squareY, CallSite site)
    {
        string op = squareY ? "AxpbySquare" : "Axpby";
        FusedChecks.Operands(op, site, x, y);
        FusedChecks.Finite(op, site, ("alpha", alpha), ("beta", beta));
        return Dispatch.Apply(new AxpbyPrimitive(alpha, beta, squareY), x, y);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (x, y) = (inputs[0], inputs[1]);
        var output = ElementwiseOutput.For(x.DType, x.Dims, x.Device, inputs);
        x.Backend.Axpby(alpha, x.Storage!, beta, y.Storage!, squareY, output.Tensor.Storage!);
        return output.Complete(Name);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
    [
        needed[0] ? g * alpha : null,
        needed[1] ? (squareY ? g * inputs[1] * (2 * beta) : g * beta) : null,
    ];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var fromX = tangents[0] is { } tx ? tx * alpha : null;
        var fromY = tangents[1] is { } ty ? (squareY ? ty * inputs[1] * (2 * beta) : ty * beta) : null;
        return fromX is null ? fromY! : fromY is null ? fromX : fromX + fromY;
    }
}

/// <summary>
/// x − (y·α) / (√z / γ + ε) in one pass: the parameter update of Adam (y the first moment, z the second,
/// γ = √(1 − β₂ᵗ)), NAdam, RMSprop and Adagrad (γ = 1). One shape and dtype for all three operands.
/// </summary>
internal sealed class AdaptiveStepPrimitive(double alpha, double gamma, double eps) : Primitive
{
    public override string Name => "AdaptiveStep";

    public static Tensor Apply(Tensor x, double alpha, Tensor y, Tensor z, double gamma, double eps, CallSite site)
    {
        FusedChecks.Operands("AdaptiveStep", site, x, y);
        FusedChecks.Operands("AdaptiveStep", site, x, z);
        FusedChecks.Finite("AdaptiveStep", site, ("alpha", alpha), ("gamma", gamma), ("eps", eps));
        if (gamma <= 0)
        {
            throw site.Error("AdaptiveStep", $"gamma must be positive, got {gamma}");
        }

        return Dispatch.Apply(new AdaptiveStepPrimitive(alpha, gamma, eps), x, y, z);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (x, y, z) = (inputs[0], inputs[1], inputs[2]);
        var output = ElementwiseOutput.For(x.DType, x.Dims, x.Device, inputs);
        x.Backend.AdaptiveStep(x.Storage!, alpha, y.Storage!, z.Storage!, gamma, eps, output.Tensor.Storage!);
        return output.Complete(Name);
    }

    // With d = √z/γ + ε: ∂out/∂x = 1, ∂out/∂y = −α/d, ∂out/∂z = α·y / (d² · 2γ√z).
    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (y, z) = (inputs[1], inputs[2]);
        var root = z.Sqrt();
        var d = root / gamma + eps;
        return
        [
            needed[0] ? g : null,
            needed[1] ? -(g * alpha) / d : null,
            needed[2] ? g * y * alpha / (d * d * root * (2 * gamma)) : null,
        ];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (y, z) = (inputs[1], inputs[2]);
        var root = z.Sqrt();
        var d = root / gamma + eps;
        Tensor? sum = tangents[0];
        if (tangents[1] is { } ty)
        {
            var term = -(ty * alpha) / d;
            sum = sum is null ? term : sum + term;
        }

        if (tangents[2] is { } tz)
        {
            var term = tz * y * alpha / (d * d * root * (2 * gamma));
            sum = sum is null ? term : sum + term;
        }

        return sum!;
    }
}

/// <summary>Validation shared by the fused primitives.</summary>
internal static class FusedChecks
{
    public static void Operands(string op, CallSite site, Tensor x, Tensor other)
    {
        OpCheck.Floating(op, site, x);
        OpCheck.Floating(op, site, other);
        OpCheck.SameDTypeAndDevice(op, site, x, other);
        if (x.Shape != other.Shape)
        {
            throw site.Error(op, $"operands must have one shape (no broadcasting), got {OpCheck.Describe(x)} and {OpCheck.Describe(other)}");
        }
    }

    public static void Finite(string op, CallSite site, params (string Name, double Value)[] scalars)
    {
        foreach (var (name, value) in scalars)
        {
            if (!double.IsFinite(value))
            {
                throw site.Error(op, $"{name} must be finite, got {value}");
            }
        }
    }
}
