namespace AutoGrad.Backends.Cpu;

/// <summary>A managed array of <typeparamref name="T"/> on the host.</summary>
internal sealed class CpuStorage<T>(DType dtype, T[] data) : TensorStorage(dtype, data.Length)
    where T : unmanaged
{
    public T[] Data { get; } = data;

    public override IBackend Backend => CpuBackend.Instance;
}
