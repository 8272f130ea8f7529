using AutoGrad.Backends;
using AutoGrad.Backends.Recording;

namespace AutoGrad.Autodiff;

/// <summary>
/// The machinery of <see cref="Transforms.Jit"/>: the first call with a given input signature (tree structure, shapes,
/// dtypes) runs the function eagerly while <see cref="KernelRecorder"/> records its kernel calls; later calls with that
/// signature replay the <see cref="KernelProgram"/>, with no tensors, tape, dispatch or validation in between.
/// </summary>
internal sealed class JitFunction(Func<TensorTree, TensorTree> f, CallSite site, int stateLeaves = -1)
{
    private readonly object _gate = new();
    private readonly List<JitEntry> _entries = [];
    private readonly List<Tensor> _leaves = [];

    /// <summary>True once a replay that updates an owned state in place has failed part-way.</summary>
    public bool Faulted { get; private set; }

    /// <summary>The programs traced so far, one per signature (for tests and diagnostics).</summary>
    public IReadOnlyList<KernelProgram> Programs
    {
        get
        {
            lock (_gate)
            {
                return _entries.Select(e => e.Program).ToArray();
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

        if (Anomaly.IsOn)
        {
            // A replay runs kernels only, with no op to check or name: anomaly mode runs f itself, op by op.
            return Checked(f(inputs));
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
                    try
                    {
                        return entry.Run(_leaves);
                    }
                    finally
                    {
                        _leaves.Clear(); // hold no caller tensors between calls
                    }
                }
            }

            try
            {
                var (traced, outputs) = JitEntry.Trace(f, inputs, _leaves, site);
                _entries.Add(traced);
                return outputs;
            }
            finally
            {
                _leaves.Clear(); // hold no caller tensors between calls
            }
        }
    }

    /// <summary>
    /// For <see cref="CompiledStep"/>: <paramref name="call"/> is <c>{ state, inputs }</c> whose first
    /// <c>stateLeaves</c> leaves are the step's own state tensors; the function returns <c>{ state, outputs }</c>. The new
    /// state is written into the state's buffers (in place where the program allows, else copied), and only the outputs
    /// subtree is returned.
    /// </summary>
    public TensorTree InvokeOwned(TensorTree call)
    {
        if (KernelRecorder.IsRecording)
        {
            throw new InvalidOperationException($"CompiledStep at {site}: Run was called while another function is traced; a step that updates its own state cannot be part of a compiled function.");
        }

        lock (_gate)
        {
            _leaves.Clear();
            if (!CollectConcrete(call, _leaves))
            {
                _leaves.Clear();
                throw new InvalidOperationException($"CompiledStep at {site}: Run was given tensors traced by a transform; a step that updates its own state cannot be differentiated. Differentiate inside the step.");
            }

            if (Anomaly.IsOn)
            {
                return RunOwnedEagerly(call);
            }

            foreach (var entry in _entries)
            {
                if (entry.Matches(call, _leaves))
                {
                    try
                    {
                        return entry.RunOwned(_leaves);
                    }
                    catch
                    {
                        // The replay may have written part of the new state in place: it is no longer one step's state.
                        Faulted = true;
                        throw;
                    }
                }
            }

            try
            {
                var (traced, outputs) = JitEntry.Trace(f, call, _leaves, site, stateLeaves);
                _entries.Add(traced);
                return JitEntry.StoreState(outputs, _leaves, stateLeaves);
            }
            finally
            {
                _leaves.Clear();
            }
        }
    }

