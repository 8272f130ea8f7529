using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// Device buffers handed back by released tensors (<see cref="TensorScope"/>), kept by element type and size class for
/// the next tensor that fits. A size class is the length rounded up to 64 elements, or above 64 to a quarter step of its
/// power of two (65 → 80, 1000 → 1024, 1100 → 1280): at most 25 % of a buffer unused, and a training loop's shapes hit
/// the same classes every step. The pool holds at most a quarter of the device's memory; a failed allocation empties
/// it and tries once more.
/// </summary>
internal sealed class GpuMemoryPool(Accelerator accelerator)
{
    private readonly Dictionary<(Type Type, long Length), Stack<MemoryBuffer>> _free = [];
    private readonly long _capacityBytes = Math.Min(accelerator.MemorySize / 4, 8L << 30);
    private long _heldBytes;

    /// <summary>Bytes held for reuse.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>Buffers handed out from the pool instead of allocated (for tests and diagnostics).</summary>
    public long Reuses { get; private set; }

    /// <summary>Buffers allocated from the device.</summary>
    public long Allocations { get; private set; }

    /// <summary>The size class of a buffer for <paramref name="length"/> elements.</summary>
    public static long SizeClass(long length)
    {
        if (length <= 64)
        {
            return 64;
        }

        int k = 63 - (int)long.LeadingZeroCount(length - 1); // 2^k < length ≤ 2^(k+1)
        long step = 1L << (k - 2);
        return (length + step - 1) / step * step;
    }

    /// <summary>A buffer of at least <paramref name="length"/> elements (its size class); contents unspecified.</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Rent<T>(int length)
        where T : unmanaged
    {
        long size = SizeClass(length);
        lock (_free)
        {
            if (_free.TryGetValue((typeof(T), size), out var stack) && stack.Count > 0)
            {
                var buffer = (MemoryBuffer1D<T, Stride1D.Dense>)stack.Pop();
                _heldBytes -= buffer.LengthInBytes;
                Reuses++;
                return buffer;
            }

            Allocations++;
        }

        try
        {
            return accelerator.Allocate1D<T>(size);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            Trim();
            return accelerator.Allocate1D<T>(size);
        }
    }

    /// <summary>Takes back a buffer nobody refers to any more; disposed when the pool is full.</summary>
    public void Return<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        lock (_free)
        {
            if (_heldBytes + buffer.LengthInBytes <= _capacityBytes)
            {
                if (!_free.TryGetValue((typeof(T), buffer.Length), out var stack))
                {
                    _free[(typeof(T), buffer.Length)] = stack = new Stack<MemoryBuffer>();
                }

                stack.Push(buffer);
                _heldBytes += buffer.LengthInBytes;
                return;
            }
        }

        buffer.Dispose();
    }

    /// <summary>Frees every buffer the pool holds.</summary>
    public void Trim()
    {
        lock (_free)
        {
            foreach (var stack in _free.Values)
            {
                while (stack.Count > 0)
                {
                    stack.Pop().Dispose();
                }
            }

            _heldBytes = 0;
        }
    }
}
