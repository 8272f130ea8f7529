using System.Diagnostics;
using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;

namespace AutoGrad.Distributed.Tests;

/// <summary>
/// The measurement behind docs/performance.md's data-parallel table (not a test): <c>mpiexec -n R dotnet
/// AutoGrad.Distributed.Tests.dll bench --batch B [--epochs 2] [--data DIR]</c> trains README's 784-512-10 sigmoid network on
/// MNIST (float32, SGD 0.1, compiled) data-parallel and prints, per rank, the last epoch's seconds, its steps and the time
/// spent in the all-reduce (waiting for the other ranks included). Threads per rank: DOTNET_PROCESSOR_COUNT.
/// </summary>
internal static class Bench
{
    public static int Run(MpiGroup group, IReadOnlyDictionary<string, string> a)
    {
        if (a.TryGetValue("reduce-only", out var count))
        {
            // The all-reduce alone: this many float64 values (407,053: the 784-512-10 network's gradient and 3 counters), 200 times.
            var buffer = new double[int.Parse(count, CultureInfo.InvariantCulture)];
            group.AllReduceSum(buffer);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 200; i++)
            {
                group.AllReduceSum(buffer);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"all-reduce rank {group.Rank} of {group.Size}: {buffer.Length} doubles ({8.0 * buffer.Length / 1e6:F2} MB) in {1000 * clock.Elapsed.TotalSeconds / 200:F3} ms"));
            return 0;
        }

        int batch = int.Parse(a.GetValueOrDefault("batch", "64"), CultureInfo.InvariantCulture);
        int epochs = int.Parse(a.GetValueOrDefault("epochs", "2"), CultureInfo.InvariantCulture);
        var (train, _) = Mnist.Load(a.GetValueOrDefault("data", Mnist.DefaultCacheDirectory));
        var (mean, std) = train.FeatureStatistics();
        train = train.Standardize(mean, std);
        var net = new Mlp([784, 512, 10], [Activation.Sigmoid]);
        var timed = new TimedGroup(group);
        bool local = a.GetValueOrDefault("local", "false") == "true"; // the single-process Trainer, for comparison
        var options = new TrainOptions { Epochs = epochs, BatchSize = batch, Seed = 1, DataParallel = local ? null : timed };
        EpochMetrics? last = null;
        double reduceSeconds = 0;
        int steps = 0;
        Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y), new Sgd(0.1), train, options, onEpoch: m =>
        {
            last = m;
            (reduceSeconds, steps) = (timed.Seconds, local ? (train.Count + batch - 1) / batch : timed.Calls);
            timed.Reset();
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench rank {group.Rank} of {group.Size}, {Environment.ProcessorCount} thread(s), batch {batch}: epoch {last!.Epoch} {last.Seconds:F2} s, {steps} steps, " +
            $"{1000 * last.Seconds / steps:F2} ms/step, all-reduce {1000 * reduceSeconds / steps:F3} ms/step ({100 * reduceSeconds / last.Seconds:F1} %), loss {last.Loss:F4}"));
        return 0;
    }

    /// <summary>An <see cref="IDataParallel"/> that times its all-reduces.</summary>
    private sealed class TimedGroup(IDataParallel inner) : IDataParallel
    {
        private readonly Stopwatch _clock = new();

        public int Rank => inner.Rank;

        public int Size => inner.Size;

        public int Calls { get; private set; }

        public double Seconds => _clock.Elapsed.TotalSeconds;

        public void Reset()
        {
            _clock.Reset();
            Calls = 0;
        }

        public void AllReduceSum(Span<double> values)
        {
            _clock.Start();
            inner.AllReduceSum(values);
            _clock.Stop();
            Calls++;
        }

        public void Broadcast(Span<double> values) => inner.Broadcast(values);

        public void AllGather(ReadOnlySpan<long> local, Span<long> all) => inner.AllGather(local, all);
    }
}
