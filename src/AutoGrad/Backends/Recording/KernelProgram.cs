namespace AutoGrad.Backends.Recording;

/// <summary>
/// A recorded sequence of kernel calls, ready to replay: inputs are bound to the caller's buffers, each output gets
/// a fresh buffer from the backend's pool, and intermediates live in buffers the program owns, planned so that
/// values whose lifetimes do not overlap share one (as XLA's buffer assignment does). A replay allocates nothing
/// but the output buffers' storage objects.
/// </summary>
/// <remarks>One replay at a time: calls from several threads take turns.</remarks>
internal sealed class KernelProgram
{
    private readonly IBackend _backend;
    private readonly KernelCommand[] _commands;
    private readonly TensorStorage?[] _slots;
    private readonly int[] _inputSlots;
    private readonly int[] _outputSlots;
    private readonly (DType DType, int Length)[] _outputTypes;
    private readonly object _gate = new();
    private readonly int[] _captured;

    private KernelProgram(IBackend backend, KernelCommand[] commands, TensorStorage?[] slots, int[] inputSlots, int[] outputSlots, List<SlotInfo> slotInfo)
    {
        _backend = backend;
        _commands = commands;
        _slots = slots;
        _inputSlots = inputSlots;
        _outputSlots = outputSlots;
        _outputTypes = Array.ConvertAll(outputSlots, o => (slotInfo[o].DType, slotInfo[o].Length));
        _captured = Enumerable.Range(0, slotInfo.Count).Where(i => !slotInfo[i].Allocated && !slotInfo[i].IsInput).ToArray();
    }

    /// <summary>The number of kernel calls a replay makes.</summary>
    public int CommandCount => _commands.Length;

    /// <summary>The number of intermediate values (slots given a buffer of the program's own).</summary>
    public int IntermediateCount { get; private init; }

    /// <summary>The number of buffers the program owns for them, values whose lifetimes do not overlap sharing one.</summary>
    public int OwnedBufferCount { get; private init; }

    /// <summary>The pairs of recorded calls merged into one (<see cref="KernelFusion"/>).</summary>
    public int FusedCount { get; private init; }

    /// <summary>The bytes of those buffers.</summary>
    public long OwnedBytes { get; private init; }

    /// <summary>
    /// For each output, the input leaf whose donated buffer it is written into, or −1 for a fresh buffer.
    /// </summary>
    public int[] OutputDonors { get; private init; } = [];

