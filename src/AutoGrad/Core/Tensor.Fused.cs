using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Fused elementwise updates: what an optimizer step composes from several ops, in one pass over memory.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// α·x + β·y in one pass (BLAS's axpby), bitwise equal to <c>x * alpha + y * beta</c> but reading each
    /// operand once and writing one buffer instead of three. Differentiable in x and y.
    /// </summary>
    /// <param name="alpha">The scale of <paramref name="x"/>; finite.</param>
    /// <param name="x">A float tensor.</param>
    /// <param name="beta">The scale of <paramref name="y"/>; finite.</param>
    /// <param name="y">A tensor of x's shape and dtype (no broadcasting).</param>
    /// <param name="file">Filled in by the compiler: the caller's file, for error messages.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for error messages.</param>
    /// <example><c>var w2 = Tensor.Axpby(1, w, -0.1, dw); // w − 0.1·dw, an SGD step</c></example>
    public static Tensor Axpby(double alpha, Tensor x, double beta, Tensor y, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        AxpbyPrimitive.Apply(alpha, x, beta, y, squareY: false, new CallSite(file, line));

    /// <summary>
    /// α·x + β·y² in one pass, bitwise equal to <c>x * alpha + y * y * beta</c>: the second-moment average of
    /// Adam and RMSprop (x the average, y the gradient). Differentiable in x and y.
    /// </summary>
    /// <param name="alpha">The scale of <paramref name="x"/>; finite.</param>
    /// <param name="x">A float tensor.</param>
    /// <param name="beta">The scale of y²; finite.</param>
    /// <param name="y">A tensor of x's shape and dtype (no broadcasting).</param>
    /// <param name="file">Filled in by the compiler: the caller's file, for error messages.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for error messages.</param>
    public static Tensor AxpbySquare(double alpha, Tensor x, double beta, Tensor y, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        AxpbyPrimitive.Apply(alpha, x, beta, y, squareY: true, new CallSite(file, line));

    /// <summary>
    /// x − α·y / (√z / γ + ε) in one pass, bitwise equal to <c>x - y * alpha / (z.Sqrt() / gamma + eps)</c>:
    /// the parameter update of Adam (y the first moment, z the second, γ = √(1 − β₂ᵗ)), RMSprop and Adagrad
    /// (γ = 1). Differentiable in x, y and z.
    /// </summary>
    /// <param name="x">The parameters: a float tensor.</param>
    /// <param name="alpha">The step size; finite.</param>
    /// <param name="y">The numerator (a gradient or its average): x's shape and dtype.</param>
    /// <param name="z">The squared scale (a second moment): x's shape and dtype, not negative.</param>
    /// <param name="gamma">Divides √z; positive and finite (1 when there is no bias correction).</param>
    /// <param name="eps">Added to the denominator; finite.</param>
    /// <param name="file">Filled in by the compiler: the caller's file, for error messages.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for error messages.</param>
    public static Tensor AdaptiveStep(Tensor x, double alpha, Tensor y, Tensor z, double gamma, double eps, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        var site = new CallSite(file, line);
        FusedChecks.Finite("AdaptiveStep", site, ("alpha", alpha), ("gamma", gamma), ("eps", eps));
        if (gamma <= 0)
        {
            throw site.Error("AdaptiveStep", $"gamma must be positive, got {gamma}");
        }

        return AdaptiveStepPrimitive.Apply(x, Scalar(alpha, DType.Float64, x.Device), y, z, Scalar(gamma, DType.Float64, x.Device), eps, site);
    }

    /// <summary>
    /// x − (y·α) / (√z / γ + ε) in one pass, with α and γ as 0-d tensors: the form a compiled step can replay when they
    /// change from step to step (Adam's bias corrections, computed from its step counter). Differentiable in all five
    /// operands; α and γ are rounded to x's dtype.
    /// </summary>
    /// <param name="x">The parameters: a float tensor.</param>
    /// <param name="alpha">The step size: a 0-d float tensor on x's device.</param>
    /// <param name="y">The numerator (a gradient or its average): x's shape and dtype.</param>
    /// <param name="z">The squared scale (a second moment): x's shape and dtype, not negative.</param>
    /// <param name="gamma">Divides √z: a 0-d float tensor on x's device, positive (its value is not checked: a compiled step never reads it back).</param>
    /// <param name="eps">Added to the denominator; finite.</param>
    /// <param name="file">Filled in by the compiler: the caller's file, for error messages.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for error messages.</param>
    public static Tensor AdaptiveStep(Tensor x, Tensor alpha, Tensor y, Tensor z, Tensor gamma, double eps, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        AdaptiveStepPrimitive.Apply(x, alpha, y, z, gamma, eps, new CallSite(file, line));
}
