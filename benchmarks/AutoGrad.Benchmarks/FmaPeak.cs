using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace AutoGrad.Benchmarks;

/// <summary>
/// The machine's measured float32 FMA peak, the ceiling against which benchmarks/compare/run.sh reports GEMM rates:
/// a loop of independent fused multiply-adds on registers (no memory traffic), 512-bit where the CPU has AVX-512 and
/// 256-bit with FMA3, on one thread and on one thread per core at once. The best of several short runs, as JSON in GFLOP/s.
/// </summary>
public static class FmaPeak
{
    private const int Iterations = 20_000_000;

    /// <summary>Measures and prints <c>{"width": …, "one_core": …, "all_cores": …, "threads": …}</c> for each width the CPU runs.</summary>
    public static void Run()
    {
        var results = new List<object>();
        if (Fma.IsSupported)
        {
            results.Add(Measure(256, Fma256));
        }

        if (Avx512F.IsSupported)
        {
            results.Add(Measure(512, Fma512));
        }

        Console.WriteLine(JsonSerializer.Serialize(new { processors = Environment.ProcessorCount, results }));
    }

    private static object Measure(int width, Func<int, float> kernel)
    {
        // 12 independent chains of FMAs per iteration: enough to cover two pipes × four cycles of latency.
        double flopsPerCall = 2.0 * 12 * (width / 32) * (double)Iterations;
        kernel(Iterations / 100); // JIT and clocks up
        double one = 0, all = 0;
        int threads = Environment.ProcessorCount;
        for (int round = 0; round < 5; round++)
        {
            var clock = Stopwatch.StartNew();
            kernel(Iterations);
            one = Math.Max(one, flopsPerCall / clock.Elapsed.TotalSeconds / 1e9);

            clock.Restart();
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => kernel(Iterations))).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
            all = Math.Max(all, threads * flopsPerCall / clock.Elapsed.TotalSeconds / 1e9);
        }

        return new { width, one_core = Math.Round(one, 1), all_cores = Math.Round(all, 1), threads };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma256(int iterations)
    {
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
            a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c);
            a3 = Fma.MultiplyAdd(a3, m, c); a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c); a8 = Fma.MultiplyAdd(a8, m, c);
            a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
            a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c); a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c); a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c); a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c); a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
