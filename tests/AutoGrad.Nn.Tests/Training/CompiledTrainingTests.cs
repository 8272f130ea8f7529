using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>
/// Trainer's compiled step (TrainOptions.Compile): the same results as the uncompiled loop, bit for bit, whether the
/// step compiles or falls back; and it really is compiled, the model's host code running once per batch shape.
/// </summary>
public class CompiledTrainingTests
{
    private static readonly Mlp Net = new([4, 8, 3], [Activation.Tanh, Activation.Linear]);

    private static (TrainResult Result, int ModelCalls) Fit(IOptimizer optimizer, TrainOptions options)
    {
        int calls = 0;
        var result = Trainer.Fit(
            (p, x) =>
            {
                calls++;
                return Net.Apply(p, x);
            },
            Net.Init(new Generator(4), DType.Float64), (o, y) => Loss.CrossEntropy(o, y), optimizer, Datasets.Iris(), options);
        return (result, calls);
    }

    private static void AssertSameTraining(TrainResult expected, TrainResult actual, string what)
    {
        Assert.Equal(expected.History.Epochs.Select(e => e.Loss), actual.History.Epochs.Select(e => e.Loss));
        Assert.Equal(expected.History.Epochs.Select(e => e.Accuracy), actual.History.Epochs.Select(e => e.Accuracy));
        foreach (var ((path, e), (_, a)) in expected.Parameters.Leaves().Zip(actual.Parameters.Leaves()))
        {
            Assert.True(e.ToDoubleArray().SequenceEqual(a.ToDoubleArray()), $"{what}: parameter '{path}' differs");
        }

        foreach (var ((path, e), (_, a)) in expected.OptimizerState.Leaves().Zip(actual.OptimizerState.Leaves()))
        {
            Assert.True(e.ToDoubleArray().SequenceEqual(a.ToDoubleArray()), $"{what}: optimizer state '{path}' differs");
        }
    }

    [Fact]
    public void ACompiledStepTrainsBitwiseLikeTheUncompiledOneAndTracesOncePerBatchShape()
    {
        // 150 rows in batches of 32: four full batches and one of 22, so two batch shapes.
        var options = new TrainOptions { Epochs = 3, BatchSize = 32, Seed = 3, DType = DType.Float64 };
        var (compiled, calls) = Fit(new Sgd(0.1, momentum: 0.9), options);
        var (eager, eagerCalls) = Fit(new Sgd(0.1, momentum: 0.9), options with { Compile = false });
        AssertSameTraining(eager, compiled, "sgd with momentum");
        Assert.Equal(15, eagerCalls);
        Assert.Equal(2, calls);
        Assert.True(compiled.History.Epochs[^1].Loss < compiled.History.Epochs[0].Loss);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("nadam")]
    [InlineData("clipping")]
    public void AdamFamilyAndClippedStepsCompileAndTrainBitwiseLikeUncompiled(string what)
    {
        var options = new TrainOptions { Epochs = 2, BatchSize = 50, Seed = 5, DType = DType.Float64, ClipGradientNorm = what == "clipping" ? 0.5 : null };
        IOptimizer Make() => what switch { "adam" => new Adam(0.01), "nadam" => new NAdam(0.01), _ => new Sgd(0.1) };
        var (compiled, calls) = Fit(Make(), options);
        var (eager, eagerCalls) = Fit(Make(), options with { Compile = false });
        AssertSameTraining(eager, compiled, what);
        Assert.Equal(6, eagerCalls);
        Assert.Equal(1, calls); // 150 rows in batches of 50: one batch shape, traced once, replayed after
    }

    [Fact]
    public void AStepThatCannotBeCompiledTrainsUncompiledWithTheSameResults()
    {
        // A learning-rate schedule reads the step counter on the host, which a replay could not redo: the step falls back.
        var options = new TrainOptions { Epochs = 2, BatchSize = 50, Seed = 5, DType = DType.Float64 };
        IOptimizer Make() => new Sgd(new ExponentialSchedule(0.1, 0.9));
        var (compiled, calls) = Fit(Make(), options);
        var (eager, _) = Fit(Make(), options with { Compile = false });
        AssertSameTraining(eager, compiled, "scheduled sgd");
        Assert.True(calls > 1, $"the model ran {calls} time(s): the step did not fall back to the uncompiled loop");
    }

    [Fact]
    public void EarlyStoppingKeepsTheBestParametersWhenCompiled()
    {
        var options = new TrainOptions { Epochs = 6, BatchSize = 16, Seed = 2, ValidationSplit = 0.2, Patience = 2, DType = DType.Float64 };
        var (compiled, _) = Fit(new Sgd(0.5, momentum: 0.9), options);
        var (eager, _) = Fit(new Sgd(0.5, momentum: 0.9), options with { Compile = false });
        AssertSameTraining(eager, compiled, "early stopping");
        Assert.Equal(eager.History.StopReason, compiled.History.StopReason);
    }
}
