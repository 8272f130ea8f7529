using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

namespace AutoGrad.Benchmarks;

/// <summary>
/// The MLP training step of two builds of the library, A and B, in one process (benchmarks/compare/ab.sh): each build's
/// benchmark assembly, with its own AutoGrad, is loaded into an <see cref="AssemblyLoadContext"/> of its own (each build
/// twice), and the two are timed in short rounds, so that a neighbour's load and the clock's drift fall on both. Prints
/// each step's median time per build and the median and range of the rounds' B/A ratios, then, when B has anomaly mode,
/// what it costs switched on.
/// </summary>
public static class AbCompare
{
    /// <summary>
    /// Times <see cref="MlpStepBenchmarks"/>' uncompiled and compiled steps, and <see cref="TapeBenchmarks"/>' chain of scalar
    /// ops (the per-op cost of dispatch and tape alone), of the builds in <paramref name="dirA"/> and <paramref name="dirB"/>.
    /// </summary>
    public static void Run(string dirA, string dirB, int rounds, double secondsPerRound)
    {
        // Each build is loaded twice, in the order A B B A: where a context sits in the process (first loaded, second, …)
        // moves its times by a few per cent (an A/A run showed it), and this order gives both builds the same positions.
        var a = new Build(dirA);
        var b = new Build(dirB);
        var b2 = new Build(dirB);
        var a2 = new Build(dirA);
        Console.WriteLine($"A: {dirA}\nB: {dirB}\n{rounds} rounds, each build twice per round (loaded A B B A) for " +
            $"{secondsPerRound.ToString(CultureInfo.InvariantCulture)} s, in an order reversed every round; {Environment.ProcessorCount} cores\n");
        Console.WriteLine("| step | batch | A (µs) | B (µs) | B/A median | B/A range |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var workloads = new List<(string Label, int Batch, Func<Build, Action> Step)>();
        foreach (var (label, method) in new[] { ("MLP step, uncompiled", "TrainStep"), ("MLP step, compiled", "CompiledTrainStep") })
        {
            foreach (int batch in new[] { 1, 32, 128 })
            {
                workloads.Add((label, batch, build => build.MlpStep(method, batch)));
            }
        }

        workloads.Add(("tape: 1000 scalar ops, forward and backward", 1, build => build.ScalarChain()));
        foreach (var (label, batch, make) in workloads)
        {
            var steps = new[] { make(a), make(b), make(b2), make(a2) };
            for (int w = 0; w < 2 * steps.Length; w++)
            {
                TimePerStep(steps[w % steps.Length], 0.25); // tiered compilation (on a background thread) settles, pools fill
            }

            var timeA = new double[rounds];
            var timeB = new double[rounds];
            var ratios = new double[rounds];
            var t = new double[steps.Length];
            for (int r = 0; r < rounds; r++)
            {
                // Every round starts each build from the same freshly set-up state: a slower build would otherwise have
                // trained less by the next round, and time a different state.
                for (int k = 0; k < steps.Length; k++)
                {
                    steps[k] = Ready(make(k switch { 0 => a, 1 => b, 2 => b2, _ => a2 }));
                }

                for (int k = 0; k < steps.Length; k++)
                {
                    int i = r % 2 == 0 ? k : steps.Length - 1 - k;
                    t[i] = TimePerStep(steps[i], secondsPerRound);
                }

                timeA[r] = (t[0] + t[3]) / 2;
                timeB[r] = (t[1] + t[2]) / 2;
                ratios[r] = timeB[r] / timeA[r];
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {batch} | {Median(timeA):F1} | {Median(timeB):F1} | {Median(ratios):F3} | {ratios.Min():F3}–{ratios.Max():F3} |"));
        }

        if (b.HasAnomalyMode)
        {
            // What anomaly mode costs when it is on: B's steps with it on against B's with it off (compiled steps run eagerly).
            Console.WriteLine("\n| B, anomaly mode on vs off | batch | off (µs) | on (µs) | on/off median |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            foreach (var (label, batch, make) in workloads.Where(w => w.Batch != 128))
            {
                var on = new double[Math.Max(3, rounds / 4)];
                var off = new double[on.Length];
                b.WithAnomalyMode(() => TimePerStep(Ready(make(b)), 0.5));
                for (int r = 0; r < on.Length; r++)
                {
                    off[r] = TimePerStep(Ready(make(b)), secondsPerRound);
                    on[r] = b.WithAnomalyMode(() => TimePerStep(Ready(make(b)), secondsPerRound));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {label} | {batch} | {Median(off):F1} | {Median(on):F1} | {Median(on.Zip(off, (x, y) => x / y).ToArray()):F2} |"));
            }
        }
    }

    /// <summary><paramref name="step"/> after one untimed call (a compiled step traces on its first).</summary>
    private static Action Ready(Action step)
    {
        step();
        return step;
    }

    /// <summary>Mean µs per call over as many calls as fit in <paramref name="seconds"/>.</summary>
    private static double TimePerStep(Action step, double seconds)
    {
        long budget = (long)(seconds * Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        long now;
        int calls = 0;
        do
        {
            step();
            calls++;
            now = Stopwatch.GetTimestamp();
        }
        while (now - start < budget);
        return (now - start) * 1e6 / Stopwatch.Frequency / calls;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>One build: its benchmark assembly and everything it references from its folder, framework aside.</summary>
    private sealed class Build(string dir)
    {
        private readonly Assembly _benchmarks = new Context(Path.GetFullPath(dir)).LoadFromAssemblyPath(Path.Combine(Path.GetFullPath(dir), "AutoGrad.Benchmarks.dll"));

        /// <summary>A set-up <c>MlpStepBenchmarks</c> of this build at <paramref name="batch"/>, as a delegate to <paramref name="method"/>.</summary>
        public Action MlpStep(string method, int batch)
        {
            var type = _benchmarks.GetType("AutoGrad.Benchmarks.MlpStepBenchmarks", throwOnError: true)!;
            var instance = Activator.CreateInstance(type)!;
            type.GetProperty("Batch")!.SetValue(instance, batch);
            type.GetMethod("Setup")!.Invoke(instance, null);
            return type.GetMethod(method)!.CreateDelegate<Action>(instance);
        }

        /// <summary>True when this build has anomaly mode (<c>AutoGrad.Anomaly</c>).</summary>
        public bool HasAnomalyMode => AnomalyDetect is not null;

        private MethodInfo? AnomalyDetect => _benchmarks.GetReferencedAssemblies().Select(n => n.Name == "AutoGrad"
            ? AssemblyLoadContext.GetLoadContext(_benchmarks)!.LoadFromAssemblyName(n) : null).FirstOrDefault(x => x is not null)
            ?.GetType("AutoGrad.Anomaly")?.GetMethod("Detect", [typeof(bool), typeof(string), typeof(int)]);

        /// <summary>Runs <paramref name="body"/> with this build's anomaly mode on, on this thread.</summary>
        public T WithAnomalyMode<T>(Func<T> body)
        {
            using var scope = (IDisposable)AnomalyDetect!.Invoke(null, [true, "", 0])!;
            return body();
        }

        /// <summary>This build's <c>TapeBenchmarks.ScalarChain1000</c>, its result dropped.</summary>
        public Action ScalarChain()
        {
            var type = _benchmarks.GetType("AutoGrad.Benchmarks.TapeBenchmarks", throwOnError: true)!;
            var chain = type.GetMethod("ScalarChain1000")!.CreateDelegate<Func<object>>(Activator.CreateInstance(type));
            return () => chain();
        }
    }

    private sealed class Context : AssemblyLoadContext
    {
        private readonly string _dir;

        public Context(string dir)
            : base(dir) => _dir = dir;

        protected override Assembly? Load(AssemblyName name)
        {
            string path = Path.Combine(_dir, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null; // null: the framework's, shared
        }
    }
}
