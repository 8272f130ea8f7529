namespace AutoGrad.Backends.Cpu;

/// <summary>A managed array of <typeparamref name="T"/> on the host, handed back to <see cref="BufferPool{T}"/> on release.</summary>
internal sealed class CpuStorage<T>(DType dtype, T[] data) : TensorStorage(dtype, data.Length)
    where T : unmanaged
{
    private T[]? _data = data;

    public T[] Data => _data ?? throw ReleasedError();

    public override IBackend Backend => CpuBackend.Instance;

    public override bool IsReleased => _data is null;

    public override TensorStorage ShareBuffer() => new CpuStorage<T>(DType, Data);

    public override void Relinquish() => Volatile.Write(ref _data, null);

    public override void Release()
    {
        var data = Interlocked.Exchange(ref _data, null);
        if (data is not null)
        {
            BufferPool<T>.Return(data);
        }
    }
}