    /// <summary>
    /// <see cref="InvokeOwned"/> in anomaly mode: runs the step op by op, as tracing would but recording nothing, then stores
    /// the new state. The state is written only after the whole step succeeded, so an anomaly leaves it as it was.
    /// </summary>
    private TensorTree RunOwnedEagerly(TensorTree call)
    {
        // As while tracing, no op may take a donated buffer (the state's own, which an optimizer donates to its update);
        // the donation marks the step sets are taken back, so the state's signature stays what the traces expect.
        var donated = new bool[_leaves.Count];
        for (int i = 0; i < donated.Length; i++)
        {
            donated[i] = _leaves[i].Storage!.IsDonated;
        }

        try
        {
            TensorTree outputs;
            DonationGate.Close();
            try
            {
                outputs = Checked(f(call));
            }
            finally
            {
                DonationGate.Reopen();
                for (int i = 0; i < donated.Length; i++)
                {
                    _leaves[i].Storage!.IsDonated = donated[i];
                }
            }

            return JitEntry.StoreState(outputs, _leaves, stateLeaves);
        }
        finally
        {
            _leaves.Clear(); // hold no caller tensors between calls
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
    private readonly int _stateLeaves;
    private readonly CallSite _site;
    private readonly int[] _copyStrides = [1];
    private readonly int[][] _stateLengths;
    private readonly bool[] _releaseAfterCopy;
    private readonly bool[] _adoptsInOwned;

    private JitEntry(TreeSkeleton inputShape, List<Tensor> leaves, int[] aliasOf, bool[] donated, KernelProgram program, TreeSkeleton outputShape, OutputLeaf[] outputLeaves, int freshCount, int stateLeaves, CallSite site)
    {
        _site = site;
        _stateLeaves = stateLeaves;
        _stateLengths = leaves.Take(Math.Max(0, stateLeaves)).Select(l => new[] { l.Size }).ToArray();

        // A new state leaf the program could not write in place comes in a fresh buffer; once copied into the state, the
        // buffer goes back to the pool unless an output or a later state leaf still needs it.
        // In owned-state mode only the outputs subtree is handed out: its first use of a fresh buffer joins the scope.
        _adoptsInOwned = outputLeaves.Select((o, i) => stateLeaves >= 0 && i >= stateLeaves && o.Kind == OutputKind.Fresh &&
            !outputLeaves.Where((other, j) => j >= stateLeaves && j < i && other.Kind == OutputKind.Fresh && other.Index == o.Index).Any()).ToArray();
        _releaseAfterCopy = new bool[Math.Max(0, stateLeaves)];
        for (int k = 0; k < _releaseAfterCopy.Length; k++)
        {
            var o = outputLeaves[k];
            _releaseAfterCopy[k] = o.Kind == OutputKind.Fresh && program.OutputDonors[o.Index] < 0 &&
                !outputLeaves.Where((other, i) => i > k && other.Kind == OutputKind.Fresh && other.Index == o.Index).Any();
        }
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
    /// <remarks>With <paramref name="stateLeaves"/> ≥ 0 the first leaves of inputs and outputs are a state that the caller owns
    /// and that each replay updates in place (see <see cref="JitFunction.InvokeOwned"/>).</remarks>
    public static (JitEntry Entry, TensorTree Outputs) Trace(Func<TensorTree, TensorTree> f, TensorTree inputs, List<Tensor> leaves, CallSite site, int stateLeaves = -1)
    {
        // Donation is part of the signature: it decides which outputs the program writes over their inputs.
        var donated = leaves.Select(l => l.Storage!.IsDonated).ToArray();
        var aliasOf = AliasPattern(leaves);

        // f sees each input through a proxy: a new storage object over the caller's buffer (one per shared buffer). A
        // tensor f captures and also receives as an input is then two slots, a captured read and an input read.
        var proxies = new TensorStorage[leaves.Count];
        var proxyLeaves = new Tensor[leaves.Count];
        for (int i = 0; i < leaves.Count; i++)
        {
            proxies[i] = aliasOf[i] >= 0 ? proxies[aliasOf[i]] : leaves[i].Storage!.ShareBuffer();
            proxyLeaves[i] = new Tensor(proxies[i], leaves[i].Dims, leaves[i].Device);
        }

        int next = 0;
        var proxyInputs = TreeSkeleton.Of(inputs, _ => { }).Build(proxyLeaves, ref next);
        var recorder = KernelRecorder.Begin();
        var inputSlots = new int[leaves.Count];
        TensorTree? outputs;
        DonationGate.Close(); // no op may write over a buffer the replay will not own
        try
        {
            for (int i = 0; i < leaves.Count; i++)
            {
                inputSlots[i] = recorder.Input(proxies[i]);
            }

            outputs = f(proxyInputs);
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
            int input = Array.FindIndex(proxies, p => ReferenceEquals(p, storage));
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
                if (storage.Serial >= recorder.FirstSerial)
                {
                    throw KernelProgram.OtherThread(new SlotInfo(storage, allocated: false), "result");
                }

                outputLeaves.Add(new OutputLeaf(OutputKind.Fixed, -1, leaf.Dims, leaf.Device, leaf, false)); // captured from outside f
            }
        });

        // The caller gets its own tensors back where f returned an input (or a view of one), never a proxy.
        outputs = outputs.Map(t => Array.IndexOf(proxies, t.Storage) is int i and >= 0
            ? (t.Dims.AsSpan().SequenceEqual(leaves[i].Dims) ? leaves[i] : new Tensor(leaves[i].Storage!, t.Dims, t.Device))
            : t);

        int[]? pinned = null;
        bool[] lendable;
        if (stateLeaves >= 0)
        {
            for (int k = 0; k < stateLeaves; k++)
            {
                if (outputLeaves[k].Kind == OutputKind.Input && outputLeaves[k].Index != k)
                {
                    throw new ArgumentException(
                        $"CompiledStep at {site}: new state leaf {k} is the old state's leaf {outputLeaves[k].Index} as it was; a step may keep a " +
                        "state leaf unchanged, but not move one leaf's old value into another (compute it, e.g. with * 1).");
                }
            }

            // Each new state leaf may only be written over its own old value; nothing else lends or borrows.
            // A state leaf also returned as an output keeps its old value until the output has been copied.
            lendable = leaves.Select((_, i) => i < stateLeaves &&
                !outputLeaves.Skip(stateLeaves).Any(o => o.Kind == OutputKind.Input && o.Index == i)).ToArray();
            pinned = new int[freshSlots.Count];
            Array.Fill(pinned, -1);
            for (int k = 0; k < stateLeaves; k++)
            {
                if (outputLeaves[k].Kind == OutputKind.Fresh && pinned[outputLeaves[k].Index] < 0)
                {
                    pinned[outputLeaves[k].Index] = k;
                }
            }
        }
        else
        {
            // A donated input may lend its buffer to an output unless it is returned itself or shares its buffer with another input.
            lendable = donated.Select((d, i) => d && aliasOf[i] < 0 && !aliasOf.Contains(i) &&
                !outputLeaves.Any(o => o.Kind == OutputKind.Input && o.Index == i)).ToArray();
        }

        var program = KernelProgram.Build(recorder, inputSlots, freshSlots.ToArray(), lendable, pinned);
        var entry = new JitEntry(TreeSkeleton.Of(inputs, _ => { }), leaves, aliasOf, donated, program, outputShape, outputLeaves.ToArray(), freshSlots.Count, stateLeaves, site);
        return (entry, outputs);
    }

    /// <summary>The recorded program.</summary>
    public KernelProgram Program => _program;

    /// <summary>For each leaf, the first earlier leaf over the same storage, or −1.</summary>
    private static int[] AliasPattern(List<Tensor> leaves)
    {
        var pattern = new int[leaves.Count];
        for (int i = 0; i < leaves.Count; i++)
        {
            pattern[i] = FirstAlias(leaves, i);
        }

        return pattern;
    }

    private static int FirstAlias(List<Tensor> leaves, int i)
    {
        for (int j = 0; j < i; j++)
        {
            if (ReferenceEquals(leaves[j].Storage, leaves[i].Storage))
            {
                return j;
            }
        }

        return -1;
    }

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

            // Leaves share buffers exactly as when traced: a shared buffer is one slot of the program, and a donated
            // buffer read through a second leaf would be read after the program wrote over it.
            if (FirstAlias(leaves, i) != _aliasOf[i])
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
            if (donors[k] >= 0 && _program.Captures(leaves[donors[k]].Storage!))
            {
                var d = leaves[donors[k]];
                throw new InvalidOperationException(
                    $"Jit at {_site}: input {d.DType.Name()}{d.Shape} was donated, but the function also reads that tensor as one it captured; " +
                    "its buffer would be written over while still read. Do not donate it.");
            }
        }

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

