using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>
/// Functions with derivative rules of your own, as JAX's <c>custom_vjp</c> and <c>custom_jvp</c> (PyTorch's
/// <c>autograd.Function</c>): give the forward computation and a rule; the result is an ordinary function
/// that every transform differentiates with your rule, to any order when the rule is itself written with
/// tensor ops. Check a rule over generated inputs with <c>GradientProperties.AgreeWithFiniteDifferences(f)</c> from the
/// AutoGrad.Testing package (docs/testing.md), or at one point with <c>Numerical.GradCheck</c>. Where only one rule
/// is given, the other mode differentiates the forward computation.
/// </summary>
/// <example>
/// A log-sum-exp whose gradient is the softmax, computed stably however large the inputs:
/// <code>
/// var lse = Custom.Vjp(
///     (Tensor x) => { var m = x.Max().Detach(); return (x - m).Exp().Sum().Log() + m; },
///     (x, y, g) => g * (x - y).Exp());
/// </code>
/// </example>
public static class Custom
{
    /// <summary>A function of several tensors with a VJP rule: rule(inputs, output, cotangent) → one cotangent per input.</summary>
    public static Func<Tensor[], Tensor> Vjp(Func<Tensor[], Tensor> forward, Func<Tensor[], Tensor, Tensor, Tensor[]> vjp, string name = "custom",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Create(forward, vjp, null, name, file, line);

    /// <summary>A function of one tensor with a VJP rule: rule(x, y, g) → the cotangent of x.</summary>
    public static Func<Tensor, Tensor> Vjp(Func<Tensor, Tensor> forward, Func<Tensor, Tensor, Tensor, Tensor> vjp, string name = "custom",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(vjp);
        var f = Create(xs => forward(xs[0]), (xs, y, g) => [vjp(xs[0], y, g)], null, name, file, line);
        return x => f([x]);
    }

    /// <summary>A function of several tensors with a JVP rule: rule(inputs, output, tangents) → the output's tangent.</summary>
    public static Func<Tensor[], Tensor> Jvp(Func<Tensor[], Tensor> forward, Func<Tensor[], Tensor, Tensor[], Tensor> jvp, string name = "custom",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Create(forward, null, jvp, name, file, line);

    /// <summary>A function of one tensor with a JVP rule: rule(x, y, t) → the tangent of y.</summary>
    public static Func<Tensor, Tensor> Jvp(Func<Tensor, Tensor> forward, Func<Tensor, Tensor, Tensor, Tensor> jvp, string name = "custom",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(jvp);
        var f = Create(xs => forward(xs[0]), null, (xs, y, ts) => jvp(xs[0], y, ts[0]), name, file, line);
        return x => f([x]);
    }

    /// <summary>A function with either or both rules (at least one).</summary>
    public static Func<Tensor[], Tensor> Create(Func<Tensor[], Tensor> forward, Func<Tensor[], Tensor, Tensor, Tensor[]>? vjp, Func<Tensor[], Tensor, Tensor[], Tensor>? jvp,
        string name = "custom", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (vjp is null && jvp is null)
        {
            throw new ArgumentException("Custom: give a VJP rule, a JVP rule or both");
        }

        var site = new CallSite(file, line);
        return inputs => CustomPrimitive.Apply(new CustomPrimitive(name, forward, vjp, jvp, site), inputs, site);
    }
}
