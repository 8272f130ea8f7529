using AutoGrad.Backends;
using AutoGrad.Backends.Recording;

namespace AutoGrad.Autodiff;

/// <summary>
/// The machinery of <see cref="Transforms.Jit"/>: the first call with a given input signature (tree structure, shapes,
/// dtypes) runs the function eagerly while <see cref="KernelRecorder"/> records its kernel calls; later calls with that
/// signature replay the <see cref="KernelProgram"/>, with no tensors, tape, dispatch or validation in between.
/// </summary>
internal sealed class JitFunction(Func<TensorTree, TensorTree> f, CallSite site)
{
    private readonly object _gate = new();
    private readonly List<JitEntry> _entries = [];
    private readonly List<Tensor> _leaves = [];

    /// <summary>The number of signatures traced so far.</summary>
    public int TraceCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public TensorTree Invoke(TensorTree inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (KernelRecorder.IsRecording)
        {
            return Checked(f(inputs)); // inside another function's trace: inlined into its recording, as jit of jit
        }

        lock (_gate)
        {
            _leaves.Clear();
            if (!CollectConcrete(inputs, _leaves))
            {
                // A transform traces the inputs (Grad of a compiled function): the tape must see the ops, so run f itself.
                return Checked(f(inputs));
            }

            foreach (var entry in _entries)
            {
                if (entry.Matches(inputs, _leaves))
                {
                    return entry.Run(_leaves);
                }
            }

            var (traced, outputs) = JitEntry.Trace(f, inputs, _leaves, site);
            _entries.Add(traced);
            _leaves.Clear(); // hold no caller tensors between calls
            return outputs;
        }
    }

    private TensorTree Checked(TensorTree? outputs) =>
        outputs ?? throw new InvalidOperationException($"Jit at {site}: the function returned null; return a TensorTree.");

