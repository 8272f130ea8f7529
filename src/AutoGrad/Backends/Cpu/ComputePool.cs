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
    private static RegionBase? _region;

    /// <summary>Workers inside a region's <see cref="RegionBase.Run"/>: counted before they read <see cref="_region"/>.</summary>
    private static int _visitors;
    private static long _generation;
    private static int _sleepers;
    private static bool _started;

    [ThreadStatic]
    private static bool _inside;

    /// <summary>The number of threads a region can use: the caller and the workers.</summary>
    public static int Threads => WorkerCount + 1;

    /// <summary>
    /// Runs <paramref name="body"/>(<paramref name="state"/>, 0 … parts − 1), in parallel where cores are free; returns when
    /// all are done. With a static lambda (its delegate is cached) and the captured values in a value-tuple state, a
    /// region allocates nothing: its bookkeeping is one object per state type, reused (regions never overlap: they run
    /// under the gate).
    /// </summary>
    public static void For<TState>(int parts, TState state, Action<TState, int> body)
    {
        if (parts <= 1 || WorkerCount == 0 || _inside || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < parts; i++)
            {
                body(state, i);
            }

            return;
        }

        try
        {
            EnsureStarted();
            var region = Region<TState>.Shared;
            region.Start(parts, state, body);
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

            // Before the region object is reused, every worker must have left it: one still scanning its parts
            // would otherwise see the next region's parts half set up.
            Volatile.Write(ref _region, null);
            while (Volatile.Read(ref _visitors) > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            var error = region.Finish();
            error?.Throw();
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
            Interlocked.Increment(ref _visitors);
            Volatile.Read(ref _region)?.Run(own);
            Interlocked.Decrement(ref _visitors);
        }
    }

    /// <summary>One parallel region's parts: who has claimed which, how many are left, the first error.</summary>
    private abstract class RegionBase
    {
        private int _parts;
        private int[] _claimed = [];

        public int Pending;

        private ExceptionDispatchInfo? _error;

        protected void Reset(int parts)
        {
            if (_claimed.Length < parts)
            {
                _claimed = new int[parts];
            }

            Array.Clear(_claimed, 0, parts);
            _parts = parts;
            _error = null;
            Volatile.Write(ref Pending, parts);
        }

        /// <summary>Drops the region's references (so that it keeps no buffers alive) and returns its first error.</summary>
        public ExceptionDispatchInfo? Finish()
        {
            Clear();
            var error = _error;
            _error = null;
            return error;
        }

        protected abstract void Invoke(int part);

        protected abstract void Clear();

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
                Invoke(i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                Interlocked.Decrement(ref Pending);
            }
        }
    }

    /// <summary>The region for one state type, reused from one parallel call to the next.</summary>
    private sealed class Region<TState> : RegionBase
    {
        public static readonly Region<TState> Shared = new();

        private TState _state = default!;
        private Action<TState, int>? _body;

        public void Start(int parts, TState state, Action<TState, int> body)
        {
            _state = state;
            _body = body;
            Reset(parts);
        }

        protected override void Invoke(int part) => _body!(_state, part);

        protected override void Clear()
        {
            _state = default!;
            _body = null;
        }
    }
}