    /// <summary>
    /// Replays with the first <c>_stateLeaves</c> input leaves as an owned state: new values are written over them (in
    /// place where the program allowed it, else copied in), and only the outputs subtree is built.
    /// </summary>
    public TensorTree RunOwned(List<Tensor> leaves)
    {
        var donors = _program.OutputDonors;
        for (int k = 0; k < donors.Length; k++)
        {
            if (donors[k] >= 0)
            {
                _fresh[k] = leaves[donors[k]].Storage!; // the owned state's own buffer: written in place, nobody else holds it
            }
        }

        try
        {
            _program.Replay(leaves, _fresh);
            for (int i = _stateLeaves; i < _outputLeaves.Length; i++)
            {
                // An output that is (or was written into) the state is handed out as a copy: the state changes on every call.
                var o = _outputLeaves[i];
                _built[i] = o.Kind switch
                {
                    OutputKind.Fresh when donors[o.Index] >= 0 => CopyOf(_fresh[o.Index], o),
                    OutputKind.Fresh => Fresh(o, _adoptsInOwned[i]),
                    OutputKind.Input when o.Index < _stateLeaves => CopyOf(leaves[o.Index].Storage!, o),
                    OutputKind.Input => leaves[o.Index].Dims.AsSpan().SequenceEqual(o.Dims) ? leaves[o.Index] : new Tensor(leaves[o.Index].Storage!, o.Dims, o.Device),
                    _ => o.Fixed!,
                };
            }

            // Then the new state, where the program did not write it in place.
            for (int k = 0; k < _stateLeaves; k++)
            {
                var o = _outputLeaves[k];
                var source = o.Kind switch
                {
                    OutputKind.Fresh => _fresh[o.Index],
                    OutputKind.Input => leaves[o.Index].Storage!,
                    _ => o.Fixed!.Storage!,
                };
                var target = leaves[k].Storage!;
                if (!ReferenceEquals(source, target))
                {
                    leaves[k].Backend.StridedCopy(source, 0, _copyStrides, target, 0, _copyStrides, _stateLengths[k]);
                }

                if (_releaseAfterCopy[k])
                {
                    source.Release();
                }
            }

            int next = _stateLeaves;
            return _outputShape.Child(1).Build(_built, ref next);
        }
        finally
        {
            Array.Clear(_built);
            Array.Clear(_fresh);
            leaves.Clear();
        }
    }