    /// <summary>
    /// Plans a program from a finished recording. <paramref name="inputSlots"/> gives each input leaf's slot (−1 when no
    /// kernel used it); <paramref name="outputSlots"/> the allocated slots whose buffers are returned, each replay
    /// writing them into fresh buffers, or into the buffer of an input leaf flagged in <paramref name="donated"/> where
    /// that is safe (see <see cref="OutputDonors"/>).
    /// </summary>
    /// <param name="recording">The finished recording.</param>
    /// <param name="inputSlots">Each input leaf's slot.</param>
    /// <param name="outputSlots">The slots returned, in order.</param>
    /// <param name="donated">The input leaves that may lend their buffers.</param>
    /// <param name="pinned">If given, the only donor each output may take (−1: none), for a state updated in place.</param>
    public static KernelProgram Build(KernelRecorder recording, int[] inputSlots, int[] outputSlots, bool[] donated, int[]? pinned = null)
    {
        var slots = recording.Slots;
        var commands = recording.Commands.ToArray();
        var isOutput = new bool[slots.Count];
        foreach (int o in outputSlots)
        {
            isOutput[o] = true;
        }

        var bound = new TensorStorage?[slots.Count];
        for (int i = 0; i < slots.Count; i++)
        {
            var slot = slots[i];
            if (!slot.Allocated)
            {
                if (!slot.IsInput)
                {
                    if (slot.Traced.Serial >= recording.FirstSerial)
                    {
                        throw OtherThread(slot, slot.First >= 0 ? commands[slot.First].Kernel : "the function");
                    }

                    bound[i] = slot.Traced; // a tensor captured from outside: read where it is
                }

                continue;
            }

            if (slot.First >= 0 && slot.ReadBeforeWritten)
            {
                throw OtherThread(slot, commands[slot.First].Kernel);
            }
        }

        foreach (var command in commands)
        {
            foreach (int w in command.Writes)
            {
                if (!slots[w].Allocated)
                {
                    throw new JitTraceException(
                        $"Jit: the traced function's {command.Kernel} wrote into a buffer it did not allocate (an input or a captured tensor); " +
                        "a compiled function cannot modify its inputs.");
                }
            }
        }

        var backend = recording.Inner ?? Device.Cpu.Backend;
        commands = KernelFusion.Fuse(backend, commands, slots, isOutput, out int fused);
        var uses = Uses(commands, slots.Count);
        var startsAt = new List<int>[commands.Length];
        var endsAt = new List<int>[commands.Length];
        for (int i = 0; i < slots.Count; i++)
        {
            if (!slots[i].Allocated || uses[i].First < 0 || isOutput[i])
            {
                continue; // from outside, never used by a kernel, or given a fresh buffer per call
            }

            (startsAt[uses[i].First] ??= []).Add(i);
            (endsAt[uses[i].Last] ??= []).Add(i);
        }

        // Buffer assignment: walk the calls in order, give each intermediate a buffer at its first use and take
        // it back after its last, for the next value of the same dtype and length.
        var free = new Dictionary<(DType, int), Stack<TensorStorage>>();
        int owned = 0;
        long bytes = 0;
        for (int c = 0; c < commands.Length; c++)
        {
            foreach (int s in startsAt[c] ?? [])
            {
                var key = (slots[s].DType, slots[s].Length);
                if (free.TryGetValue(key, out var stack) && stack.Count > 0)
                {
                    bound[s] = stack.Pop();
                }
                else
                {
                    bound[s] = backend.Allocate(key.DType, key.Length, clear: false);
                    owned++;
                    bytes += (long)key.Length * (key.DType == DType.Float64 ? 8 : 4);
                }
            }

            foreach (int s in endsAt[c] ?? [])
            {
                var key = (slots[s].DType, slots[s].Length);
                if (!free.TryGetValue(key, out var stack))
                {
                    free[key] = stack = new Stack<TensorStorage>();
                }

                stack.Push(bound[s]!);
            }
        }

        return new KernelProgram(backend, commands, bound, (int[])inputSlots.Clone(), (int[])outputSlots.Clone(), slots)
        {
            IntermediateCount = startsAt.Sum(list => list?.Count ?? 0),
            OwnedBufferCount = owned,
            OwnedBytes = bytes,
            FusedCount = fused,
            OutputDonors = Donors(commands, slots, uses, inputSlots, outputSlots, donated, pinned),
        };
    }

    /// <summary>Where a slot is used in a (possibly fused) command list: its first and last call, and whether the first reads it.</summary>
    private readonly record struct SlotUse(int First, int Last, bool ReadBeforeWritten);

    private static SlotUse[] Uses(KernelCommand[] commands, int slotCount)
    {
        var uses = new SlotUse[slotCount];
        Array.Fill(uses, new SlotUse(-1, -1, false));
        for (int c = 0; c < commands.Length; c++)
        {
            foreach (int r in commands[c].Reads)
            {
                uses[r] = uses[r].First < 0 ? new SlotUse(c, c, ReadBeforeWritten: true) : uses[r] with { Last = c };
            }

            foreach (int w in commands[c].Writes)
            {
                uses[w] = uses[w].First < 0 ? new SlotUse(c, c, ReadBeforeWritten: false) : uses[w] with { Last = c };
            }
        }

        return uses;
    }

    /// <summary>The error for a buffer the recording did not see written: tensor ops ran on another thread while tracing.</summary>
    public static JitTraceException OtherThread(SlotInfo slot, string kernel) => new(
        $"Jit: the traced function's {kernel} used a {slot.DType.Name()} buffer of {slot.Length} elements that was computed while tracing but " +
        "not on the tracing thread (Parallel.For, a task). Only the calling thread's kernels are recorded: run a compiled function's tensor ops " +
        "on the calling thread, or compute that part outside it.");

