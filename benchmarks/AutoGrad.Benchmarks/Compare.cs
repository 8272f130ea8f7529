using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AutoGrad.Benchmarks;

/// <summary>
/// AutoGrad's side of benchmarks/compare/run.sh: the same workloads as compare/torch_workloads.py, timed the
/// same way (at least three warm-up runs and three seconds, then the median of runs until half a second has passed), as JSON.
/// </summary>
public static class Compare
{
    /// <summary>
    /// Times the workloads and prints them as JSON; with <paramref name="gemmOnly"/>, the square products and the MLP's two
    /// large products alone.
    /// </summary>
    public static void Run(bool gemmOnly = false)
    {
        var results = new Dictionary<string, double>();
        var accuracy = new Dictionary<string, double>();
        var g = new Generator(0);
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            var a = Tensor.RandomNormal([n, n], g);
            var b = Tensor.RandomNormal([n, n], g);
            results[$"gemm {n}"] = MedianTime(() =>
            {
                using var scope = TensorScope.Begin();
                a.MatMul(b);
            });
        }

        if (gemmOnly)
        {
            MlpProducts(results, g, largeOnly: true);
            Console.WriteLine(JsonSerializer.Serialize(new { autograd = typeof(Tensor).Assembly.GetName().Version?.ToString(), results }));
            return;
        }

        MlpProducts(results, g);
        foreach (int batch in new[] { 1, 32, 128, 512 })
        {
            var p = new TensorTree
            {
                { "W1", Tensor.RandomNormal([784, 512], g, std: 0.05) },
                { "b1", Tensor.Zeros([512]) },
                { "W2", Tensor.RandomNormal([512, 10], g, std: 0.05) },
                { "b2", Tensor.Zeros([10]) },
            };
            var x = Tensor.RandomUniform([batch, 784], g);
            var labels = Tensor.FromArray(Enumerable.Range(0, batch).Select(i => i % 10).ToArray());
            var grad = Transforms.Grad((TensorTree q) => MlpWorkload.Loss(q, x, labels));
            var sgd = new Nn.Optim.Sgd(0.1);
            var compiled = MlpWorkload.Compiled(p, sgd);
            var batchTree = new TensorTree { { "x", x }, { "y", labels } };
            results[$"mlp step {batch}"] = MedianTime(() =>
            {
                using var scope = TensorScope.Begin();
                compiled.Run(batchTree);
            });

            // The same step uncompiled: every op through dispatch and the tape.
            var state = sgd.Init(p);
            bool first = true;
            results[$"mlp step {batch} (uncompiled)"] = MedianTime(() =>
            {
                // One scope per step: the step's buffers go back to the pool, and the replaced parameters and state are
                // released once the new ones are kept.
                using var scope = TensorScope.Begin();
                // After the first step the old trees are released anyway, so they are donated and updated in place.
                var donate = first ? Nn.Optim.Donation.None : Nn.Optim.Donation.Parameters | Nn.Optim.Donation.State;
                var (nextParams, nextState) = sgd.Update(grad(p), state, p, donate);
                scope.Keep(nextParams);
                scope.Keep(nextState);
                if (!first)
                {
                    TensorScope.Release(p, except: nextParams);
                    TensorScope.Release(state, except: nextState);
                }

                first = false;
                (p, state) = (nextParams, nextState);
            });
        }

