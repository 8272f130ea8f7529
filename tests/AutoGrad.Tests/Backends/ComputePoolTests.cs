using AutoGrad.Backends.Cpu;
using Xunit;

namespace AutoGrad.Tests.Backends;

/// <summary>
/// The engine's worker pool: every part of a region runs exactly once, errors come back to the caller, nested and
/// concurrent regions still run every part, and a region with a static body and a value state allocates nothing.
/// </summary>
public class ComputePoolTests
{
    [Fact]
    public void EveryPartRunsExactlyOnce()
    {
        for (int parts = 0; parts <= 2 * ComputePool.Threads + 1; parts++)
        {
            for (int rep = 0; rep < 200; rep++)
            {
                var runs = new int[parts];
                ComputePool.For(parts, runs, static (r, part) => Interlocked.Increment(ref r[part]));
                Assert.All(runs, n => Assert.Equal(1, n));
            }
        }
    }

    [Fact]
    public void AnErrorInAPartReachesTheCallerAfterTheOtherPartsRan()
    {
        int parts = Math.Max(2, ComputePool.Threads);
        var runs = new int[parts];
        var e = Assert.Throws<InvalidOperationException>(() => ComputePool.For(parts, runs, static (r, part) =>
        {
            Interlocked.Increment(ref r[part]);
            if (part == 1)
            {
                throw new InvalidOperationException("part 1 failed");
            }
        }));
        Assert.Equal("part 1 failed", e.Message);
        Assert.All(runs, n => Assert.Equal(1, n));

        // The pool is usable again, with no error left over from the failed region.
        var again = new int[parts];
        ComputePool.For(parts, again, static (r, part) => Interlocked.Increment(ref r[part]));
        Assert.All(again, n => Assert.Equal(1, n));
    }

    [Fact]
    public void RegionsInsideAPartAndFromSeveralThreadsRunAllTheirParts()
    {
        int parts = Math.Max(2, ComputePool.Threads);
        var sums = new long[8];
        Parallel.For(0, sums.Length, t =>
        {
            for (int rep = 0; rep < 100; rep++)
            {
                var inner = new int[parts * parts];
                ComputePool.For(parts, (inner, parts), static (s, outer) =>
                    ComputePool.For(s.parts, (s.inner, s.parts, outer), static (q, part) => Interlocked.Increment(ref q.inner[q.outer * q.parts + part])));
                Assert.All(inner, n => Assert.Equal(1, n));
                sums[t] += inner.Sum();
            }
        });
        Assert.All(sums, s => Assert.Equal(100L * parts * parts, s));
    }

    [Fact]
    public void ARegionWithAStaticBodyAllocatesNothingOnceWarm()
    {
        int parts = Math.Max(2, ComputePool.Threads);
        var data = new double[parts];
        for (int i = 0; i < 100; i++)
        {
            ComputePool.For(parts, (data, 1.0), static (s, part) => s.data[part] += s.Item2);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ComputePool.For(parts, (data, 1.0), static (s, part) => s.data[part] += s.Item2);
        }

        // Less than a byte per region: nothing per region (a closure and a delegate alone are 88 bytes). A one-off
        // allocation by the runtime (a lock's first contention, a method's tier-up) may still land in the window.
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"1000 parallel regions allocated {allocated} bytes on the calling thread");
        Assert.All(data, v => Assert.Equal(1100.0, v));
    }
}
