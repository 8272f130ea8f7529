namespace AutoGrad.Backends.Recording;

/// <summary>
/// A backend in front of the real one while a function is traced for <c>Transforms.Jit</c>: every kernel call is
/// passed through (so the trace computes real values) and recorded as a <see cref="KernelCommand"/> over buffer
/// numbers ("slots") instead of buffers, so that <see cref="KernelProgram"/> can replay the same calls later over
/// other inputs and its own intermediate buffers, with no tensors, tape or dispatch in between.
/// </summary>
/// <remarks>
/// Recording is per thread: <see cref="Device"/> routes a thread's kernel calls here while a recording is active on
/// it. A host read (<c>Item</c>, <c>ToArray</c>) of a value that depends on the inputs cannot be replayed (the host
/// code that used it is not re-run), so it fails with a <see cref="JitTraceException"/>.
/// </remarks>
internal sealed class KernelRecorder : IBackend
{
    [ThreadStatic]
    private static KernelRecorder? _active;

    private readonly Dictionary<TensorStorage, int> _slotOf = new(ReferenceEqualityComparer.Instance);
    private IBackend? _inner;

    private KernelRecorder()
    {
    }

    /// <summary>Storages with this serial or above were created during the recording.</summary>
    public long FirstSerial { get; } = TensorStorage.NextSerial;

    /// <summary>The recorded calls, in order.</summary>
    public List<KernelCommand> Commands { get; } = [];

    /// <summary>What is known of each slot, by number.</summary>
    public List<SlotInfo> Slots { get; } = [];

    /// <summary>The backend the calls go to; null until the first call.</summary>
    public IBackend? Inner => _inner;

    /// <summary>True while a recording is active on this thread.</summary>
    public static bool IsRecording => _active is not null;

    /// <summary>The backend kernel calls on this thread go to: the recorder while one is active, else <paramref name="backend"/>.</summary>
    public static IBackend Route(IBackend backend) => _active is { } recorder ? recorder.Use(backend) : backend;

    /// <summary>Starts recording this thread's kernel calls; dispose the result to stop.</summary>
    public static KernelRecorder Begin()
    {
        if (_active is not null)
        {
            throw new InvalidOperationException("Jit: a recording is already active on this thread.");
        }

        return _active = new KernelRecorder();
    }

    /// <summary>Stops recording on this thread.</summary>
    public void End()
    {
        if (ReferenceEquals(_active, this))
        {
            _active = null;
        }
    }

    /// <summary>Throws when a host-side random draw would be frozen into a recording.</summary>
    public static void ThrowIfRecording(string op, CallSite site)
    {
        if (_active is not null)
        {
            throw new JitTraceException(
                $"Jit: {op} at {site.Resolve()} draws random numbers on the host while a function is traced; the draw would be " +
                "frozen into the compiled function and every call would see the same numbers. Draw them outside and pass them in as an input.");
        }
    }

    /// <summary>The slot of <paramref name="storage"/>, numbering it (as a buffer from outside the recording) on first sight.</summary>
    public int SlotOf(TensorStorage storage)
    {
        if (!_slotOf.TryGetValue(storage, out int slot))
        {
            slot = Slots.Count;
            Slots.Add(new SlotInfo(storage, allocated: false));
            _slotOf.Add(storage, slot);
        }

        return slot;
    }

    /// <summary>The slot of <paramref name="storage"/> if the recording has seen it.</summary>
    public bool TryGetSlot(TensorStorage storage, out int slot) => _slotOf.TryGetValue(storage, out slot);

    /// <summary>Marks <paramref name="storage"/> as an input of the traced function: a host read of it fails.</summary>
    public int Input(TensorStorage storage)
    {
        int slot = SlotOf(storage);
        Slots[slot].IsInput = true;
        return slot;
    }

    private IBackend Use(IBackend backend)
    {
        if (ReferenceEquals(backend, this))
        {
            return this;
        }

        _inner ??= backend;
        if (!ReferenceEquals(_inner, backend))
        {
            throw new JitTraceException("Jit: a traced function used tensors on two devices; a compiled function runs on one device.");
        }

        return this;
    }

    private IBackend Backend => _inner ?? throw new InvalidOperationException("Jit: no backend selected.");

    private int Allocated(TensorStorage storage)
    {
        int slot = Slots.Count;
        Slots.Add(new SlotInfo(storage, allocated: true));
        _slotOf[storage] = slot;
        return slot;
    }

