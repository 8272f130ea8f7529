using System.Diagnostics;
using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using static AutoGrad.Transforms;

namespace AutoGrad.Benchmarks;

/// <summary>
/// docs/tutorial.md's hand-written MNIST loop (section 5: a multi-argument <c>ValueAndGrad</c> compiled with <c>Jit</c>,
/// the old parameters donated) against <c>Trainer.Fit</c> on the same rows, one epoch each, alternating in one process;
/// and the same loop uncompiled. Prints milliseconds per step and the median ratio (issue 19 asks for at most 1.5×).
/// <c>dotnet run -c Release --project benchmarks/AutoGrad.Benchmarks -- tutorial-loop [ROWS] [ROUNDS]</c>.
/// </summary>
internal static class TutorialLoopCompare
{
    public static void Run(int rows, int rounds)
    {
        var (train, _) = Mnist.Load(Mnist.Fetch());
        train = train.Subset(Enumerable.Range(0, Math.Min(rows, train.Count)).ToArray());
        var net = new Mlp([784, 512, 10], [Activation.Sigmoid, Activation.Linear]);
        int steps = (int)Math.Ceiling(train.Count / 64.0);

        double Tutorial(bool compiled)
        {
            var parameters = net.Init(new Generator(0));
            var lossAndGrad = ValueAndGrad((TensorTree p, Batch b) => Loss.CrossEntropy(net.Apply(p, b.X), b.Y));
            Func<TensorTree, Batch, (Tensor Loss, TensorTree Parameters)> plain = (p, b) =>
            {
                var (loss, grads) = lossAndGrad(p, b);
                return (loss, p.Zip(grads, (w, dw) => w - dw * 0.5));
            };
            var step = compiled ? Jit(plain) : plain;
            var loader = new DataLoader(train, batchSize: 64, shuffle: true, generator: new Generator(1));
            var clock = Stopwatch.StartNew();
            Tensor loss = Tensor.Scalar(0f);
            foreach (var batch in loader.Epoch())
            {
                (loss, parameters) = step(compiled ? parameters.Donate() : parameters, batch);
            }

            loss.Item();
            return clock.Elapsed.TotalMilliseconds / steps;
        }

        double Trained()
        {
            var clock = Stopwatch.StartNew();
            Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(0)), (o, t) => Loss.CrossEntropy(o, t), new Sgd(0.5), train,
                new TrainOptions { Epochs = 1, BatchSize = 64, Seed = 1 });
            return clock.Elapsed.TotalMilliseconds / steps;
        }

        var (tutorial, trainer, uncompiled) = (new List<double>(), new List<double>(), new List<double>());
        for (int r = 0; r <= rounds; r++)
        {
            tutorial.Add(Tutorial(compiled: true));
            trainer.Add(Trained());
            uncompiled.Add(Tutorial(compiled: false));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {r}{(r == 0 ? " (warm-up)" : "")}: tutorial {tutorial[^1]:F2} ms/step, Trainer {trainer[^1]:F2} ms/step, uncompiled loop {uncompiled[^1]:F2} ms/step"));
        }

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }

        double t = Median(tutorial.Skip(1)), f = Median(trainer.Skip(1)), u = Median(uncompiled.Skip(1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median of {rounds} rounds, {train.Count} rows, batch 64: tutorial / Trainer = {t / f:F2}, uncompiled / Trainer = {u / f:F2}"));
    }
}
