using AutoGrad.Autodiff;
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
    public void ACompiledSgdStepRunsTheFusedProductsOnTheAccelerator_AndReplaysBitwiseLikeItsEagerRun()
    {
        // A sigmoid layer trained by SGD: both weight updates p − lr·(xᵀ·δ) become MatMulAxpby, and the hidden layer's
        // δ·W2ᵀ ⊙ σ'(h) becomes MatMulActivationGrad, on the device. The compiled step's parameters are donated, so the
        // fused updates write over them in place.
        var device = Backends.GpuDevice;
        var net = new Mlp([4, 8, 3], [Activation.Sigmoid]);
        var sgd = new Sgd(0.1); // not a power of two: lr·g rounds, so the update's two roundings are checked
        TensorTree Step(TensorTree t)
        {
            var (loss, grads) = Transforms.ValueAndGrad((TensorTree p) => Loss.CrossEntropy(net.Apply(p, t["x"]), t["y"]))(t.Subtree("params"));
            var (parameters, state) = sgd.Update(grads, t.Subtree("opt"), t.Subtree("params"));
            return new TensorTree { { "params", parameters }, { "opt", state }, { "loss", loss } };
        }

        TensorTree Start()
        {
            var parameters = net.Init(new Generator(3)).To(device);
            return new TensorTree { { "params", parameters }, { "opt", sgd.Init(parameters) } };
        }

        TensorTree With(TensorTree state, int seed)
        {
            var g = new Generator((ulong)seed);
            var labels = Enumerable.Range(0, 32).Select(i => (i * 7 + seed) % 3).ToArray();
            return new TensorTree
            {
                { "params", state.Subtree("params") },
                { "opt", state.Subtree("opt") },
                { "x", Tensor.RandomNormal([32, 4], g, device: device) },
                { "y", Tensor.FromArray(labels, [32], device) },
            };
        }

        var jit = new JitFunction(Step, default);
        TensorTree eager = Start(), compiled = Start();
        for (int seed = 1; seed <= 4; seed++)
        {
            var expected = Step(With(eager, seed));
            var actual = jit.Invoke(With(compiled.Donate(), seed)); // the first call traces, the others replay
            foreach (var ((path, e), (_, c)) in expected.Leaves().Zip(actual.Leaves()))
            {
                Assert.Equal(device, c.Device);
                Assert.True(
                    e.ToFloatArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(c.ToFloatArray().Select(BitConverter.SingleToInt32Bits)),
                    $"step {seed}: {path} differs between the eager and the compiled step");
            }

            (eager, compiled) = (expected, actual);
        }

        // Two updates and one activation rule fused: on the device, whose FusesMatMulEpilogue says so for any float product.
        var program = Assert.Single(jit.Programs);
        Assert.Equal(3, program.FusedCount);
        Assert.Contains(0, program.OutputDonors);
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