        var chain = Transforms.Grad((Tensor t) =>
        {
            var y = t;
            for (int i = 0; i < 333; i++)
            {
                y = ((y + 0.5) * 0.9).Tanh();
            }

            return y;
        });
        var x0 = Tensor.Scalar(0.3f);
        results["scalar chain 999 ops"] = MedianTime(() =>
        {
            using var scope = TensorScope.Begin();
            chain(x0);
        });
        MnistEpochs(results, accuracy);
        Console.WriteLine(JsonSerializer.Serialize(new { autograd = typeof(Tensor).Assembly.GetName().Version?.ToString(), results, accuracy }));
    }

    /// <summary>
    /// The MLP's products at batch 128 and 512, as its forward and backward run them: through the backend with the transpose
    /// flags the backward rules pass (no copies), into a preallocated C, as the PyTorch side calls <c>torch.mm(…, out=)</c>
    /// on transposed views.
    /// </summary>
    private static void MlpProducts(Dictionary<string, double> results, Generator g, bool largeOnly = false)
    {
        var backend = Backends.Cpu.CpuBackend.Instance;
        foreach (int batch in largeOnly ? [512] : new[] { 128, 512 })
        {
            var x = Tensor.RandomUniform([batch, 784], g);
            var w1 = Tensor.RandomNormal([784, 512], g);
            var d = Tensor.RandomNormal([batch, 512], g);
            var h = Tensor.RandomUniform([batch, 512], g);
            var d10 = Tensor.RandomNormal([batch, 10], g);
            var w2 = Tensor.RandomNormal([512, 10], g);
            foreach (var (name, m, n, k, a, ta, b, tb) in new (string, int, int, int, Tensor, bool, Tensor, bool)[]
            {
                ($"{batch}×784·784×512 (x·W1)", batch, 512, 784, x, false, w1, false),
                ($"784×{batch}ᵀ·{batch}×512 (xᵀ·δ)", 784, 512, batch, x, true, d, false),
                ($"{batch}×10·10×512ᵀ (δ·W2ᵀ)", batch, 512, 10, d10, false, w2, true),
                ($"{batch}×512·512×10 (h·W2)", batch, 10, 512, h, false, w2, false),
                ($"512×{batch}ᵀ·{batch}×10 (hᵀ·δ)", 512, 10, batch, h, true, d10, false),
            }.Take(largeOnly ? 2 : 5))
            {
                var c = Tensor.Zeros([m, n]);
                results[$"gemm {name}"] = MedianTime(() => backend.MatMul(1, m, n, k, a.Storage!, ta, b.Storage!, tb, c.Storage!));
            }
        }
    }

    /// <summary>
    /// One training epoch of the 784-512-10 network on MNIST, in the two configurations of docs/mnist.md (the median
    /// of three timed epochs), and the test-set accuracy one epoch reaches (not timed), to check that the speed does not
    /// cost accuracy.
    /// </summary>
    private static void MnistEpochs(Dictionary<string, double> results, Dictionary<string, double> accuracy)
    {
        var (train, test) = Nn.Data.Mnist.Load(Nn.Data.Mnist.Fetch());
        foreach (var (name, activation, optimizer, batch) in new (string, Nn.Layers.Activation, Func<Nn.Optim.IOptimizer>, int)[]
        {
            ("mnist epoch sigmoid/sgd/64", Nn.Layers.Activation.Sigmoid, () => new Nn.Optim.Sgd(0.1), 64),
            ("mnist epoch relu/adam/128", Nn.Layers.Activation.Relu, () => new Nn.Optim.Adam(1e-3), 128),
        })
        {
            // The median of three epochs, each from the same fresh network: one timed epoch moved by ±10% from run to run.
            var times = new List<double>();
            Nn.Training.TrainResult? fit = null;
            var net = new Nn.Layers.Mlp([784, 512, 10], [activation]);
            Nn.Training.ModelFunction model = (p, x) => net.Apply(p, x);
            for (int run = 0; run < 3; run++)
            {
                var options = new Nn.Training.TrainOptions { Epochs = 1, BatchSize = batch, Seed = 0 };
                var clock = Stopwatch.StartNew();
                fit = Nn.Training.Trainer.Fit(model, net.Init(new Generator(0)), (o, y) => Nn.Losses.Loss.CrossEntropy(o, y), optimizer(), train, options);
                times.Add(clock.Elapsed.TotalSeconds);
            }

            times.Sort();
            results[name] = times[1];
            accuracy[name] = Nn.Training.Trainer.Evaluate(model, fit!.Parameters, (o, y) => Nn.Losses.Loss.CrossEntropy(o, y), test).Accuracy!.Value;
        }
    }

    private static double MedianTime(Action action, double minSeconds = 0.5, int maxReps = 200)
    {
        // Warm-up as on the PyTorch side: at least three runs and 3 s. The .NET tiered JIT (tier 0, then instrumented,
        // then optimized with dynamic PGO) reaches steady state only after 2-3 s of a training loop on 2 busy cores:
        // a batch-32 MLP step measured 1.05 ms, 0.92 ms, then 0.50 ms from 3 s on. Both sides report steady state.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 20000 && (i < 3 || warm.Elapsed.TotalSeconds < 3.0); i++)
        {
            action();
        }

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < maxReps && (total.Elapsed.TotalSeconds < minSeconds || times.Count < 5))
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalSeconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
