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
}
