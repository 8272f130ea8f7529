using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>
/// Checkpoints and exact resume: a run interrupted after epoch k and resumed from its checkpoint gives the uninterrupted
/// run's parameters, optimizer state and history bit for bit (every bit compared, no tolerance), compiled and uncompiled.
/// </summary>
public class ResumeTests
{
    private static readonly Mlp Net = new([4, 8, 3], [Activation.Tanh, Activation.Linear]);

    /// <summary>Thrown from onEpoch to stop a run the way a crash would: the checkpoint on disk is all that is left.</summary>
    private sealed class Interrupted : Exception;

    private static IOptimizer Optimizer(string name) => name switch
    {
        "momentum" => new Sgd(0.05, momentum: 0.9),
        "adam" => new Adam(0.01),
        "cosine" => new Sgd(new CosineSchedule(0.1, tMax: 60), momentum: 0.9),
        "nadam" => new NAdam(0.01),
        _ => throw new ArgumentException(name),
    };

    private static TrainResult Fit(string optimizer, TrainOptions options, int? interruptAfter = null, Checkpoint? resumeFrom = null, Dataset? validation = null, Dataset? data = null) =>
        Trainer.Fit((p, x) => Net.Apply(p, x), Net.Init(new Generator(4), options.DType ?? DType.Float32), (o, y) => Loss.CrossEntropy(o, y), Optimizer(optimizer), data ?? Datasets.Iris(), options,
            validation: validation, onEpoch: m =>
            {
                if (m.Epoch == interruptAfter)
                {
                    throw new Interrupted();
                }
            }, resumeFrom: resumeFrom);

    private static string TempFile() => Path.Combine(Directory.CreateTempSubdirectory("autograd-resume-").FullName, "checkpoint.safetensors");

    /// <summary>Every bit of every leaf, as 64-bit words.</summary>
    private static long[] Bits(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToFloatArray().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray(),
        DType.Float64 => t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray(),
        _ => t.ToInt32Array().Select(v => (long)v).ToArray(),
    };

    internal static void AssertSameTrees(TensorTree expected, TensorTree actual, string what)
    {
        Assert.Equal(expected.Leaves().Select(l => l.Path), actual.Leaves().Select(l => l.Path));
        foreach (var ((path, e), (_, a)) in expected.Leaves().Zip(actual.Leaves()))
        {
            Assert.Equal(e.DType, a.DType);
            Assert.True(Bits(e).SequenceEqual(Bits(a)), $"{what}: '{path}' differs");
        }
    }

    /// <summary>Every column but the wall time, compared exactly (doubles by their bits).</summary>
    internal static void AssertSameHistory(History expected, History actual, string what)
    {
        static string Row(EpochMetrics e) => string.Join(",", new double?[] { e.Epoch, e.Loss, e.Accuracy, e.ValidationLoss, e.ValidationAccuracy, e.LearningRate }
            .Select(v => v is { } d ? BitConverter.DoubleToInt64Bits(d).ToString("x16") : "-"));
        Assert.True(expected.Epochs.Select(Row).SequenceEqual(actual.Epochs.Select(Row)),
            $"{what}: histories differ\nexpected {string.Join(" ", expected.Epochs.Select(e => e.Loss.ToString("R")))}\nactual   {string.Join(" ", actual.Epochs.Select(e => e.Loss.ToString("R")))}");
        Assert.Equal(expected.StopReason, actual.StopReason);
        Assert.Equal(expected.StoppedEarly, actual.StoppedEarly);
    }

    private static void AssertSameRun(TrainResult expected, TrainResult actual, string what)
    {
        AssertSameTrees(expected.Parameters, actual.Parameters, $"{what}: parameters");
        AssertSameTrees(expected.OptimizerState, actual.OptimizerState, $"{what}: optimizer state");
        AssertSameHistory(expected.History, actual.History, what);
    }

