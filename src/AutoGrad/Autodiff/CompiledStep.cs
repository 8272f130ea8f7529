using System.Runtime.CompilerServices;
using AutoGrad.Autodiff;

namespace AutoGrad;

/// <summary>
/// A compiled step (<see cref="Transforms.Jit"/>) that owns a state — a model's parameters and its optimizer's state —
/// and updates it in place on every <see cref="Run"/>, as a PyTorch optimizer updates its parameters, or as a
/// <c>jax.jit</c> train step with its state donated. The state never leaves this object: <see cref="State"/> hands out
/// copies, so no tensor a caller holds ever changes. A steady-state call allocates only its outputs.
/// </summary>
/// <example>
/// <code>
/// var sgd = new Sgd(0.1);
/// var step = new CompiledStep(
///     new TensorTree { { "params", parameters }, { "opt", sgd.Init(parameters) } },
///     (state, batch) =>
///     {
///         var (loss, grads) = Transforms.ValueAndGrad(p => Loss(p, batch["x"], batch["y"]))(state.Subtree("params"));
///         var (p, opt) = sgd.Update(grads, state.Subtree("opt"), state.Subtree("params"));
///         return (new TensorTree { { "params", p }, { "opt", opt } }, new TensorTree { { "loss", loss } });
///     });
/// double loss = step.Run(new TensorTree { { "x", x }, { "y", y } })["loss"].Item();
/// </code>
/// </example>
/// <remarks>
/// The step function follows <see cref="Transforms.Jit"/>'s rules (no host reads of input-dependent values, no host
/// random draws) and must return a new state of the state's structure, shapes and dtypes. Calls take turns. A Run that
/// fails part-way (a data error found by a kernel) may have updated part of the state; the step then refuses further use.
/// While anomaly mode is on (<see cref="Anomaly.Detect(string, int)"/>) a Run executes the step eagerly, op by op, and
/// writes the new state only once the whole step succeeded: an <see cref="AnomalyException"/> leaves the state as it was.
/// </remarks>
public sealed class CompiledStep
{
    private readonly TensorTree _state;
    private readonly TensorTree _call;
    private readonly JitFunction _jit;
    private readonly CallSite _site;
    private readonly object _gate = new();
    private static readonly TensorTree NoInputs = new();

    /// <summary>Compiles <paramref name="step"/> over a copy of <paramref name="initialState"/>.</summary>
    /// <param name="initialState">The state's starting values; they are copied, never modified.</param>
    /// <param name="step">(state, inputs) → (new state, outputs).</param>
    /// <param name="file">Filled in by the compiler: the caller's file, for messages.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for messages.</param>
    public CompiledStep(TensorTree initialState, Func<TensorTree, TensorTree, (TensorTree State, TensorTree Outputs)> step,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(initialState);
        ArgumentNullException.ThrowIfNull(step);
        _site = new CallSite(file, line);
        var site = _site;
        _state = initialState.Map(t => OwnedCopy(t, site));
        var stateShape = _state;
        _call = TensorTree.Interior(2);
        _call.AddUnchecked("state", _state);
        _call.AddUnchecked("inputs", NoInputs);
        _jit = new JitFunction(
            t =>
            {
                var (next, outputs) = step(t.Subtree("state"), t.Subtree("inputs"));
                CheckState(next, stateShape, site);
                var result = TensorTree.Interior(2);
                result.AddUnchecked("state", next);
                result.AddUnchecked("outputs", outputs ?? throw new InvalidOperationException($"CompiledStep at {site}: the step returned null outputs; return a TensorTree (it may be empty)."));
                return result;
            },
            site,
            _state.LeafCount);
    }

    /// <summary>Runs one step on <paramref name="inputs"/>: the state is updated in place, and the step's outputs returned.</summary>
    public TensorTree Run(TensorTree inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        lock (_gate)
        {
            ThrowIfFaulted();
            _call.ReplaceChild(1, inputs);
            try
            {
                return _jit.InvokeOwned(_call);
            }
            finally
            {
                _call.ReplaceChild(1, NoInputs); // hold no caller tensors between calls
            }
        }
    }

    /// <summary>A copy of the current state (fresh tensors, in the current <see cref="TensorScope"/> if any).</summary>
    public TensorTree State
    {
        get
        {
            lock (_gate)
            {
                ThrowIfFaulted();
                return _state.Map(t =>
                {
                    var copy = Tensor.Uninitialized(t.DType, t.Dims, t.Device);
                    t.Backend.StridedCopy(t.Storage!, 0, [1], copy.Storage!, 0, [1], [t.Size]);
                    return copy;
                });
            }
        }
    }

    private void ThrowIfFaulted()
    {
        if (_jit.Faulted)
        {
            throw new InvalidOperationException(
                $"CompiledStep at {_site}: an earlier Run failed part-way through updating the state in place, so the state is no longer " +
                "the state of any step. Create a new CompiledStep from a State saved before the failure.");
        }
    }

    /// <summary>A copy that belongs to this step alone: no scope releases it.</summary>
    private static Tensor OwnedCopy(Tensor t, CallSite site)
    {
        if (t.IsTraced)
        {
            throw new ArgumentException($"CompiledStep at {site}: the initial state holds a tensor traced by {t.Trace!.Transform}; pass concrete values.");
        }

        if (t.Storage!.IsReleased)
        {
            throw new ObjectDisposedException("tensor", $"CompiledStep at {site}: an initial state tensor {t.DType.Name()}{t.Shape} was released ({t.Storage.ReleasedBy}).");
        }

        var storage = t.Backend.Allocate(t.DType, t.Size, clear: false);
        t.Backend.StridedCopy(t.Storage, 0, [1], storage, 0, [1], [t.Size]);
        return new Tensor(storage, (int[])t.Dims.Clone(), t.Device);
    }

    private static void CheckState(TensorTree? next, TensorTree state, CallSite site)
    {
        if (next is null || !next.HasSameStructure(state))
        {
            throw new ArgumentException($"CompiledStep at {site}: the step must return a new state of the state's structure [{Paths(state)}], got [{(next is null ? "null" : Paths(next))}].");
        }

        var got = next.Leaves();
        var want = state.Leaves();
        for (int i = 0; i < want.Count; i++)
        {
            if (got[i].Value.Shape != want[i].Value.Shape || got[i].Value.DType != want[i].Value.DType)
            {
                throw new ArgumentException(
                    $"CompiledStep at {site}: the new state's '{want[i].Path}' is {got[i].Value.DType.Name()}{got[i].Value.Shape}, but the state's is {want[i].Value.DType.Name()}{want[i].Value.Shape}.");
            }
        }
    }

    private static string Paths(TensorTree tree) => string.Join(", ", tree.Leaves().Select(l => l.Path));
}
