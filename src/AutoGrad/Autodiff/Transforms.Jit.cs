using System.Runtime.CompilerServices;
using AutoGrad.Autodiff;

namespace AutoGrad;

public static partial class Transforms
{
    /// <summary>
    /// Compiles <paramref name="f"/> (JAX <c>jit</c>): the first call with a given input signature (tree structure,
    /// shapes, dtypes, devices) runs <paramref name="f"/> and records the kernels it launches, forward, backward and
    /// update alike; every later call with that signature replays those kernels over the new inputs, with no tensors,
    /// tape, dispatch or checks in between, intermediates in buffers the compiled function owns and reuses, and each
    /// output in a fresh buffer from the pool. A training step compiled this way allocates almost nothing.
    /// </summary>
    /// <remarks>
    /// <para>As in JAX, <paramref name="f"/> must be a function of its inputs' values only:</para>
    /// <list type="bullet">
    /// <item>Host code runs only while tracing. Values it computes from anything but tensor inputs (closure variables, a
    /// counter, a schedule evaluated at a host step) are frozen into the compiled function; pass them in as tensors.</item>
    /// <item>Reading an input-dependent value back to the host (<c>Item</c>, <c>ToArray</c>) or drawing random tensors on
    /// the host while tracing throws <see cref="JitTraceException"/>: the replay could not repeat what the host did with it.</item>
    /// <item>Tensors captured from outside (not passed in) are read where they are at each call; keep them alive.</item>
    /// <item>Tensor ops must run on the calling thread.</item>
    /// </list>
    /// <para>Under a transform (the inputs traced by <c>Grad</c>, <c>Jvp</c>, …) and inside another compiled function's
    /// trace, <paramref name="f"/> simply runs, so compiled functions compose with every transform. Calls from several
    /// threads take turns. While anomaly mode is on (<see cref="Anomaly.Detect(string, int)"/>) <paramref name="f"/> runs
    /// eagerly too, op by op, so that each op is checked; nothing is traced or replayed until it is off.</para>
    /// <para>Outputs get fresh pooled buffers, except where an input was donated (<see cref="Tensor.Donate"/>,
    /// <see cref="TensorTree.Donate"/>; JAX's <c>donate_argnums</c>): an output of its dtype and length is then written over
    /// it when nothing reads the input afterwards (a parameter update p − lr·g), and the donor fails on use. Donation, like
    /// shapes, is part of the signature. For a step that owns its parameters and updates them in place, see <see cref="CompiledStep"/>.</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// var step = Transforms.Jit((TensorTree s) =>
    /// {
    ///     var (loss, g) = Transforms.ValueAndGrad(p => Loss(p, s["x"], s["y"]))(s.Subtree("params"));
    ///     return new TensorTree { { "params", s.Subtree("params").Zip(g, (w, dw) => w - 0.1 * dw) }, { "loss", loss } };
    /// });
    /// </code>
    /// </example>
    public static Func<TensorTree, TensorTree> Jit(Func<TensorTree, TensorTree> f, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new JitFunction(f, new CallSite(file, line)).Invoke;
    }
}