    private void Record(string kernel, int[] reads, int[] writes, Action<IBackend, TensorStorage[]> run, bool hostValue = false, bool elementwise = false, object? call = null) =>
        Record(new KernelCommand(kernel, reads, writes, run, elementwise ? reads : [], call), hostValue);

    private void Record(KernelCommand command, bool hostValue = false)
    {
        int index = Commands.Count;
        foreach (int r in command.Reads)
        {
            Slots[r].Touch(index, write: false);
        }

        foreach (int w in command.Writes)
        {
            Slots[w].Touch(index, write: true);
            Slots[w].KernelWritten |= !hostValue;
        }

        Commands.Add(command);
    }

    private void CheckHostRead(TensorStorage storage, string what)
    {
        if (_slotOf.TryGetValue(storage, out int slot) && (Slots[slot].IsInput || Slots[slot].KernelWritten))
        {
            throw new JitTraceException(
                $"Jit: {what} at {CallSite.Unknown.Resolve()} read a {storage.DType.Name()} value of {storage.Length} elements that depends on the " +
                "compiled function's inputs while the function was traced. A compiled function replays its kernels without re-running host code, " +
                "so it cannot branch or compute on tensor values read back to the host (Item, ToArray). Keep the computation in tensor ops, " +
                "or read the value outside the compiled function.");
        }
    }

    public TensorStorage Allocate(DType dtype, int length, bool clear = true)
    {
        var storage = Backend.Allocate(dtype, length, clear);
        int slot = Allocated(storage);
        if (clear)
        {
            // The replayed buffer holds the previous call's values: zero it at the same point of the sequence.
            Record("Fill", [], [slot], (b, s) => b.Fill(s[slot], 0), hostValue: true);
        }

        return storage;
    }

    public TensorStorage FromArray(Array data)
    {
        var storage = Backend.FromArray(data);
        int slot = Allocated(storage);
        var snapshot = (Array)data.Clone();
        Record("FromArray", [], [slot], (b, s) => Load(b, snapshot, s[slot]), hostValue: true);
        return storage;
    }

    public void CopyFromHost<T>(ReadOnlySpan<T> src, TensorStorage dst)
        where T : unmanaged
    {
        Backend.CopyFromHost(src, dst);
        int slot = SlotOf(dst);
        var snapshot = src.ToArray();
        Record("CopyFromHost", [], [slot], (b, s) => b.CopyFromHost<T>(snapshot, s[slot]), hostValue: true);
    }

    private static void Load(IBackend backend, Array snapshot, TensorStorage dst)
    {
        switch (snapshot)
        {
            case float[] f: backend.CopyFromHost<float>(f, dst); break;
            case double[] d: backend.CopyFromHost<double>(d, dst); break;
            case int[] i: backend.CopyFromHost<int>(i, dst); break;
            default: throw new ArgumentException($"Jit: cannot replay host data of type {snapshot.GetType().Name}.");
        }
    }

    public Array ToArray(TensorStorage storage)
    {
        CheckHostRead(storage, "reading a tensor's elements (ToArray)");
        return Backend.ToArray(storage);
    }

    public double GetElement(TensorStorage storage, int index)
    {
        CheckHostRead(storage, "reading a tensor's value (Item)");
        return Backend.GetElement(storage, index);
    }

    public void Fill(TensorStorage dst, double value)
    {
        Backend.Fill(dst, value);
        int slot = SlotOf(dst);
        Record("Fill", [], [slot], (b, s) => b.Fill(s[slot], value), hostValue: true);
    }

    public void Cast(TensorStorage src, TensorStorage dst)
    {
        Backend.Cast(src, dst);
        int x = SlotOf(src), y = SlotOf(dst);
        Record("Cast", [x], [y], (b, s) => b.Cast(s[x], s[y]));
    }

    public void StridedCopy(TensorStorage src, int srcOffset, int[] srcStrides, TensorStorage dst, int dstOffset, int[] dstStrides, int[] shape)
    {
        Backend.StridedCopy(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape);
        int x = SlotOf(src), y = SlotOf(dst);
        var (ss, ds, sh) = ((int[])srcStrides.Clone(), (int[])dstStrides.Clone(), (int[])shape.Clone());

        // A copy into part of its destination (concatenation, padding) reads what the other parts hold.
        Record("StridedCopy", [x], [y], (b, s) => b.StridedCopy(s[x], srcOffset, ss, s[y], dstOffset, ds, sh));
    }

