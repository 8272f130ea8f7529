using System.Runtime.CompilerServices;
using AutoGrad.Backends;

namespace AutoGrad;

/// <summary>
/// Hands the buffers of tensors created inside it back to the backend when it ends, so that a training loop
/// reuses the same memory every step instead of allocating (and page-faulting) fresh buffers. Tensors that
/// must outlive the scope are kept with <see cref="Keep(Tensor)"/>; they then belong to the enclosing scope,
/// or to nobody (the garbage collector) when there is none.
/// </summary>
/// <remarks>
/// <para>Typical use, one scope per step:</para>
/// <code>
/// using (var scope = TensorScope.Begin())
/// {
///     var grads = grad(parameters);
///     var next = scope.Keep(parameters.Zip(grads, (w, g) =&gt; w - g * 0.1));
///     TensorScope.Release(parameters);   // the old values are no longer needed
///     parameters = next;
/// }
/// </code>
/// <para>A tensor whose buffer was released fails with <see cref="ObjectDisposedException"/> on any later use,
/// naming the scope that released it, so a forgotten <c>Keep</c> is an error, never a wrong value.
/// Tensors created outside any scope are left to the garbage collector, as before.</para>
/// <para>A scope belongs to the thread that began it and scopes end in the reverse order they began.
/// Tensors created on other threads are not tracked. Views that share a buffer (a reshape, <c>Detach()</c>)
/// are kept or released together.</para>
/// </remarks>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly int _threadId;
    private readonly CallSite _site;
    // Buffers registered here; an entry whose Owner is no longer this scope (kept or released since) is stale
    // and skipped. A list, not a set: registering must cost next to nothing for 0-d tensors on a scalar tape.
    // The list of an ended scope is reused by the thread's next one: a step's scope then allocates no growing arrays.
    private readonly List<TensorStorage> _owned;
    private string? _releasedBy;

    [ThreadStatic]
    private static List<TensorStorage>? _spareList;

    [ThreadStatic]
    private static HashSet<TensorStorage>? _keepSet;
    private int _live;
    private bool _ended;

    private TensorScope(TensorScope? parent, CallSite site)
    {
        _parent = parent;
        _threadId = Environment.CurrentManagedThreadId;
        _site = site;
        _owned = _spareList ?? [];
        _spareList = null;
    }

    // Formatted only when a message needs it, not on every Begin.
    private string Origin => _site.IsKnown ? $"{Path.GetFileName(_site.File)}:{_site.Line}" : "an unknown location";

    /// <summary>The innermost active scope on this thread, or null.</summary>
    public static TensorScope? Current => _current;

    /// <summary>The number of buffers this scope will release when it ends.</summary>
    public int OwnedCount => _live;

    /// <summary>Begins a scope on this thread, nested in the current one if any.</summary>
    public static TensorScope Begin([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        _current = new TensorScope(_current, CallSite.Of(file, line));

    /// <summary>Keeps <paramref name="tensor"/>'s buffer (and, for a traced tensor, the buffers beneath it) past this scope.</summary>
    /// <returns><paramref name="tensor"/>, for chaining.</returns>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ForEachStorage(tensor, this, static (storage, scope) => scope.MoveToParent(storage));
        return tensor;
    }

    /// <summary>Keeps every leaf of <paramref name="tree"/> past this scope.</summary>
    /// <returns><paramref name="tree"/>, for chaining.</returns>
    public TensorTree Keep(TensorTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        tree.ForEachLeaf(this, static (leaf, scope) => scope.Keep(leaf));
        return tree;
    }

    /// <summary>
    /// Releases <paramref name="tensor"/>'s buffer now, whichever scope owns it (or none): an explicit statement
    /// that nothing will read this tensor, or a view sharing its buffer, again.
    /// </summary>
    public static void Release(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ForEachStorage(tensor, 0, static (storage, _) => ReleaseStorage(storage, "by TensorScope.Release"));
    }

    /// <summary>Releases every leaf of <paramref name="tree"/> except those that share a buffer with a leaf of <paramref name="except"/>.</summary>
    /// <remarks>Replacing parameters or optimizer state that carries some leaves over unchanged: release the old tree, except the new one.</remarks>
    public static void Release(TensorTree tree, TensorTree? except = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        // The thread's set, reused: a training step releases its old trees every step.
        var keep = _keepSet ??= new HashSet<TensorStorage>(ReferenceEqualityComparer.Instance);
        keep.Clear();
        try
        {
            except?.ForEachLeaf(keep, static (leaf, set) => ForEachStorage(leaf, set, static (storage, set) => set.Add(storage)));
            tree.ForEachLeaf(keep, static (leaf, set) => ForEachStorage(leaf, set, static (storage, set) =>
            {
                if (!set.Contains(storage))
                {
                    ReleaseStorage(storage, "by TensorScope.Release");
                }
            }));
        }
        finally
        {
            keep.Clear();
        }
    }

    /// <summary>Ends the scope: every buffer created in it and not kept goes back to the backend.</summary>
    /// <exception cref="InvalidOperationException">On another thread than the one that began it, or before a scope nested in it has ended.</exception>
    public void Dispose()
    {
        if (_ended)
        {
            return;
        }

        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new InvalidOperationException($"TensorScope begun at {Origin} must end on the thread that began it");
        }

        if (!ReferenceEquals(_current, this))
        {
            throw new InvalidOperationException($"TensorScope begun at {Origin} ended while a scope nested in it is still active; end scopes in the reverse order they began");
        }

        _ended = true;
        _current = _parent;
        foreach (var storage in _owned)
        {
            if (ReferenceEquals(storage.Owner, this))
            {
                storage.Owner = null;
                storage.ReleasedBy = _releasedBy ??= $"when the TensorScope begun at {Origin} ended";
                storage.Release();
            }
        }

        _owned.Clear();
        _live = 0;
        _spareList = _owned;
    }

    /// <summary>Registers a buffer just allocated on this thread with the innermost scope, if any.</summary>
    internal static void Adopt(TensorStorage storage)
    {
        _current?.Add(storage);
    }

    private void Add(TensorStorage storage)
    {
        storage.Owner = this;
        _owned.Add(storage);
        _live++;

        // A long-lived scope that keeps receiving kept buffers (a training loop's outer scope) drops stale
        // entries now and then, so that the list stays proportional to what it really owns.
        if (_owned.Count > 2 * _live + 64)
        {
            _owned.RemoveAll(s => !ReferenceEquals(s.Owner, this));
        }
    }

    private static void ReleaseStorage(TensorStorage storage, string by)
    {
        if (storage.Owner is { } owner && owner._threadId == Environment.CurrentManagedThreadId)
        {
            owner._live--; // another thread's scope is left alone; its release at the end is a no-op
            storage.Owner = null;
        }

        storage.ReleasedBy ??= by;
        storage.Release();
    }

    /// <summary>
    /// Retires <paramref name="donor"/> after an op wrote its result into the donor's buffer (<see cref="Tensor.Donate"/>):
    /// the buffer now belongs to the result's storage, so the donor is neither released to the pool nor usable.
    /// </summary>
    internal static void Relinquish(TensorStorage donor, string op)
    {
        if (donor.Owner is { } owner && owner._threadId == Environment.CurrentManagedThreadId)
        {
            owner._live--;
            donor.Owner = null;
        }

        donor.ReleasedBy = TensorStorage.DonatedPrefix + op;
        donor.Relinquish();
    }

    private void MoveToParent(TensorStorage storage)
    {
        if (!ReferenceEquals(storage.Owner, this))
        {
            return; // created outside this scope, or already kept
        }

        _live--;
        storage.Owner = null;
        _parent?.Add(storage);
    }

    // A static callback with explicit state: a capturing lambda or a method group would allocate a delegate per call.
    private static void ForEachStorage<TState>(Tensor tensor, TState state, Action<TensorStorage, TState> action)
    {
        if (tensor.Storage is { } storage)
        {
            action(storage, state);
            return;
        }

        ForEachStorage(tensor.Primal!, state, action);
        if (tensor.Tangent is { } tangent)
        {
            ForEachStorage(tangent, state, action);
        }
    }
}
