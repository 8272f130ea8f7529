using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>
/// The trainer's divergence report: a non-finite loss, or one far above the first, stops training with a message naming
/// the epoch, the batch and the parameter, the same whether the step is compiled or not.
/// </summary>
public class DivergenceTests
{
    private static readonly Mlp Net = new([4, 8, 3], [Activation.Sigmoid, Activation.Linear]);

    private static TrainingDivergedException Diverge(bool compile, ModelFunction model, TensorTree parameters, LossFunction loss, IOptimizer optimizer, Dataset data, int batchSize = 16) =>
        Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, parameters, loss, optimizer, data,
            new TrainOptions { Epochs = 3, BatchSize = batchSize, Seed = 1, Compile = compile }));

    /// <summary>The compiled and the uncompiled loop report the same divergence, word for word.</summary>
    private static TrainingDivergedException BothWays(ModelFunction model, Func<TensorTree> parameters, LossFunction loss, Func<IOptimizer> optimizer, Dataset data, int batchSize = 16)
    {
        var eager = Diverge(false, model, parameters(), loss, optimizer(), data, batchSize);
        var compiled = Diverge(true, model, parameters(), loss, optimizer(), data, batchSize);
        Assert.Equal(eager.Message, compiled.Message);
        Assert.Equal((eager.Epoch, eager.Batch, eager.Parameter), (compiled.Epoch, compiled.Batch, compiled.Parameter));
        return eager;
    }

    [Fact]
    public void ALossThatGrowsFarAboveItsStartIsDivergenceNamingTheBatchAndTheLargestGradient()
    {
        // A rate of 1e30 leaves the loss finite (about 1e29: the saturated sigmoids keep it from overflowing) but absurd.
        var e = BothWays((p, x) => Net.Apply(p, x), () => Net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y), () => new Sgd(1e30), Datasets.Iris());
        Assert.Equal((1, 2), (e.Epoch, e.Batch));
        Assert.True(double.IsFinite(e.Loss) && e.Loss > 1e6, $"loss {e.Loss}");
        Assert.StartsWith("Training diverged at epoch 1, batch 2: the loss ", e.Message);
        Assert.Contains("exceeds 1E+06 × max(the first batch's loss", e.Message);
        Assert.Contains($"the largest gradient is that of '{e.Parameter}'", e.Message);
        Assert.Contains(e.Parameter, Net.Init(new Generator(1)).Leaves().Select(l => l.Path));
    }

    [Fact]
    public void TheFirstParameterWhoseValueIsNotFiniteIsNamed()
    {
        TensorTree Broken()
        {
            var p = Net.Init(new Generator(1));
            return p.Map((path, t) => path == "1.b" ? t * double.NaN : t);
        }

        var e = BothWays((p, x) => Net.Apply(p, x), Broken, (o, y) => Loss.CrossEntropy(o, y), () => new Adam(0.01), Datasets.Iris());
        Assert.Equal("1.b", e.Parameter);
        Assert.Contains("Training diverged at epoch 1, batch 1: the loss is NaN; parameter '1.b' is the first whose value is not finite", e.Message);
    }

    [Fact]
    public void AValueMadeNonFiniteByAnEarlierUpdateIsNamedWhenTheLossTurnsNonFinite()
    {
        // √w has an infinite derivative at 0: the first update sends 'scale' to +∞ while the loss is still finite, and the
        // next batch's loss is infinite. The report names 'scale', not the first leaf.
        var data = Dataset.Regression("line", [1, 2, 3, 4], 1, [1, 2, 3, 4], 1);
        TensorTree Start() => new() { { "bias", Tensor.Zeros([1]) }, { "scale", Tensor.Zeros([1]) } };
        var e = BothWays((p, x) => x * p["scale"].Sqrt() + p["bias"], Start, (o, y) => Loss.MeanSquaredError(o, y), () => new Sgd(0.1), data, batchSize: 2);
        Assert.Equal((1, 2, "scale"), (e.Epoch, e.Batch, e.Parameter));
        Assert.Contains("the loss is Infinity; parameter 'scale' is the first whose value is not finite (an earlier update made it so)", e.Message);
    }

    [Fact]
    public void WhenValuesAreFiniteTheFirstNonFiniteGradientIsNamed()
    {
        // exp(100) overflows float32: the loss is infinite, 'unused' has a zero gradient, 'shift' an infinite one.
        var data = Dataset.Regression("line", [1, 2, 3, 4], 1, [1, 2, 3, 4], 1);
        TensorTree Start() => new() { { "unused", Tensor.Zeros([1]) }, { "shift", Tensor.Full([1], 100.0) }, { "w", Tensor.Ones([1, 1]) } };
        var e = BothWays((p, x) => x.MatMul(p["w"]) + p["shift"].Exp(), Start, (o, y) => Loss.MeanSquaredError(o, y), () => new Sgd(0.1), data, batchSize: 4);
        Assert.Equal("shift", e.Parameter);
        Assert.Contains("the loss is Infinity; parameters are finite; the gradient of 'shift' is the first that is not finite", e.Message);
    }

    [Fact]
    public void NormalRunsNeverTripTheGrowthRuleAndItCanBeTurnedOff()
    {
        // A regression whose targets spread over two orders of magnitude, the first row's near 0, one row per batch.
        var rng = new Generator(3);
        var x = Enumerable.Range(0, 64).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = x.Select((v, i) => i == 0 ? 0.01f : 300 * v).ToArray();
        var data = Dataset.Regression("spread", x, 1, y, 1);
        var net = new Mlp([1, 8, 1], [Activation.Tanh, Activation.Linear]);
        var result = Trainer.Fit((p, xs) => net.Apply(p, xs), net.Init(new Generator(1)), (o, t) => Loss.MeanSquaredError(o, t), new Sgd(1e-4), data,
            new TrainOptions { Epochs = 5, BatchSize = 1, Shuffle = false });
        Assert.Equal(5, result.History.Epochs.Count);

        // Without the rule, a finite absurd loss trains on, as before.
        var off = Trainer.Fit((p, xs) => Net.Apply(p, xs), Net.Init(new Generator(1)), (o, t) => Loss.CrossEntropy(o, t), new Sgd(1e30), Datasets.Iris(),
            new TrainOptions { Epochs = 1, BatchSize = 16, DivergenceFactor = null });
        Assert.True(off.History.Epochs[0].Loss > 1e20);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit((p, xs) => Net.Apply(p, xs), Net.Init(new Generator(1)), (o, t) => Loss.CrossEntropy(o, t),
            new Sgd(0.1), Datasets.Iris(), new TrainOptions { DivergenceFactor = 0.5 }));
    }
}
