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

    /// <summary>
    /// The Jacobian of a tensor-valued function of a tree (a <see cref="TensorTree"/>, a tuple, your own
    /// <see cref="ITree{TSelf}"/>), in the input's type and structure: each leaf of shape f(x).shape + leaf.shape.
    /// </summary>
    public static Func<T1, T1> Jacobian<T1>(Func<T1, Tensor> f, JacobianMode mode = JacobianMode.Auto, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x =>
        {
            var (_, _, _, blocks) = TreeJacobian.Compute("Jacobian", site, v => f((T1)v!), x, mode);
            return Tree.Rebuild(x, blocks[0]);
        };
    }

    /// <summary>
    /// The Jacobian of a function of one tensor with several outputs (a tuple or tree of tensors), in the output's type and
    /// structure: each leaf of shape leaf.shape + x.shape.
    /// </summary>
    public static Func<Tensor, TOut> Jacobian<TOut>(Func<Tensor, TOut> f, JacobianMode mode = JacobianMode.Auto, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x =>
        {
            var (output, _, _, blocks) = TreeJacobian.Compute("Jacobian", site, v => f((Tensor)v!), x, mode);
            return Tree.Rebuild((TOut)output!, blocks.Select(row => row[0]).ToArray());
        };
    }

    /// <summary>
    /// The Jacobian of a function from one tree to another, as JAX nests it: a <see cref="TensorTree"/> with one subtree
    /// per output leaf (by its path; "value" for a single tensor), each laid out like the input, holding ∂out/∂in of shape
    /// out.shape + in.shape.
    /// </summary>
    public static Func<T1, TensorTree> Jacobian<T1, TOut>(Func<T1, TOut> f, JacobianMode mode = JacobianMode.Auto, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x =>
        {
            var (_, outs, _, blocks) = TreeJacobian.Compute("Jacobian", site, v => f((T1)v!), x, mode);
            return TreeJacobian.Nested(outs, x, blocks);
        };
    }

    /// <summary>
    /// The Hessian of a scalar function of a tree (forward-over-reverse), nested as the tree-to-tree <c>Jacobian</c> nests:
    /// one subtree per leaf, laid out like the input, holding ∂²f/∂a∂b of shape a.shape + b.shape.
    /// </summary>
    public static Func<T1, TensorTree> Hessian<T1>(Func<T1, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        var grad = Grad<T1>(f, file, line);
        return x =>
        {
            var (_, outs, _, blocks) = TreeJacobian.Compute("Hessian", site, v => grad((T1)v!), x, JacobianMode.Forward);
            return TreeJacobian.Nested(outs, x, blocks);
        };
    }

    /// <summary>
    /// H·v for a scalar function of a tree, without forming H: the JVP of its gradient along <c>v</c> (a tree of x's
    /// structure), for every leaf in one forward-over-reverse pass. The result has x's type and structure.
    /// </summary>
    public static Func<T1, T1, T1> HessianVectorProduct<T1>(Func<T1, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var grad = Grad<T1>(f, file, line);
        var site = new CallSite(file, line);
        return (x, v) => TreeArgs.Jvp(site, new object?[] { x }, new object?[] { v }, a => grad((T1)a[0]!)).Tangent;
    }
}