    /// <summary>After tracing in owned-state mode: copies the traced new state into the state's buffers and returns the outputs subtree.</summary>
    public static TensorTree StoreState(TensorTree traced, List<Tensor> leaves, int stateLeaves)
    {
        // Outputs that are the old state are copied before the new state is written over it.
        var owned = leaves.Take(stateLeaves).Select(l => l.Storage).ToHashSet(ReferenceEqualityComparer.Instance);
        var outputs = traced.Child(1).Map(t => owned.Contains(t.Storage) ? CopyOf(t.Storage!, t.Dims, t.Device) : t);
        int k = 0;
        StoreLeaves(traced.Child(0), leaves, ref k);
        return outputs;
    }

    private static Tensor CopyOf(TensorStorage source, OutputLeaf o) => CopyOf(source, o.Dims, o.Device);

    private static Tensor CopyOf(TensorStorage source, int[] dims, Device device)
    {
        var copy = Tensor.Uninitialized(source.DType, dims, device);
        device.Backend.StridedCopy(source, 0, [1], copy.Storage!, 0, [1], [source.Length]);
        return copy;
    }

    private static void StoreLeaves(TensorTree node, List<Tensor> leaves, ref int k)
    {
        if (node.IsLeaf)
        {
            var target = leaves[k++];
            var value = node.Value;
            if (!ReferenceEquals(value.Storage, target.Storage))
            {
                target.Backend.StridedCopy(value.Storage!, 0, [1], target.Storage!, 0, [1], [target.Size]);
            }

            return;
        }

        for (int i = 0; i < node.ChildCount; i++)
        {
            StoreLeaves(node.Child(i), leaves, ref k);
        }
    }

    private Tensor Fresh(OutputLeaf o) => Fresh(o, o.Adopts);

    private Tensor Fresh(OutputLeaf o, bool adopts)
    {
        var storage = _fresh[o.Index];
        if (adopts)
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

    /// <summary>The skeleton of child <paramref name="index"/>.</summary>
    public TreeSkeleton Child(int index) => _children![index];

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
