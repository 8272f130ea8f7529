namespace AutoGrad.Testing.Tests;

/// <summary>Custom derivative rules, right and deliberately wrong, for the tests to check.</summary>
internal static class Rules
{
    /// <summary>x² with its rule 2x·g: right.</summary>
    public static readonly Func<Tensor, Tensor> Square = Custom.Vjp((Tensor x) => x * x, (x, y, g) => g * 2.0 * x, name: "square");

    /// <summary>x² whose rule forgets the factor 2 where x &gt; 1: 2x·g for x ≤ 1, but x·g above. Wrong only in part of the domain, so shrinking has work to do.</summary>
    public static readonly Func<Tensor, Tensor> SquareMissingFactorAboveOne = Custom.Vjp(
        (Tensor x) => x * x,
        (x, y, g) => g * x * (2.0 - x.Greater(1.0)),
        name: "square");

    /// <summary>Log-sum-exp over the last axis with the softmax as its VJP (stable for any input): right.</summary>
    public static readonly Func<Tensor, Tensor> LogSumExp = Custom.Vjp(
        (Tensor x) =>
        {
            var m = x.Max(-1, keepDims: true).Detach();
            return (x - m).Exp().Sum(-1).Log() + m.Squeeze(-1);
        },
        (x, y, g) => g.Unsqueeze(-1) * (x - y.Unsqueeze(-1)).Exp(),
        name: "logsumexp");

    /// <summary>Softplus with the sigmoid as its VJP: right, and differentiable again since the rule is made of ops.</summary>
    public static readonly Func<Tensor, Tensor> Softplus = Custom.Vjp((Tensor x) => (1.0 + x.Exp()).Log(), (x, y, g) => g * x.Sigmoid(), name: "softplus");

    /// <summary>exp with a JVP rule t·y: right.</summary>
    public static readonly Func<Tensor, Tensor> ExpJvp = Custom.Jvp((Tensor x) => x.Exp(), (x, y, t) => t * y, name: "exp");

    /// <summary>exp whose JVP rule is 1.5 times too large where x &gt; 1; reverse mode differentiates the forward computation, so only forward mode is wrong.</summary>
    public static readonly Func<Tensor, Tensor> ExpWrongJvpAboveOne = Custom.Jvp(
        (Tensor x) => x.Exp(),
        (x, y, t) => t * y * (1.0 + 0.5 * x.Greater(1.0)),
        name: "exp");

    /// <summary>
    /// exp with a right VJP rule g·y and a JVP rule wrong where x &gt; 1: first-order reverse mode is right, and so is
    /// reverse over reverse; forward over reverse pushes the tangent of y (from the wrong JVP) through the VJP rule.
    /// </summary>
    public static readonly Func<Tensor, Tensor> ExpRightVjpWrongJvpAboveOne = x => Custom.Create(
        xs => xs[0].Exp(),
        (xs, y, g) => [g * y],
        (xs, y, ts) => ts[0] * y * (1.0 + 0.5 * xs[0].Greater(1.0)),
        name: "exp")([x]);

    /// <summary>
    /// x³ whose VJP rule 3x²·g is right in value but detaches x² where x &gt; 1: first order passes, while its own
    /// derivative (the second order) is 0 there instead of 6x·g.
    /// </summary>
    public static readonly Func<Tensor, Tensor> CubeRuleNotDifferentiableAboveOne = Custom.Vjp(
        (Tensor x) => x * x * x,
        (x, y, g) => g * 3.0 * Tensor.Where(x.Greater(1.0), (x * x).Detach(), x * x),
        name: "cube");

    /// <summary>a·b with broadcasting and a VJP rule that sums each cotangent back to its input's shape: right.</summary>
    public static readonly Func<Tensor[], Tensor> Mul = Custom.Vjp(
        (Tensor[] xs) => xs[0] * xs[1],
        (xs, y, g) => [(g * xs[1]).SumToShape(xs[0].Shape), (g * xs[0]).SumToShape(xs[1].Shape)],
        name: "mul");

    /// <summary>a·b whose rule forgets to sum b's cotangent back over the broadcast axes: wrong whenever b was broadcast.</summary>
    public static readonly Func<Tensor[], Tensor> MulForgetsToReduce = Custom.Vjp(
        (Tensor[] xs) => xs[0] * xs[1],
        (xs, y, g) => [(g * xs[1]).SumToShape(xs[0].Shape), g * xs[0]],
        name: "mul");

    /// <summary>a @ b with the rule (g·bᵀ, aᵀ·g): right.</summary>
    public static readonly Func<Tensor[], Tensor> MatMul = Custom.Vjp(
        (Tensor[] xs) => xs[0].MatMul(xs[1]),
        (xs, y, g) => [g.MatMul(xs[1].Transpose()), xs[0].Transpose().MatMul(g)],
        name: "matmul");

    /// <summary>a·b + c, a fused multiply-add with its rule: right.</summary>
    public static readonly Func<Tensor[], Tensor> MulAdd = Custom.Vjp(
        (Tensor[] xs) => xs[0] * xs[1] + xs[2],
        (xs, y, g) => [(g * xs[1]).SumToShape(xs[0].Shape), (g * xs[0]).SumToShape(xs[1].Shape), g.SumToShape(xs[2].Shape)],
        name: "muladd");
}
