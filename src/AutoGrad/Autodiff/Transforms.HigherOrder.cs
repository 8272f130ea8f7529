using System.Runtime.CompilerServices;
using AutoGrad.Autodiff;

namespace AutoGrad;

/// <summary>Linearization, Jacobians and Hessians.</summary>
public static partial class Transforms
{
    /// <summary>
    /// JAX's <c>linearize</c>: evaluates <paramref name="f"/> at <paramref name="x"/> once and returns its value
    /// and the linear map v ↦ J·v, which pushes tangents through the primitives' JVP rules at the recorded
    /// point without evaluating f again. Call it as often as needed.
    /// </summary>
    public static (Tensor Value, Func<Tensor, Tensor> Jvp) Linearize(Func<Tensor, Tensor> f, Tensor x, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (value, push, _) = Linear.Record("Linearize", new CallSite(file, line), f, x);
        return (value, push);
    }

    /// <summary>
    /// The Jacobian of <paramref name="f"/> as a function, with shape f(x).shape + x.shape: by reverse mode
    /// row by row (JAX <c>jacrev</c>), by forward mode column by column (<c>jacfwd</c>), or — by default —
    /// whichever needs fewer passes. The result is itself differentiable.
    /// </summary>
    public static Func<Tensor, Tensor> Jacobian(Func<Tensor, Tensor> f, JacobianMode mode = JacobianMode.Auto, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x => Linear.Jacobian("Jacobian", site, f, x, mode);
    }

    /// <summary>
    /// The Hessian of a scalar-valued function, with shape x.shape + x.shape, computed forward-over-reverse:
    /// the Jacobian of <c>Grad(f)</c> by pushing tangents forward through the recorded reverse pass
    /// (JAX <c>hessian</c>, PyTorch <c>torch.func.hessian</c>).
    /// </summary>
    public static Func<Tensor, Tensor> Hessian(Func<Tensor, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        var grad = Grad(f, file, line);
        return x => Linear.Jacobian("Hessian", site, grad, x, JacobianMode.Forward);
    }

    /// <summary>
    /// H·v for a scalar-valued function without forming H: the JVP of <c>Grad(f)</c> in direction v
    /// (forward-over-reverse), at the cost of about two gradient evaluations.
    /// </summary>
    public static Func<Tensor, Tensor, Tensor> HessianVectorProduct(Func<Tensor, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var grad = Grad(f, file, line);
        var site = new CallSite(file, line);
        return (x, v) => Forward.Jvp(site, xs => grad(xs[0]), [x], [v]).Tangent;
    }
}