    [Theory]
    [InlineData("momentum", true)]
    [InlineData("momentum", false)]
    [InlineData("adam", true)]
    [InlineData("adam", false)]
    [InlineData("cosine", true)]
    [InlineData("cosine", false)]
    public void ARunInterruptedAfterAnyEpochAndResumedIsBitwiseTheUninterruptedRun(string optimizer, bool compile)
    {
        // 150 rows in batches of 16: nine full batches and one of 6, so the compiled step has two shapes to trace.
        var options = new TrainOptions { Epochs = 6, BatchSize = 16, Seed = 11, Compile = compile };
        var uninterrupted = Fit(optimizer, options);
        Assert.True(uninterrupted.History.Epochs[^1].Loss < uninterrupted.History.Epochs[0].Loss, "the run should learn");
        foreach (int k in new[] { 1, 3, 5 })
        {
            string path = TempFile();
            Assert.Throws<Interrupted>(() => Fit(optimizer, options with { CheckpointPath = path }, interruptAfter: k));
            var checkpoint = Checkpoint.Load(path);
            Assert.Equal(k, checkpoint.Epoch);
            var resumed = Fit(optimizer, options, resumeFrom: checkpoint);
            AssertSameRun(uninterrupted, resumed, $"{optimizer}, compile {compile}, interrupted after epoch {k}");
            Assert.Equal(Enumerable.Range(1, 6), resumed.History.Epochs.Select(e => e.Epoch));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CompiledAndUncompiledRunsResumeEachOther(bool compileFirst)
    {
        // Compile may change between the interrupted run and the resumed one: the steps are the same bits either way.
        var options = new TrainOptions { Epochs = 4, BatchSize = 32, Seed = 2, DType = DType.Float64 };
        var uninterrupted = Fit("nadam", options);
        var first = Fit("nadam", options with { Epochs = 2, Compile = compileFirst });
        var resumed = Fit("nadam", options with { Compile = !compileFirst }, resumeFrom: first.Checkpoint);
        AssertSameRun(uninterrupted, resumed, "nadam");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AClippedFloat64RunResumesExactly(bool compile)
    {
        var options = new TrainOptions { Epochs = 5, BatchSize = 20, Seed = 6, ClipGradientNorm = 0.3, DType = DType.Float64, Compile = compile };
        var uninterrupted = Fit("adam", options);
        var first = Fit("adam", options with { Epochs = 2 });
        AssertSameRun(uninterrupted, Fit("adam", options, resumeFrom: first.Checkpoint), "clipped adam, float64");
    }

    [Fact]
    public void FitFiveThenFiveMoreFromItsCheckpointIsFitTen()
    {
        // The issue's example: Fit(5) then Fit(5, state) used to restart the shuffles and the history.
        var options = new TrainOptions { Epochs = 10, BatchSize = 8, Seed = 9 };
        var ten = Fit("momentum", options);
        var five = Fit("momentum", options with { Epochs = 5 });
        var more = Fit("momentum", options, resumeFrom: five.Checkpoint);
        AssertSameRun(ten, more, "5 + 5 epochs");
        Assert.Equal(5, five.Checkpoint!.Epoch);
        Assert.Equal(10, more.Checkpoint!.Epoch);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EarlyStoppingWithAValidationSplitResumesToTheSameStopAndBestParameters(bool compile)
    {
        // A high rate makes the validation loss turn: the run stops early, and keeps parameters older than its last ones.
        var options = new TrainOptions { Epochs = 60, BatchSize = 16, Seed = 2, ValidationSplit = 0.2, Patience = 3, Compile = compile };
        var uninterrupted = Fit("momentum", options with { });
        Assert.True(uninterrupted.History.StoppedEarly, $"the run should stop early: {uninterrupted.History.StopReason}");
        int stop = uninterrupted.History.Epochs.Count;
        Assert.NotSame(uninterrupted.Parameters, uninterrupted.Checkpoint!.Parameters);
        foreach (int k in new[] { 1, stop - 2, stop - 1 })
        {
            string path = TempFile();
            Assert.Throws<Interrupted>(() => Fit("momentum", options with { CheckpointPath = path }, interruptAfter: k));
            var resumed = Fit("momentum", options, resumeFrom: Checkpoint.Load(path));
            AssertSameRun(uninterrupted, resumed, $"early stopping, interrupted after epoch {k}");
        }

        // The checkpoint written at the stop holds a finished run: resuming it trains no more and returns the same result.
        string last = TempFile();
        Fit("momentum", options with { CheckpointPath = last, CheckpointEvery = 1000 });
        var finished = Checkpoint.Load(last);
        Assert.Equal(stop, finished.Epoch);
        Assert.True(finished.IsFinished(options.Epochs));
        AssertSameRun(uninterrupted, Fit("momentum", options, resumeFrom: finished), "resuming a finished run");
    }

    [Fact]
    public void ASeparateValidationSetAndATargetLossResumeExactly()
    {
        var (train, validation) = Datasets.Iris().Split(0.3, new Generator(8));
        var options = new TrainOptions { Epochs = 8, BatchSize = 10, Seed = 5, TargetLoss = 0.2 };
        var uninterrupted = Fit("adam", options, validation: validation, data: train);
        Assert.All(uninterrupted.History.Epochs, e => Assert.NotNull(e.ValidationLoss));
        var first = Fit("adam", options with { Epochs = 3 }, validation: validation, data: train);
        var resumed = Fit("adam", options, validation: validation, data: train, resumeFrom: first.Checkpoint);
        AssertSameRun(uninterrupted, resumed, "separate validation set");
    }

    [Fact]
    public void CheckpointEveryNEpochsWritesOnTheNthAndTheLast()
    {
        string path = TempFile();
        var epochs = new List<int>();
        var options = new TrainOptions { Epochs = 7, BatchSize = 50, Seed = 1, CheckpointPath = path, CheckpointEvery = 3 };
        Trainer.Fit((p, x) => Net.Apply(p, x), Net.Init(new Generator(4)), (o, y) => Loss.CrossEntropy(o, y), Optimizer("adam"), Datasets.Iris(), options,
            onEpoch: _ => epochs.Add(File.Exists(path) ? Checkpoint.Load(path).Epoch : 0)); // onEpoch runs after the epoch's checkpoint
        Assert.Equal([0, 0, 3, 3, 3, 6, 7], epochs);
        Assert.Equal(7, Checkpoint.Load(path).Epoch);
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left beside it
    }

    [Fact]
    public void ACheckpointReadsBackExactly()
    {
        string path = TempFile();
        var result = Fit("cosine", new TrainOptions { Epochs = 3, BatchSize = 16, Seed = 3, ValidationSplit = 0.2, Patience = 5, CheckpointPath = path, DType = DType.Float64 });
        var saved = result.Checkpoint!;
        var loaded = Checkpoint.Load(path);
        Assert.Equal(path, loaded.Source);
        Assert.Null(saved.Source);
        Assert.Equal(saved.Epoch, loaded.Epoch);
        Assert.Equal(saved.Shuffle, loaded.Shuffle);
        Assert.Equal(BitConverter.DoubleToInt64Bits(saved.BestValidationLoss), BitConverter.DoubleToInt64Bits(loaded.BestValidationLoss));
        Assert.Equal(saved.EpochsSinceBest, loaded.EpochsSinceBest);
        Assert.Equal(saved.FirstLoss, loaded.FirstLoss);
        Assert.Equal(saved.Optimizer, loaded.Optimizer);
        Assert.Equal(saved.TrainingData, loaded.TrainingData);
        Assert.Equal(saved.Options with { CheckpointMetadata = null }, loaded.Options with { CheckpointMetadata = null });
        AssertSameTrees(saved.Parameters, loaded.Parameters, "parameters");
        AssertSameTrees(saved.OptimizerState, loaded.OptimizerState, "optimizer state");
        AssertSameTrees(saved.BestParameters, loaded.BestParameters, "best parameters");
        AssertSameHistory(saved.History, loaded.History, "history");
        Assert.Equal(saved.History.Epochs.Select(e => e.Seconds), loaded.History.Epochs.Select(e => e.Seconds));
        Assert.StartsWith("150 rows × 4 features, 3 classes, hash ", saved.TrainingData);
        Assert.Contains("Sgd(lr: cosine(0.1, tMax: 60", saved.Optimizer);
    }

    [Fact]
    public void ResumingNeverReleasesOrChangesTheCheckpointsTensors()
    {
        var options = new TrainOptions { Epochs = 4, BatchSize = 16, Seed = 3, ValidationSplit = 0.2, Patience = 10 };
        foreach (bool compile in new[] { true, false })
        {
            var first = Fit("adam", options with { Epochs = 2, Compile = compile });
            var checkpoint = first.Checkpoint!;
            var before = checkpoint.Parameters.Leaves().Select(l => Bits(l.Value)).ToArray();
            using (TensorScope.Begin())
            {
                Fit("adam", options with { Compile = compile }, resumeFrom: checkpoint);
            }

            Assert.Equal(before, checkpoint.Parameters.Leaves().Select(l => Bits(l.Value)).ToArray());
            Assert.All(checkpoint.OptimizerState.Leaves(), l => Assert.NotEmpty(Bits(l.Value)));
            Assert.All(checkpoint.BestParameters.Leaves(), l => Assert.NotEmpty(Bits(l.Value)));
        }
    }

    [Theory]
    [InlineData("TrainOptions.BatchSize", "batch")]
    [InlineData("TrainOptions.Seed", "seed")]
    [InlineData("TrainOptions.DType", "dtype")]
    [InlineData("TrainOptions.ValidationSplit", "split")]
    [InlineData("TrainOptions.ClipGradientNorm", "clip")]
    [InlineData("optimizer", "optimizer")]
    [InlineData("parameters '0.W'", "network")]
    [InlineData("training data", "data")]
    public void ResumingADifferentRunIsRefusedNamingTheField(string field, string change)
    {
        string path = TempFile();
        var options = new TrainOptions { Epochs = 2, BatchSize = 16, Seed = 3, CheckpointPath = path };
        Fit("adam", options);
        var checkpoint = Checkpoint.Load(path);
        var net = change == "network" ? new Mlp([4, 5, 3], [Activation.Tanh, Activation.Linear]) : Net;
        var dtype = change == "dtype" ? DType.Float64 : DType.Float32;
        var changed = change switch
        {
            "batch" => options with { BatchSize = 8 },
            "seed" => options with { Seed = 4 },
            "dtype" => options with { DType = DType.Float64 },
            "split" => options with { ValidationSplit = 0.1 },
            "clip" => options with { ClipGradientNorm = 1.0 },
            _ => options,
        };
        var data = change == "data" ? Datasets.Iris().Subset(Enumerable.Range(0, 149).ToArray()) : Datasets.Iris();
        var optimizer = change == "optimizer" ? new Adam(0.02) : Optimizer("adam");
        var e = Assert.Throws<InvalidDataException>(() => Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(4), dtype), (o, y) => Loss.CrossEntropy(o, y),
            optimizer, data, changed with { Epochs = 4 }, resumeFrom: checkpoint));
        Assert.Contains($"{path}: cannot resume: {field} differs", e.Message);
    }

    [Fact]
    public void AModelFileOrABrokenCheckpointIsAClearError()
    {
        string model = TempFile();
        Serialization.SafeTensors.Save(model, Net.Init(new Generator(1)));
        Assert.Contains("not an AutoGrad checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(model)).Message);

        string path = TempFile();
        Fit("adam", new TrainOptions { Epochs = 1, BatchSize = 50, CheckpointPath = path });
        var (tree, metadata) = Serialization.SafeTensors.Load(path);
        var broken = metadata.ToDictionary();
        broken["state"] = broken["state"].Replace("\"s0\":", "\"s0_\":", StringComparison.Ordinal);
        Serialization.SafeTensors.Save(path, tree, broken);
        Assert.Contains("checkpoint field 'state.generator.s0' is missing", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);

        broken = metadata.ToDictionary();
        broken["format_version"] = "99";
        Serialization.SafeTensors.Save(path, tree, broken);
        Assert.Contains("format_version 99 is not supported", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void ResumingAndAnInitialOptimizerStateTogetherAreRefused()
    {
        var first = Fit("adam", new TrainOptions { Epochs = 1, BatchSize = 50 });
        Assert.Throws<ArgumentException>(() => Trainer.Fit((p, x) => Net.Apply(p, x), Net.Init(new Generator(4)), (o, y) => Loss.CrossEntropy(o, y), new Adam(0.01),
            Datasets.Iris(), new TrainOptions { Epochs = 2, BatchSize = 50 }, initialOptimizerState: first.OptimizerState, resumeFrom: first.Checkpoint));
    }
}

/// <summary>Generator.State and Generator.FromState: the draws continue exactly, a pending normal draw included.</summary>
public class GeneratorStateTests
{
    [Fact]
    public void AGeneratorFromAnotherOnesStateDrawsWhatThatOneWouldHaveDrawn()
    {
        var a = new Generator(42);
        a.Permutation(10);
        a.NextNormal(); // leaves the polar method's second draw pending: part of the state
        var b = Generator.FromState(a.State);
        Assert.Equal(a.State, b.State);
        Assert.Equal(42UL, b.Seed);
        Assert.Equal(a.NextNormal(), b.NextNormal());
        Assert.Equal(a.Permutation(50), b.Permutation(50));
        Assert.Equal(Enumerable.Range(0, 5).Select(_ => a.NextUInt64()), Enumerable.Range(0, 5).Select(_ => b.NextUInt64()));
        Assert.Equal(a.NextDouble(), b.NextDouble());
    }

    [Fact]
    public void AStateNoGeneratorReachesIsRefused()
    {
        Assert.Contains("all zero", Assert.Throws<ArgumentException>(() => Generator.FromState(new GeneratorState(1, 0, 0, 0, 0, null))).Message);
        Assert.Throws<ArgumentException>(() => Generator.FromState(new Generator(1).State with { SpareNormal = double.NaN }));
    }
}

/// <summary>The Keras-like Model: SaveCheckpoint/LoadCheckpoint and Fit's checkpointPath continue a run exactly.</summary>
public class ModelCheckpointTests
{
    private static Model NewModel(double learningRate = 0.05) =>
        new Model(new Mlp([4, 8, 3], [Activation.Relu]), new Generator(1)).Compile(new Adam(learningRate), (o, y) => Loss.CrossEntropy(o, y), "loss", "accuracy");

    [Fact]
    public void AModelResumedFromItsCheckpointEndsWhereTheUninterruptedOneEnds()
    {
        var iris = Datasets.Iris();
        var whole = NewModel();
        var wholeHistory = whole.Fit(iris, epochs: 8, batchSize: 16, validationSplit: 0.2, seed: 3);

        string path = Path.Combine(Directory.CreateTempSubdirectory("autograd-model-").FullName, "run.ckpt");
        var crashed = NewModel();
        Assert.ThrowsAny<OperationCanceledException>(() => crashed.Fit(iris, epochs: 8, batchSize: 16, validationSplit: 0.2, seed: 3,
            onEpoch: m => { if (m.Epoch == 5) { throw new OperationCanceledException(); } }, checkpointPath: path));

        var resumed = NewModel().LoadCheckpoint(path);
        var history = resumed.Fit(iris, epochs: 8, batchSize: 16, validationSplit: 0.2); // the seed comes from the checkpoint
        ResumeTests.AssertSameTrees(whole.Parameters, resumed.Parameters, "model parameters");
        ResumeTests.AssertSameHistory(wholeHistory, history, "model history");

        // SaveCheckpoint after Fit, then three more epochs on a fresh model: the same as eleven in one go.
        whole.SaveCheckpoint(path);
        var eleven = NewModel();
        eleven.Fit(iris, epochs: 11, batchSize: 16, validationSplit: 0.2, seed: 3);
        var more = NewModel().LoadCheckpoint(path);
        more.Fit(iris, epochs: 11, batchSize: 16, validationSplit: 0.2);
        ResumeTests.AssertSameTrees(eleven.Parameters, more.Parameters, "eleven epochs");
    }

    [Fact]
    public void LoadingAnotherNetworksCheckpointOrSavingBeforeFitIsAClearError()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("autograd-model-").FullName, "run.ckpt");
        Assert.Contains("call Fit first", Assert.Throws<InvalidOperationException>(() => NewModel().SaveCheckpoint(path)).Message);
        var model = NewModel();
        model.Fit(Datasets.Iris(), epochs: 1, checkpointPath: path);
        var other = new Model(new Mlp([4, 5, 3], [Activation.Relu]), new Generator(1));
        Assert.Contains("cannot resume: network differs", Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(path)).Message);

        // Another optimizer (here another rate) is refused when Fit resumes.
        var differentRate = NewModel(learningRate: 0.1).LoadCheckpoint(path);
        Assert.Contains("cannot resume: optimizer differs", Assert.Throws<InvalidDataException>(() => differentRate.Fit(Datasets.Iris(), epochs: 2)).Message);
    }
}