    /// <summary>Collects the leaves in order; false when one is traced by a transform.</summary>
    private bool CollectConcrete(TensorTree node, List<Tensor> into)
    {
        if (node.IsLeaf)
        {
            var leaf = node.Value;
            if (leaf.IsTraced)
            {
                return false;
            }

            if (leaf.Storage!.IsReleased)
            {
                throw new ObjectDisposedException(
                    "tensor",
                    $"Jit at {site}: input {leaf.Shape} {leaf.DType.Name()} was released ({leaf.Storage.ReleasedBy}). {leaf.Storage.ReleaseHint}");
            }

            into.Add(leaf);
            return true;
        }

        for (int i = 0; i < node.ChildCount; i++)
        {
            if (!CollectConcrete(node.Child(i), into))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>One traced signature of a compiled function: how to recognise its inputs and rebuild its outputs.</summary>
internal sealed class JitEntry
{
    private readonly TreeSkeleton _inputShape;
    private readonly (int[] Dims, DType DType, Device Device)[] _inputLeaves;
    private readonly int[] _aliasOf;
    private readonly bool[] _donated;
    private readonly KernelProgram _program;
    private readonly TreeSkeleton _outputShape;
    private readonly OutputLeaf[] _outputLeaves;
    private readonly TensorStorage[] _fresh;
    private readonly Tensor[] _built;

    private JitEntry(TreeSkeleton inputShape, List<Tensor> leaves, int[] aliasOf, bool[] donated, KernelProgram program, TreeSkeleton outputShape, OutputLeaf[] outputLeaves, int freshCount)
    {
        _inputShape = inputShape;
        _inputLeaves = leaves.Select(l => (l.Dims, l.DType, l.Device)).ToArray();
        _aliasOf = aliasOf;
        _donated = donated;
        _program = program;
        _outputShape = outputShape;
        _outputLeaves = outputLeaves;
        _fresh = new TensorStorage[freshCount];
        _built = new Tensor[outputLeaves.Length];
    }

    /// <summary>Traces <paramref name="f"/> on <paramref name="inputs"/> (whose leaves are <paramref name="leaves"/>) and returns its eager outputs.</summary>
    public static (JitEntry Entry, TensorTree Outputs) Trace(Func<TensorTree, TensorTree> f, TensorTree inputs, List<Tensor> leaves, CallSite site)
    {
        // Donation is part of the signature: it decides which outputs the program writes over their inputs.
        var donated = leaves.Select(l => l.Storage!.IsDonated).ToArray();
        var recorder = KernelRecorder.Begin();
        var inputSlots = new int[leaves.Count];
        TensorTree? outputs;
        DonationGate.Close(); // no op may write over a buffer the replay will not own
        try
        {
            for (int i = 0; i < leaves.Count; i++)
            {
                inputSlots[i] = recorder.Input(leaves[i].Storage!);
            }

            outputs = f(inputs);
        }
        finally
        {
            DonationGate.Reopen();
            recorder.End();
        }

        if (outputs is null)
        {
            throw new InvalidOperationException($"Jit at {site}: the function returned null; return a TensorTree.");
        }

        var aliasOf = new int[leaves.Count];
        for (int i = 0; i < leaves.Count; i++)
        {
            aliasOf[i] = leaves.FindIndex(0, i, l => ReferenceEquals(l.Storage, leaves[i].Storage));
        }

        var outputLeaves = new List<OutputLeaf>();
        var freshSlots = new List<int>();
        var outputShape = TreeSkeleton.Of(outputs, leaf =>
        {
            if (leaf.IsTraced)
            {
                throw new InvalidOperationException(
                    $"Jit at {site}: the function returned a tensor traced by {leaf.Trace!.Transform}; return values computed from the transform's results.");
            }

            var storage = leaf.Storage!;
            int input = leaves.FindIndex(l => ReferenceEquals(l.Storage, storage));
            if (input >= 0)
            {
                outputLeaves.Add(new OutputLeaf(OutputKind.Input, input, leaf.Dims, leaf.Device, null, false));
            }
            else if (recorder.TryGetSlot(storage, out int slot) && recorder.Slots[slot].Allocated)
            {
                int fresh = freshSlots.IndexOf(slot);
                bool first = fresh < 0;
                if (first)
                {
                    fresh = freshSlots.Count;
                    freshSlots.Add(slot);
                }

                outputLeaves.Add(new OutputLeaf(OutputKind.Fresh, fresh, leaf.Dims, leaf.Device, null, first));
            }
            else
            {
                outputLeaves.Add(new OutputLeaf(OutputKind.Fixed, -1, leaf.Dims, leaf.Device, leaf, false)); // captured from outside f
            }
        });

        // A donated input may lend its buffer to an output unless it is returned itself or shares its buffer with another input.
        var lendable = donated.Select((d, i) => d && aliasOf[i] < 0 && !aliasOf.Contains(i) &&
            !outputLeaves.Any(o => o.Kind == OutputKind.Input && o.Index == i)).ToArray();
        var program = KernelProgram.Build(recorder, inputSlots, freshSlots.ToArray(), lendable);
        var entry = new JitEntry(TreeSkeleton.Of(inputs, _ => { }), leaves, aliasOf, donated, program, outputShape, outputLeaves.ToArray(), freshSlots.Count);
        return (entry, outputs);
    }

    /// <summary>The number of kernel calls a replay makes.</summary>
    public int CommandCount => _program.CommandCount;

    /// <summary>True when <paramref name="inputs"/> (leaves <paramref name="leaves"/>) has this entry's signature.</summary>
    public bool Matches(TensorTree inputs, List<Tensor> leaves)
    {
        if (leaves.Count != _inputLeaves.Length || !_inputShape.Matches(inputs))
        {
            return false;
        }

        for (int i = 0; i < leaves.Count; i++)
        {
            var (dims, dtype, device) = _inputLeaves[i];
            var leaf = leaves[i];
            if (leaf.DType != dtype || !ReferenceEquals(leaf.Device, device) || !leaf.Dims.AsSpan().SequenceEqual(dims) ||
                leaf.Storage!.IsDonated != _donated[i])
            {
                return false;
            }

            // Leaves that shared a buffer when traced are one slot of the program.
            if (_aliasOf[i] >= 0 && !ReferenceEquals(leaf.Storage, leaves[_aliasOf[i]].Storage))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Replays the program on <paramref name="leaves"/> and builds the output tree.</summary>
    public TensorTree Run(List<Tensor> leaves)
    {
        var donors = _program.OutputDonors;
        for (int k = 0; k < donors.Length; k++)
        {
            if (donors[k] >= 0)
            {
                _fresh[k] = leaves[donors[k]].Storage!.ShareBuffer(); // the output is written over the donated input
            }
        }

        try
        {
            _program.Replay(leaves, _fresh);
        }
        catch
        {
            Array.Clear(_fresh);
            leaves.Clear();
            throw;
        }
        finally
        {
            // A donor's buffer now holds the output (or, after a failed replay, partial values): the donor fails on use.
            for (int k = 0; k < donors.Length; k++)
            {
                if (donors[k] >= 0)
                {
                    TensorScope.Relinquish(leaves[donors[k]].Storage!, "Jit");
                }
            }
        }

        for (int i = 0; i < _outputLeaves.Length; i++)
        {
            var o = _outputLeaves[i];
            _built[i] = o.Kind switch
            {
                OutputKind.Fresh => Fresh(o),
                OutputKind.Input => leaves[o.Index].Dims.AsSpan().SequenceEqual(o.Dims)
                    ? leaves[o.Index]
                    : new Tensor(leaves[o.Index].Storage!, o.Dims, o.Device), // a view of an input, as the trace returned
                _ => o.Fixed!,
            };
        }

        int next = 0;
        var tree = _outputShape.Build(_built, ref next);
        Array.Clear(_built);
        Array.Clear(_fresh);
        leaves.Clear();
        return tree;
    }

    private Tensor Fresh(OutputLeaf o)
    {
        var storage = _fresh[o.Index];
        if (o.Adopts)
        {
            TensorScope.Adopt(storage);
        }

        return new Tensor(storage, o.Dims, o.Device);
    }

    private enum OutputKind
    {
        /// <summary>Written by the program into a fresh buffer each call.</summary>
        Fresh,

        /// <summary>One of the inputs (or a view of it), returned as it came.</summary>
        Input,

        /// <summary>A tensor captured from outside the function, returned as it is.</summary>
        Fixed,
    }

    private sealed record OutputLeaf(OutputKind Kind, int Index, int[] Dims, Device Device, Tensor? Fixed, bool Adopts);
}

/// <summary>A tree's structure (keys and nesting, no tensors): recognises trees of that structure and builds them.</summary>
internal sealed class TreeSkeleton
{
    private readonly string[]? _keys;
    private readonly TreeSkeleton[]? _children;

    private TreeSkeleton(string[]? keys, TreeSkeleton[]? children)
    {
        _keys = keys;
        _children = children;
    }

    /// <summary>The skeleton of <paramref name="tree"/>, calling <paramref name="onLeaf"/> on its leaves in order.</summary>
    public static TreeSkeleton Of(TensorTree tree, Action<Tensor> onLeaf)
    {
        if (tree.IsLeaf)
        {
            onLeaf(tree.Value);
            return new TreeSkeleton(null, null);
        }

        var keys = new string[tree.ChildCount];
        var children = new TreeSkeleton[tree.ChildCount];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = tree.ChildKey(i);
            children[i] = Of(tree.Child(i), onLeaf);
        }

        return new TreeSkeleton(keys, children);
    }

    /// <summary>True when <paramref name="tree"/> has this structure (the same keys in the same order).</summary>
    public bool Matches(TensorTree tree)
    {
        if (_children is null)
        {
            return tree.IsLeaf;
        }

        if (tree.IsLeaf || tree.ChildCount != _children.Length)
        {
            return false;
        }

        for (int i = 0; i < _children.Length; i++)
        {
            if (!string.Equals(tree.ChildKey(i), _keys![i], StringComparison.Ordinal) || !_children[i].Matches(tree.Child(i)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A tree of this structure over <paramref name="leaves"/>, taken in order from <paramref name="next"/>.</summary>
    public TensorTree Build(Tensor[] leaves, ref int next)
    {
        if (_children is null)
        {
            return TensorTree.Leaf(leaves[next++]);
        }

        var node = TensorTree.Interior(_children.Length);
        for (int i = 0; i < _children.Length; i++)
        {
            node.AddUnchecked(_keys![i], _children[i].Build(leaves, ref next));
        }

        return node;
    }
}
