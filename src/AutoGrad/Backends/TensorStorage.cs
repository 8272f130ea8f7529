namespace AutoGrad.Backends;

/// <summary>
/// A flat, contiguous buffer of elements owned by one backend. Tensors never index storage directly:
/// they hand it to their backend's kernels.
/// </summary>
internal abstract class TensorStorage
{
    private static long _created;

    protected TensorStorage(DType dtype, int length)
    {
        DType = dtype;
        Length = length;
        Serial = Interlocked.Increment(ref _created);
    }

    /// <summary>The number of storages created before this one, process-wide: tells a recording which buffers are newer than it.</summary>
    public long Serial { get; }

    /// <summary>The serial the next storage will get at least.</summary>
    public static long NextSerial => Interlocked.Read(ref _created) + 1;

    public DType DType { get; }

    public int Length { get; }

    public abstract IBackend Backend { get; }

    /// <summary>The scope that releases this buffer when it ends, if any.</summary>
    internal TensorScope? Owner { get; set; }

    /// <summary>True once the buffer went back to its backend's pool; every later read or write fails.</summary>
    public abstract bool IsReleased { get; }

    /// <summary>Hands the buffer back to the backend for reuse. Idempotent.</summary>
    public abstract void Release();

    /// <summary>
    /// Set by <see cref="Tensor.Donate"/>: the owner gave the buffer up, so the next elementwise op (outside every
    /// transform) whose result has this buffer's shape and dtype may write its result here.
    /// </summary>
    public bool IsDonated { get; set; }

    /// <summary>A new storage over this one's buffer: the result of the op that takes a donated buffer.</summary>
    public abstract TensorStorage ShareBuffer();

    /// <summary>Drops the buffer without handing it back to the pool (a storage from <see cref="ShareBuffer"/> now owns it); every later use fails.</summary>
    public abstract void Relinquish();

    /// <summary>The error for a use after <see cref="Release"/>, naming what was released and by whom.</summary>
    protected ObjectDisposedException ReleasedError() => new(
        "tensor storage",
        $"a {DType.Name()} tensor of {Length} elements was used after its buffer was released ({ReleasedBy ?? "by TensorScope.Release"}). {ReleaseHint}");

    /// <summary>What to do about a use after release: keep the tensor, or stop using a donated one.</summary>
    internal string ReleaseHint => ReleasedBy is { } by && by.StartsWith(DonatedPrefix, StringComparison.Ordinal)
        ? "A donated tensor (Tensor.Donate) cannot be used after the op that took its buffer."
        : "Keep tensors that must outlive a scope with scope.Keep(...).";

    /// <summary>How <see cref="ReleasedBy"/> begins for a buffer taken over by an op after <see cref="Tensor.Donate"/>.</summary>
    internal const string DonatedPrefix = "donated to ";

    /// <summary>Says which scope released the buffer, for <see cref="ReleasedError"/>.</summary>
    internal string? ReleasedBy { get; set; }
}
