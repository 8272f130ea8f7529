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
        return Dispatch.Apply(new AxpbyPrimitive(alpha, beta, squareY), site, x, y);
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
/// γ = √(1 − β₂ᵗ)), NAdam, RMSprop and Adagrad (γ = 1). x, y and z share one shape and dtype; α and γ are 0-d
/// tensors of any float dtype, rounded to x's dtype, so that a bias correction computed from a step counter
/// tensor stays inside a compiled step.
/// </summary>
internal sealed class AdaptiveStepPrimitive(double eps) : Primitive
{
    public override string Name => "AdaptiveStep";

    public static Tensor Apply(Tensor x, Tensor alpha, Tensor y, Tensor z, Tensor gamma, double eps, CallSite site)
    {
        FusedChecks.Operands("AdaptiveStep", site, x, y);
        FusedChecks.Operands("AdaptiveStep", site, x, z);
        FusedChecks.Scalar("AdaptiveStep", site, "alpha", alpha, x);
        FusedChecks.Scalar("AdaptiveStep", site, "gamma", gamma, x);
        FusedChecks.Finite("AdaptiveStep", site, ("eps", eps));
        return Dispatch.Apply(new AdaptiveStepPrimitive(eps), site, x, alpha, y, z, gamma);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (x, alpha, y, z, gamma) = (inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]);
        var output = ElementwiseOutput.For(x.DType, x.Dims, x.Device, inputs);
        x.Backend.AdaptiveStep(x.Storage!, alpha.Storage!, y.Storage!, z.Storage!, gamma.Storage!, eps, output.Tensor.Storage!);
        return output.Complete(Name);
    }

    // With d = √z/γ + ε: ∂out/∂x = 1, ∂out/∂α = −y/d, ∂out/∂y = −α/d, ∂out/∂z = α·y / (d² · 2γ√z),
    // ∂out/∂γ = −α·y·√z / (γ²·d²). α and γ enter rounded to x's dtype, as the kernel uses them; their cotangents are
    // summed over every element and returned in their own dtypes.
    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (x, alphaInput, y, z, gammaInput) = (inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]);
        var (alpha, gamma) = (alphaInput.To(x.DType), gammaInput.To(x.DType));
        var root = z.Sqrt();
        var d = root / gamma + eps;
        return
        [
            needed[0] ? g : null,
            needed[1] ? (-(g * y) / d).Sum().To(alphaInput.DType) : null,
            needed[2] ? -(g * alpha) / d : null,
            needed[3] ? g * y * alpha / (d * d * root * (2 * gamma)) : null,
            needed[4] ? (-(g * y * alpha * root) / (gamma * gamma * d * d)).Sum().To(gammaInput.DType) : null,
        ];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (x, alphaInput, y, z, gammaInput) = (inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]);
        var (alpha, gamma) = (alphaInput.To(x.DType), gammaInput.To(x.DType));
        var root = z.Sqrt();
        var d = root / gamma + eps;
        Tensor? sum = tangents[0];
        void Add(Tensor term) => sum = sum is null ? term : sum + term;
        if (tangents[1] is { } ta)
        {
            Add(-(ta.To(x.DType) * y) / d);
        }

        if (tangents[2] is { } ty)
        {
            Add(-(ty * alpha) / d);
        }

        if (tangents[3] is { } tz)
        {
            Add(tz * y * alpha / (d * d * root * (2 * gamma)));
        }

        if (tangents[4] is { } tg)
        {
            Add(-(tg.To(x.DType) * y * alpha * root) / (gamma * gamma * d * d));
        }

        // Every term has x's shape: α's and γ's through y.
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

    /// <summary>A 0-d float operand on <paramref name="x"/>'s device (its dtype may differ: it is rounded to x's).</summary>
    public static void Scalar(string op, CallSite site, string name, Tensor scalar, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(scalar, name);
        OpCheck.Floating(op, site, scalar);
        if (scalar.Rank != 0)
        {
            throw site.Error(op, $"{name} must be a 0-d tensor, got {OpCheck.Describe(scalar)}");
        }

        if (scalar.Device != x.Device)
        {
            throw site.Error(op, $"{name} is on {scalar.Device}, x on {x.Device}");
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
