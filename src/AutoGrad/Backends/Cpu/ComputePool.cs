using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// The engine's one set of worker threads: one per core beside the caller's, which spin briefly after each
/// parallel region (so the next kernel of a training step starts in under a microsecond) and then sleep.
/// The thread pool's Parallel.For costs microseconds to dispatch and, with its workers asleep, often ran
/// both halves of a product on the calling thread.
/// </summary>
/// <remarks>
/// Each thread first claims its own part (the caller part 0, worker i part i + 1), so that a kernel's halves
/// land on the same cores from one op to the next and the data each core wrote stays in its own L2; parts
/// left unclaimed (a worker still waking up) are taken by whoever is free. Each part is a fixed piece of
/// work with a fixed result, so who runs it never changes an output. A region opened inside another (or while
/// one is running on another thread) runs its parts on the calling thread: the cores are already busy, and
/// oversubscribing them only adds switches.
/// </remarks>
internal static class ComputePool
{
    /// <summary>How long an idle worker keeps spinning for the next region before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private static readonly int WorkerCount = Math.Max(0, Environment.ProcessorCount - 1);
    private static readonly object Gate = new();
    private static readonly object Sleep = new();
    private static Region? _region;
    private static long _generation;
    private static int _sleepers;
    private static bool _started;

    [ThreadStatic]
    private static bool _inside;

    /// <summary>The number of threads a region can use: the caller and the workers.</summary>
    public static int Threads => WorkerCount + 1;

    /// <summary>Runs <paramref name="body"/>(0 … parts − 1), in parallel where cores are free; returns when all are done.</summary>
    public static void For(int parts, Action<int> body)
    {
        if (parts <= 1 || WorkerCount == 0 || _inside || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < parts; i++)
            {
                body(i);
            }

            return;
        }

        try
        {
            EnsureStarted();
            var region = new Region(body, parts);
            Volatile.Write(ref _region, region);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (Sleep)
                {
                    Monitor.PulseAll(Sleep);
                }
            }

            _inside = true;
            try
            {
                region.Run(0);
            }
            finally
            {
                _inside = false;
            }

            var spin = default(SpinWait);
            while (Volatile.Read(ref region.Pending) > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            Volatile.Write(ref _region, null);
            region.Error?.Throw();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void EnsureStarted()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        for (int i = 0; i < WorkerCount; i++)
        {
            int own = i + 1;
            new Thread(() => WorkerLoop(own)) { IsBackground = true, Name = $"AutoGrad compute {own}" }.Start();
        }
    }

    private static void WorkerLoop(int own)
    {
        _inside = true;
        long seen = Volatile.Read(ref _generation);
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                Thread.SpinWait(20);
            }

            if (Volatile.Read(ref _generation) == seen)
            {
                lock (Sleep)
                {
                    _sleepers++;
                    while (Volatile.Read(ref _generation) == seen)
                    {
                        Monitor.Wait(Sleep);
                    }

                    _sleepers--;
                }
            }

            seen = Volatile.Read(ref _generation);
            Volatile.Read(ref _region)?.Run(own);
        }
    }

    private sealed class Region(Action<int> body, int parts)
    {
        private readonly int _parts = parts;
        private readonly int[] _claimed = new int[parts];

        public int Pending = parts;

        public ExceptionDispatchInfo? Error { get; private set; }

        /// <summary>Runs part <paramref name="own"/> if nobody has yet, then any part still unclaimed.</summary>
        public void Run(int own)
        {
            if (own < _parts)
            {
                TryRun(own);
            }

            for (int i = 0; i < _parts; i++)
            {
                TryRun(i);
            }
        }

        private void TryRun(int i)
        {
            if (Volatile.Read(ref _claimed[i]) != 0 || Interlocked.Exchange(ref _claimed[i], 1) != 0)
            {
                return;
            }

            try
            {
                body(i);
            }
            catch (Exception e)
            {
                Error ??= ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Interlocked.Decrement(ref Pending);
            }
        }
    }
}
