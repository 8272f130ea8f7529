namespace AutoGrad.Backends;

/// <summary>
/// A flat, contiguous buffer of elements owned by one backend. Tensors never index storage directly:
/// they hand it to their backend's kernels.
/// </summary>
internal abstract class TensorStorage
{
    protected TensorStorage(DType dtype, int length)
    {
        DType = dtype;
        Length = length;
    }

    public DType DType { get; }

    public int Length { get; }

    public abstract IBackend Backend { get; }

    /// <summary>The scope that releases this buffer when it ends, if any.</summary>
    internal TensorScope? Owner { get; set; }

    /// <summary>True once the buffer went back to its backend's pool; every later read or write fails.</summary>
    public abstract bool IsReleased { get; }

    /// <summary>Hands the buffer back to the backend for reuse. Idempotent.</summary>
    public abstract void Release();

    /// <summary>The error for a use after <see cref="Release"/>, naming what was released and by whom.</summary>
    protected ObjectDisposedException ReleasedError() => new(
        "tensor storage",
        $"a {DType.Name()} tensor of {Length} elements was used after its buffer was released ({ReleasedBy ?? "by TensorScope.Release"}). " +
        "Keep tensors that must outlive a scope with scope.Keep(...).");

    /// <summary>Says which scope released the buffer, for <see cref="ReleasedError"/>.</summary>
    internal string? ReleasedBy { get; set; }
}
