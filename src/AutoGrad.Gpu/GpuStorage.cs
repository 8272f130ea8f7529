using AutoGrad.Backends;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// A tensor's elements in one device buffer of its size class (<see cref="GpuMemoryPool"/>); the first
/// <see cref="TensorStorage.Length"/> elements are the tensor's. Release hands the buffer back to the pool.
/// </summary>
internal sealed class GpuStorage<T>(GpuBackend backend, DType dtype, int length, MemoryBuffer1D<T, Stride1D.Dense> buffer)
    : TensorStorage(dtype, length)
    where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer = buffer;

    /// <summary>The device buffer, whole (its size class); throws after release.</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Buffer => _buffer ?? throw ReleasedError();

    /// <summary>The tensor's elements: the buffer's first <see cref="TensorStorage.Length"/>.</summary>
    public ArrayView<T> View => ((ArrayView<T>)Buffer.View).SubView(0, Length);

    public override IBackend Backend => backend;

    public override bool IsReleased => _buffer is null;

    public override TensorStorage ShareBuffer() => new GpuStorage<T>(backend, DType, Length, Buffer);

    public override void Relinquish() => Volatile.Write(ref _buffer, null);

    public override void Release()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b is not null)
        {
            backend.Pool.Return(b);
        }
    }
}
