using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>
/// One row per elementwise one-input primitive: its kernel and dy/dx as a function of the input x and
/// the output y (reusing y where the math allows, as exp and tanh do). Both propagation rules come from
/// dy/dx: VJP = g·dy/dx, JVP = t·dy/dx. A row without dy/dx is not differentiable. Rows with a
/// <c>FusedGrad</c> (the common activations) compute g·dy/dx as one fused primitive, bitwise the same as g times
/// <c>Dydx</c>.
/// </summary>
internal sealed record UnaryRow(
    string Name,
    UnaryKernel Kernel,
    Func<Tensor, Tensor, double, double, Tensor>? Dydx,
    string Summary,
    ActivationGradKind? FusedGrad = null)
{
    public bool Differentiable => Dydx is not null;
}

/// <summary>The table of elementwise one-input primitives.</summary>
internal static class UnaryRows
{
    private const double InvSqrt2 = 0.70710678118654752;
    private const double InvSqrt2Pi = 0.39894228040143268;
    private const double TwoOverSqrtPi = 1.1283791670955126;

    public static readonly UnaryRow Neg = new("Neg", UnaryKernel.Neg, (x, y, p, q) => Tensor.ScalarLike(-1.0, x), "−x");
    public static readonly UnaryRow Exp = new("Exp", UnaryKernel.Exp, (x, y, p, q) => y, "eˣ; dy/dx = y");
    public static readonly UnaryRow Log = new("Log", UnaryKernel.Log, (x, y, p, q) => 1.0 / x, "natural logarithm; dy/dx = 1/x");
    public static readonly UnaryRow Sqrt = new("Sqrt", UnaryKernel.Sqrt, (x, y, p, q) => 0.5 / y, "√x; dy/dx = 1/(2y)");
    public static readonly UnaryRow Abs = new("Abs", UnaryKernel.Abs, (x, y, p, q) => x.Sign(), "|x|; dy/dx = sign(x), 0 at x = 0");
    public static readonly UnaryRow Sign = new("Sign", UnaryKernel.Sign, null, "−1, 0 or 1; no gradient");
    public static readonly UnaryRow Tanh = new("Tanh", UnaryKernel.Tanh, (x, y, p, q) => 1.0 - y * y, "tanh x; dy/dx = 1 − y²", ActivationGradKind.Tanh);
    public static readonly UnaryRow Sigmoid = new("Sigmoid", UnaryKernel.Sigmoid, (x, y, p, q) => y * (1.0 - y), "1/(1+e^−x); dy/dx = y(1 − y)", ActivationGradKind.Sigmoid);
    public static readonly UnaryRow Relu = new("Relu", UnaryKernel.Relu, (x, y, p, q) => x.Greater(0.0), "max(x, 0); dy/dx = 1 for x > 0, 0 for x ≤ 0", ActivationGradKind.Relu);
    public static readonly UnaryRow LeakyRelu = new("LeakyRelu", UnaryKernel.LeakyRelu, (x, y, slope, q) => slope + (1.0 - slope) * x.Greater(0.0), "x for x > 0, slope·x otherwise; dy/dx = slope at x ≤ 0");
    // As PyTorch: dy/dx = α at x = 0 (the left derivative) but d²y/dx² = 0 there, so the y in y + α is taken for x < 0 only.
    public static readonly UnaryRow Elu = new("Elu", UnaryKernel.Elu, (x, y, alpha, q) => Tensor.Where(x.Greater(0.0), Tensor.OnesLike(x), Tensor.Where(x.Less(0.0), y, Tensor.ZerosLike(y)) + alpha), "x for x > 0, α(eˣ − 1) otherwise; dy/dx = y + α at x ≤ 0 (second derivative 0 at x = 0)");
    public static readonly UnaryRow Softplus = new("Softplus", UnaryKernel.Softplus, (x, y, p, q) => x.Sigmoid(), "log(1 + eˣ), computed as max(x,0) + log1p(e^−|x|) so it never overflows; dy/dx = σ(x)");
    public static readonly UnaryRow Gelu = new("Gelu", UnaryKernel.Gelu, (x, y, p, q) => 0.5 * (1.0 + (x * InvSqrt2).Erf()) + x * InvSqrt2Pi * (-0.5 * x * x).Exp(), "x·Φ(x) with the exact normal CDF; dy/dx = Φ(x) + x·φ(x)");
    public static readonly UnaryRow Erf = new("Erf", UnaryKernel.Erf, (x, y, p, q) => TwoOverSqrtPi * (-(x * x)).Exp(), "error function; dy/dx = (2/√π)e^−x²");
    public static readonly UnaryRow Sin = new("Sin", UnaryKernel.Sin, (x, y, p, q) => x.Cos(), "sin x; dy/dx = cos x");
    public static readonly UnaryRow Cos = new("Cos", UnaryKernel.Cos, (x, y, p, q) => -x.Sin(), "cos x; dy/dx = −sin x");
    public static readonly UnaryRow PowScalar = new("PowScalar", UnaryKernel.PowScalar, (x, y, p, q) => p == 0 ? Tensor.ZerosLike(x) : p * x.Pow(p - 1.0), "x^p for a constant p; dy/dx = p·x^(p−1) (0 for p = 0)");
    public static readonly UnaryRow Clamp = new("Clamp", UnaryKernel.Clamp, (x, y, lo, hi) => x.GreaterEqual(lo) * x.LessEqual(hi), "min(max(x, lo), hi); dy/dx = 1 for lo ≤ x ≤ hi (bounds included), 0 outside");

    public static readonly UnaryRow[] All =
        [Neg, Exp, Log, Sqrt, Abs, Sign, Tanh, Sigmoid, Relu, LeakyRelu, Elu, Softplus, Gelu, Erf, Sin, Cos, PowScalar, Clamp];
}

/// <summary>An elementwise one-input primitive: a row from <see cref="UnaryRows"/> with its parameters.</summary>
internal sealed class UnaryPrimitive(UnaryRow row, double p0 = 0, double p1 = 0) : Primitive
{
    public override string Name => row.Name;

    public override bool Differentiable => row.Differentiable;

    public static Tensor Apply(UnaryRow row, Tensor x, CallSite site, double p0 = 0, double p1 = 0)
    {
        OpCheck.Floating(row.Name, site, x);
        return Autodiff.Dispatch.Apply(new UnaryPrimitive(row, p0, p1), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        var y = ElementwiseOutput.For(x.DType, x.Dims, x.Device, inputs);
        x.Backend.Unary(row.Kernel, p0, p1, x.Storage!, y.Tensor.Storage!);
        return y.Complete(Name);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [TimesDerivative(g, inputs[0], output)];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        TimesDerivative(tangents[0]!, inputs[0], output);

    /// <summary>v·dy/dx, fused into one pass for the activations that have a fused rule.</summary>
    private Tensor TimesDerivative(Tensor v, Tensor x, Tensor y) => row.FusedGrad is { } kind
        ? ActivationGradPrimitive.Apply(kind, kind == ActivationGradKind.Relu ? x : y, v, CallSite.Unknown)
        : v * row.Dydx!(x, y, p0, p1);
}