    public void Unary(UnaryKernel kernel, double p0, double p1, TensorStorage x, TensorStorage y)
    {
        Backend.Unary(kernel, p0, p1, x, y);
        int i = SlotOf(x), o = SlotOf(y);
        Record($"Unary {kernel}", [i], [o], (b, s) => b.Unary(kernel, p0, p1, s[i], s[o]), elementwise: true);
    }

    public void Binary(BinaryKernel kernel, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape)
    {
        Backend.Binary(kernel, a, aStrides, b, bStrides, y, shape);
        int ia = SlotOf(a), ib = SlotOf(b), o = SlotOf(y);
        var (sa, sb, sh) = ((int[])aStrides.Clone(), (int[])bStrides.Clone(), (int[])shape.Clone());
        Record($"Binary {kernel}", [ia, ib], [o], (be, s) => be.Binary(kernel, s[ia], sa, s[ib], sb, s[o], sh));
    }

    public void BinaryFlat(BinaryKernel kernel, TensorStorage a, bool aScalar, TensorStorage b, bool bScalar, TensorStorage y)
    {
        Backend.BinaryFlat(kernel, a, aScalar, b, bScalar, y);
        int ia = SlotOf(a), ib = SlotOf(b), o = SlotOf(y);
        Record($"Binary {kernel}", [ia, ib], [o], (be, s) => be.BinaryFlat(kernel, s[ia], aScalar, s[ib], bScalar, s[o]), elementwise: true);
    }

    public void Where(TensorStorage cond, int[] condStrides, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape)
    {
        Backend.Where(cond, condStrides, a, aStrides, b, bStrides, y, shape);
        int ic = SlotOf(cond), ia = SlotOf(a), ib = SlotOf(b), o = SlotOf(y);
        var (sc, sa, sb, sh) = ((int[])condStrides.Clone(), (int[])aStrides.Clone(), (int[])bStrides.Clone(), (int[])shape.Clone());
        Record("Where", [ic, ia, ib], [o], (be, s) => be.Where(s[ic], sc, s[ia], sa, s[ib], sb, s[o], sh));
    }

    public void Reduce(ReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y)
    {
        Backend.Reduce(kernel, x, outer, n, inner, y);
        int i = SlotOf(x), o = SlotOf(y);
        Record($"Reduce {kernel}", [i], [o], (b, s) => b.Reduce(kernel, s[i], outer, n, inner, s[o]));
    }

    public void ArgReduce(ArgReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y)
    {
        Backend.ArgReduce(kernel, x, outer, n, inner, y);
        int i = SlotOf(x), o = SlotOf(y);
        Record($"ArgReduce {kernel}", [i], [o], (b, s) => b.ArgReduce(kernel, s[i], outer, n, inner, s[o]));
    }

    public void Axpby(double alpha, TensorStorage x, double beta, TensorStorage y, bool squareY, TensorStorage output)
    {
        Backend.Axpby(alpha, x, beta, y, squareY, output);
        int ix = SlotOf(x), iy = SlotOf(y), o = SlotOf(output);
        Record("Axpby", [ix, iy], [o], (b, s) => b.Axpby(alpha, s[ix], beta, s[iy], squareY, s[o]), elementwise: true, call: new AxpbyCall(alpha, beta, squareY));
    }

    public void AdaptiveStep(TensorStorage x, TensorStorage alpha, TensorStorage y, TensorStorage z, TensorStorage gamma, double eps, TensorStorage output)
    {
        Backend.AdaptiveStep(x, alpha, y, z, gamma, eps, output);
        int ix = SlotOf(x), ia = SlotOf(alpha), iy = SlotOf(y), iz = SlotOf(z), ig = SlotOf(gamma), o = SlotOf(output);

        // The output may overwrite x, y or z element by element, never the scalars.
        Record(new KernelCommand("AdaptiveStep", [ix, ia, iy, iz, ig], [o], (b, s) => b.AdaptiveStep(s[ix], s[ia], s[iy], s[iz], s[ig], eps, s[o]), [ix, iy, iz]));
    }

    public void ActivationGrad(ActivationGradKind kind, TensorStorage s, TensorStorage g, TensorStorage output)
    {
        Backend.ActivationGrad(kind, s, g, output);
        int i = SlotOf(s), ig = SlotOf(g), o = SlotOf(output);
        Record($"ActivationGrad {kind}", [i, ig], [o], (b, st) => b.ActivationGrad(kind, st[i], st[ig], st[o]), elementwise: true, call: new ActivationGradCall(kind));
    }

