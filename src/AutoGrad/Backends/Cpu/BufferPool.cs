namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Host arrays handed back by released tensors (<see cref="TensorScope"/>), kept by exact length for the next
/// tensor of that size. Training loops allocate the same shapes every step, so exact lengths match; fresh
/// large arrays are what this avoids: each one costs page faults and zeroing of memory the GC has just
/// returned to the OS, five to ten times the arithmetic of an elementwise op on it.
/// </summary>
internal static class BufferPool
{
    /// <summary>Arrays under this size are left to the GC's nursery, which allocates them faster than a pool lookup.</summary>
    public const int MinPooledBytes = 1024;

    /// <summary>The most the pool may hold: an eighth of the memory the GC may use, at most 2 GiB.</summary>
    public static readonly long CapacityBytes = Math.Min(2L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8);

    private static long _heldBytes;

    /// <summary>Bytes currently held for reuse.</summary>
    public static long HeldBytes => Interlocked.Read(ref _heldBytes);

    public static bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _heldBytes, bytes) <= CapacityBytes)
        {
            return true;
        }

        Interlocked.Add(ref _heldBytes, -bytes);
        return false;
    }

    public static void Unreserve(long bytes) => Interlocked.Add(ref _heldBytes, -bytes);
}

/// <summary>The pool's arrays of one element type.</summary>
internal static class BufferPool<T>
    where T : unmanaged
{
    private static readonly int ElementBytes = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
    private static readonly Dictionary<int, Stack<T[]>> Free = [];

    /// <summary>An array of exactly <paramref name="length"/> elements, zero-filled when <paramref name="clear"/> is set.</summary>
    public static T[] Rent(int length, bool clear)
    {
        if ((long)length * ElementBytes >= BufferPool.MinPooledBytes)
        {
            T[]? reused = null;
            lock (Free)
            {
                if (Free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    reused = stack.Pop();
                }
            }

            if (reused is not null)
            {
                BufferPool.Unreserve((long)length * ElementBytes);
                if (clear)
                {
                    Array.Clear(reused);
                }

                return reused;
            }
        }

        return clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
    }

    /// <summary>Takes back an array nobody refers to any more; dropped (left to the GC) when the pool is full.</summary>
    public static void Return(T[] array)
    {
        long bytes = (long)array.Length * ElementBytes;
        if (bytes < BufferPool.MinPooledBytes || !BufferPool.TryReserve(bytes))
        {
            return;
        }

        lock (Free)
        {
            if (!Free.TryGetValue(array.Length, out var stack))
            {
                Free[array.Length] = stack = new Stack<T[]>();
            }

            stack.Push(array);
        }
    }
}
