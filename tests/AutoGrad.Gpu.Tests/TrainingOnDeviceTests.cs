using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// Networks trained end to end on the device under test (ILGPU's CPU accelerator by default) with the same code as on the CPU: parameters moved there once,
/// batches and optimizer state following them, compiled steps replayed on the device.
/// </summary>
public class TrainingOnDeviceTests
{
    private static TrainResult Fit(Device device, Mlp net, IOptimizer optimizer, Dataset data, TrainOptions options) =>
        Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(3)).To(device), (o, y) => Loss.CrossEntropy(o, y), optimizer, data, options);

    [Fact]
    public void XorTrainsOnTheAcceleratorAsOnTheCpu()
    {
        var net = new Mlp([2, 3, 2], [Activation.Tanh]);
        var options = new TrainOptions { Epochs = 300, BatchSize = 4, Seed = 1 };
        var cpu = Fit(Device.Cpu, net, new Sgd(0.5), Datasets.Xor(), options);
        var gpu = Fit(Backends.GpuDevice, net, new Sgd(0.5), Datasets.Xor(), options);
        Assert.Equal(Backends.GpuDevice, gpu.Parameters["0.W"].Device);
        Assert.Equal(cpu.History.Epochs[^1].Accuracy, gpu.History.Epochs[^1].Accuracy);
        Assert.Equal(1.0, gpu.History.Epochs[^1].Accuracy);
        Assert.Equal(cpu.History.Epochs[^1].Loss, gpu.History.Epochs[^1].Loss, 5);
    }

    [Fact]
    public void IrisTrainsWithAdamToTheCpusAccuracy()
    {
        var net = new Mlp([4, 16, 3], [Activation.Relu]);
        var (train, test) = Datasets.Iris().Split(0.2, new Generator(5));
        var (mean, std) = train.FeatureStatistics();
        (train, test) = (train.Standardize(mean, std), test.Standardize(mean, std));
        var options = new TrainOptions { Epochs = 20, BatchSize = 16, Seed = 2, ClipGradientNorm = 1.0 };
        var cpu = Fit(Device.Cpu, net, new Adam(0.01), train, options);
        var gpu = Fit(Backends.GpuDevice, net, new Adam(0.01), train, options);
        var cpuTest = Trainer.Evaluate((p, x) => net.Apply(p, x), cpu.Parameters, (o, y) => Loss.CrossEntropy(o, y), test);
        var gpuTest = Trainer.Evaluate((p, x) => net.Apply(p, x), gpu.Parameters, (o, y) => Loss.CrossEntropy(o, y), test);
        Assert.Equal(cpuTest.Accuracy, gpuTest.Accuracy);
        Assert.True(gpuTest.Accuracy >= 0.9, $"test accuracy {gpuTest.Accuracy}");
        Assert.Equal(cpuTest.Loss, gpuTest.Loss, 4);
    }

    [Fact]
    public void ACompiledStepReplaysOnTheAcceleratorBitwiseLikeItsEagerRunThere()
    {
        var net = new Mlp([4, 8, 3], [Activation.Sigmoid]);
        TrainResult Run(bool compile) => Fit(Backends.GpuDevice, net, new Adam(0.01), Datasets.Iris(),
            new TrainOptions { Epochs = 3, BatchSize = 32, Seed = 4, Compile = compile });
        var (eager, compiled) = (Run(false), Run(true));
        foreach (var ((path, e), (_, c)) in eager.Parameters.Leaves().Zip(compiled.Parameters.Leaves()))
        {
            Assert.Equal(e.ToFloatArray().Select(BitConverter.SingleToInt32Bits), c.ToFloatArray().Select(BitConverter.SingleToInt32Bits));
        }

        Assert.Equal(eager.History.Epochs.Select(m => m.Loss), compiled.History.Epochs.Select(m => m.Loss));
    }

    [Fact]
    public void OptimizerStateLivesWithTheParameters()
    {
        var parameters = new Mlp([2, 2], [Activation.Linear]).Init(new Generator(1)).To(Backends.GpuDevice);
        foreach (IOptimizer optimizer in new IOptimizer[] { new Sgd(0.1, momentum: 0.9), new Adam(0.01), new NAdam(0.01), new Adagrad(0.1), new RmsProp(0.01), new Adadelta(1.0), new Adamax(0.01) })
        {
            Assert.All(optimizer.Init(parameters).Leaves(), l => Assert.Equal(Backends.GpuDevice, l.Value.Device));
        }
    }
}