    public void MatMul(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, TensorStorage c)
    {
        Backend.MatMul(batch, m, n, k, a, transposeA, b, transposeB, c);
        int ia = SlotOf(a), ib = SlotOf(b), o = SlotOf(c);
        Record("MatMul", [ia, ib], [o], (be, s) => be.MatMul(batch, m, n, k, s[ia], transposeA, s[ib], transposeB, s[o]), call: new MatMulCall(batch, m, n, k, transposeA, transposeB));
    }

    public void MatMulAxpby(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, double alpha, TensorStorage y, double beta, bool productFirst, TensorStorage output)
    {
        Backend.MatMulAxpby(batch, m, n, k, a, transposeA, b, transposeB, alpha, y, beta, productFirst, output);
        Record(KernelFusion.MatMulAxpby(SlotOf(a), SlotOf(b), SlotOf(y), SlotOf(output), new MatMulCall(batch, m, n, k, transposeA, transposeB), alpha, beta, productFirst));
    }

    public void MatMulActivationGrad(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, ActivationGradKind kind, TensorStorage s, TensorStorage output)
    {
        Backend.MatMulActivationGrad(batch, m, n, k, a, transposeA, b, transposeB, kind, s, output);
        Record(KernelFusion.MatMulActivationGrad(SlotOf(a), SlotOf(b), SlotOf(s), SlotOf(output), new MatMulCall(batch, m, n, k, transposeA, transposeB), kind));
    }

    public bool FusesMatMulEpilogue(DType dtype, int batch, int m, int n, int k, bool transposeA) => Backend.FusesMatMulEpilogue(dtype, batch, m, n, k, transposeA);

    public void MatMulAddRow(int m, int n, int k, TensorStorage a, TensorStorage b, TensorStorage bias, TensorStorage c)
    {
        Backend.MatMulAddRow(m, n, k, a, b, bias, c);
        int ia = SlotOf(a), ib = SlotOf(b), ibias = SlotOf(bias), o = SlotOf(c);
        Record("MatMulAdd", [ia, ib, ibias], [o], (be, s) => be.MatMulAddRow(m, n, k, s[ia], s[ib], s[ibias], s[o]));
    }

    public void Gather(TensorStorage x, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        Backend.Gather(x, indices, outer, n, m, inner, y);
        int ix = SlotOf(x), ii = SlotOf(indices), o = SlotOf(y);
        Record("Gather", [ix, ii], [o], (b, s) => b.Gather(s[ix], s[ii], outer, n, m, inner, s[o]));
    }

    public void ScatterAdd(TensorStorage g, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        Backend.ScatterAdd(g, indices, outer, n, m, inner, y);
        int ig = SlotOf(g), ii = SlotOf(indices), o = SlotOf(y);

        // Accumulates into its pre-zeroed output: the output is read as well as written.
        Record("ScatterAdd", [ig, ii, o], [o], (b, s) => b.ScatterAdd(s[ig], s[ii], outer, n, m, inner, s[o]));
    }

    public void OneHot(TensorStorage labels, int classes, TensorStorage y)
    {
        Backend.OneHot(labels, classes, y);
        int il = SlotOf(labels), o = SlotOf(y);
        Record("OneHot", [il, o], [o], (b, s) => b.OneHot(s[il], classes, s[o]));
    }

    public void SoftmaxCrossEntropy(TensorStorage logits, TensorStorage labels, int rows, int classes, TensorStorage y)
    {
        Backend.SoftmaxCrossEntropy(logits, labels, rows, classes, y);
        int iz = SlotOf(logits), il = SlotOf(labels), o = SlotOf(y);
        Record("SoftmaxCrossEntropy", [iz, il], [o], (b, s) => b.SoftmaxCrossEntropy(s[iz], s[il], rows, classes, s[o]));
    }

    public void SoftmaxCrossEntropyGrad(TensorStorage logits, TensorStorage labels, TensorStorage c, int rows, int classes, TensorStorage y)
    {
        Backend.SoftmaxCrossEntropyGrad(logits, labels, c, rows, classes, y);
        int iz = SlotOf(logits), il = SlotOf(labels), ic = SlotOf(c), o = SlotOf(y);
        Record("SoftmaxCrossEntropyGrad", [iz, il, ic], [o], (b, s) => b.SoftmaxCrossEntropyGrad(s[iz], s[il], s[ic], rows, classes, s[o]));
    }
}
