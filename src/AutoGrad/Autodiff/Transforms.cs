using System.Runtime.CompilerServices;
using AutoGrad.Autodiff;

namespace AutoGrad;

/// <summary>
/// Function transforms in the style of JAX: each takes a function and returns a new function that
/// computes derivatives. They nest freely (<c>Grad(Grad(f))</c>); every call opens its own trace level,
/// so derivatives taken at different levels never mix.
/// </summary>
/// <example>
/// <code>
/// using static AutoGrad.Transforms;
/// var f = (Tensor x) => (x * x).Sum();
/// Tensor g = Grad(f)(Tensor.FromArray(new[] { 1.0, 2.0 }));   // [2, 4]
/// </code>
/// </example>
public static partial class Transforms
{
    /// <summary>∇f: the gradient of a scalar-valued function of one tensor (JAX <c>grad</c>).</summary>
    public static Func<Tensor, Tensor> Grad(Func<Tensor, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x => Reverse.ValueAndGrad("Grad", site, xs => f(xs[0]), [x], [0]).Grads[0];
    }

    /// <summary>The value and gradient of a scalar-valued function of one tensor (JAX <c>value_and_grad</c>).</summary>
    public static Func<Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x =>
        {
            var (value, grads) = Reverse.ValueAndGrad("ValueAndGrad", site, xs => f(xs[0]), [x], [0]);
            return (value, grads[0]);
        };
    }

    /// <summary>
    /// The gradients of a scalar-valued function of several tensors with respect to the arguments listed
    /// in <paramref name="argnums"/> (all of them when none are given), in that order (JAX's argnums).
    /// </summary>
    public static Func<Tensor[], Tensor[]> Grad(Func<Tensor[], Tensor> f, int[] argnums, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return xs => Reverse.ValueAndGrad("Grad", site, f, xs, argnums).Grads;
    }

    /// <summary>The value and the gradients with respect to <paramref name="argnums"/> (all when none are given).</summary>
    public static Func<Tensor[], (Tensor Value, Tensor[] Grads)> ValueAndGrad(Func<Tensor[], Tensor> f, int[] argnums, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return xs => Reverse.ValueAndGrad("ValueAndGrad", site, f, xs, argnums);
    }

    /// <summary>The gradient of a scalar-valued function of a parameter tree, as a tree of the same structure.</summary>
    public static Func<TensorTree, TensorTree> Grad(Func<TensorTree, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return tree => Reverse.TreeValueAndGrad("Grad", site, f, tree).Grad;
    }

    /// <summary>The value and the gradient tree of a scalar-valued function of a parameter tree.</summary>
    public static Func<TensorTree, (Tensor Value, TensorTree Grad)> ValueAndGrad(Func<TensorTree, Tensor> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return tree => Reverse.TreeValueAndGrad("ValueAndGrad", site, f, tree);
    }

    /// <summary>
    /// JAX's <c>grad(f, has_aux=True)</c>: <paramref name="f"/> returns the scalar to differentiate and an
    /// auxiliary value (metrics, predictions) that is passed through. Tensors in the aux value (a tensor,
    /// a tree or an array of tensors) come back as plain values of this level.
    /// </summary>
    public static Func<TensorTree, (TensorTree Grad, TAux Aux)> GradWithAux<TAux>(Func<TensorTree, (Tensor Loss, TAux Aux)> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return tree =>
        {
            var (_, grad, aux) = Reverse.TreeValueAndGradWithAux("GradWithAux", site, f, tree);
            return (grad, aux);
        };
    }

    /// <summary>The value, gradient tree and auxiliary output of a function returning (loss, aux).</summary>
    public static Func<TensorTree, (Tensor Value, TensorTree Grad, TAux Aux)> ValueAndGradWithAux<TAux>(Func<TensorTree, (Tensor Loss, TAux Aux)> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return tree => Reverse.TreeValueAndGradWithAux("ValueAndGradWithAux", site, f, tree);
    }

    /// <summary>Has-aux gradient of a function of one tensor.</summary>
    public static Func<Tensor, (Tensor Grad, TAux Aux)> GradWithAux<TAux>(Func<Tensor, (Tensor Loss, TAux Aux)> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return x =>
        {
            TAux aux = default!;
            var (_, grads) = Reverse.ValueAndGrad("GradWithAux", site, xs =>
            {
                var (loss, a) = f(xs[0]);
                aux = a;
                return loss;
            }, [x], [0], onExit: trace => aux = Reverse.LowerAux(aux, trace));
            return (grads[0], aux);
        };
    }

    /// <summary>Has-aux gradient of a function of several tensors, with respect to <paramref name="argnums"/> (all when none are given).</summary>
    public static Func<Tensor[], (Tensor[] Grads, TAux Aux)> GradWithAux<TAux>(Func<Tensor[], (Tensor Loss, TAux Aux)> f, int[] argnums, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return xs =>
        {
            TAux aux = default!;
            var (_, grads) = Reverse.ValueAndGrad("GradWithAux", site, args =>
            {
                var (loss, a) = f(args);
                aux = a;
                return loss;
            }, xs, argnums, onExit: trace => aux = Reverse.LowerAux(aux, trace));
            return (grads, aux);
        };
    }

    /// <summary>
    /// A scope in which the transforms already running stop differentiating: ops on their traced tensors
    /// compute plain values, as under PyTorch's <c>torch.no_grad()</c>. Transforms started inside the
    /// scope work normally. Use with <c>using</c>; the scope belongs to the calling thread.
    /// </summary>
    public static NoGradScope NoGrad() => new();
}

/// <summary>The scope returned by <see cref="Transforms.NoGrad"/>; disposing it (once or more) ends the scope.</summary>
public sealed class NoGradScope : IDisposable
{
    private bool _active = true;

    internal NoGradScope() => TraceStack.EnterNoGrad();

    /// <summary>Ends the no-grad scope.</summary>
    public void Dispose()
    {
        if (_active)
        {
            _active = false;
            TraceStack.ExitNoGrad();
        }
    }
}