    /// <summary>True when the program reads <paramref name="storage"/> as a tensor captured from outside.</summary>
    public bool Captures(TensorStorage storage)
    {
        foreach (int s in _captured)
        {
            if (ReferenceEquals(_slots[s], storage))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Which donated input each output may be written into (as <c>jax.jit</c>'s donate_argnums): one of its dtype and
    /// length that no call reads after the output's first write, where that first write is an elementwise kernel (it
    /// reads element i before writing element i) or comes after the input's last read. A parameter update
    /// p − lr·g is the usual case: the backward pass reads p before the update writes over it.
    /// </summary>
    private static int[] Donors(KernelCommand[] commands, List<SlotInfo> slots, SlotUse[] uses, int[] inputSlots, int[] outputSlots, bool[] donated, int[]? pinned)
    {
        var donors = new int[outputSlots.Length];
        Array.Fill(donors, -1);
        var lastRead = new int[slots.Count];
        Array.Fill(lastRead, -1);
        for (int c = 0; c < commands.Length; c++)
        {
            foreach (int r in commands[c].Reads)
            {
                lastRead[r] = c;
            }
        }

        var taken = new bool[slots.Count];
        for (int o = 0; o < outputSlots.Length; o++)
        {
            var output = slots[outputSlots[o]];
            int first = uses[outputSlots[o]].First;
            if (first < 0 || uses[outputSlots[o]].ReadBeforeWritten)
            {
                continue;
            }

            for (int leaf = 0; leaf < inputSlots.Length; leaf++)
            {
                int input = inputSlots[leaf];
                if (!donated[leaf] || (pinned is not null && pinned[o] != leaf) || input < 0 || taken[input] ||
                    slots[input].DType != output.DType || slots[input].Length != output.Length)
                {
                    continue;
                }

                int last = lastRead[input];
                if (last < first || (last == first && commands[first].ElementwiseReads.Contains(input)))
                {
                    donors[o] = leaf;
                    taken[input] = true;
                    break;
                }
            }
        }

        return donors;
    }

    /// <summary>
    /// Runs the recorded calls over <paramref name="inputs"/> (concrete tensors in the recording's leaf order). Outputs are
    /// in the order given to <see cref="Build"/>: an output with a donor must already hold a storage over the donor's
    /// buffer; the others get fresh buffers, written into <paramref name="outputs"/>.
    /// </summary>
    public void Replay(IReadOnlyList<Tensor> inputs, TensorStorage[] outputs)
    {
        lock (_gate)
        {
            int filled = 0;
            try
            {
                for (int i = 0; i < _inputSlots.Length; i++)
                {
                    if (_inputSlots[i] >= 0)
                    {
                        _slots[_inputSlots[i]] = inputs[i].Storage;
                    }
                }

                for (; filled < _outputSlots.Length; filled++)
                {
                    var (dtype, length) = _outputTypes[filled];
                    _slots[_outputSlots[filled]] = OutputDonors[filled] >= 0
                        ? outputs[filled] // the caller's storage over the donated input's buffer
                        : outputs[filled] = _backend.Allocate(dtype, length, clear: false);
                }

                foreach (var command in _commands)
                {
                    try
                    {
                        command.Run(_backend, _slots!);
                    }
                    catch (KernelDataException e)
                    {
                        throw new TensorOpException(command.Kernel, CallSite.Unknown.Resolve(), $"in a compiled (Jit) function: {e.Message}");
                    }
                }
            }
            catch
            {
                for (int i = 0; i < filled; i++)
                {
                    if (OutputDonors[i] < 0)
                    {
                        outputs[i].Release();
                    }
                }

                throw;
            }
            finally
            {
                // The program keeps no reference to the caller's buffers or to the outputs it handed out.
                foreach (int s in _inputSlots)
                {
                    if (s >= 0)
                    {
                        _slots[s] = null;
                    }
                }

                foreach (int s in _outputSlots)
                {
                    _slots[s] = null;
                }
            }
        }
    }
}
