using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;

namespace AutoGrad.Distributed.Tests;

/// <summary>
/// One training run, the same in the test process (single-process reference) and in each MPI rank: a 4-16-3 tanh network in
/// float64 on the first <see cref="Rows"/> rows of Iris (standardized).
/// </summary>
internal sealed record Scenario(string Optimizer = "sgd", int Rows = 150, int Batch = 12, int Epochs = 4, bool Compile = true, ulong Seed = 7, int Hidden = 16,
    double ValidationSplit = 0, bool UseModel = false)
{
    public static Scenario Parse(IReadOnlyDictionary<string, string> a) => new()
    {
        Optimizer = a.GetValueOrDefault("optimizer", "sgd"),
        Rows = int.Parse(a.GetValueOrDefault("rows", "150"), CultureInfo.InvariantCulture),
        Batch = int.Parse(a.GetValueOrDefault("batch", "12"), CultureInfo.InvariantCulture),
        Epochs = int.Parse(a.GetValueOrDefault("epochs", "4"), CultureInfo.InvariantCulture),
        Compile = bool.Parse(a.GetValueOrDefault("compile", "true")),
        Seed = ulong.Parse(a.GetValueOrDefault("seed", "7"), CultureInfo.InvariantCulture),
        Hidden = int.Parse(a.GetValueOrDefault("hidden", "16"), CultureInfo.InvariantCulture),
        ValidationSplit = double.Parse(a.GetValueOrDefault("validation", "0"), CultureInfo.InvariantCulture),
        UseModel = bool.Parse(a.GetValueOrDefault("model", "false")),
    };

    public string Arguments => string.Create(CultureInfo.InvariantCulture,
        $"--optimizer {Optimizer} --rows {Rows} --batch {Batch} --epochs {Epochs} --compile {Compile} --seed {Seed} --hidden {Hidden} --validation {ValidationSplit} --model {UseModel}");

    public TrainResult Fit(IDataParallel? group, Action<EpochMetrics>? onEpoch = null)
    {
        var iris = Datasets.Iris();
        var (mean, std) = iris.FeatureStatistics();
        var data = iris.Standardize(mean, std).Subset(Enumerable.Range(0, Rows).ToArray());
        var net = new Mlp([4, Hidden, 3], [Activation.Tanh]);
        var parameters = net.Init(new Generator(Seed + (ulong)(group?.Rank ?? 0)), DType.Float64); // rank 0's are broadcast
        IOptimizer optimizer = Optimizer switch
        {
            "sgd" => new Sgd(0.1),
            "momentum" => new Sgd(0.05, momentum: 0.9),
            "adam" => new Adam(0.01),
            _ => throw new ArgumentException($"unknown optimizer {Optimizer}"),
        };
        if (UseModel)
        {
            // The Keras-like Model over the same pieces: its DataParallel property reaches Trainer.Fit.
            var keras = new Model(net, new Generator(Seed + (ulong)(group?.Rank ?? 0)), DType.Float64) { DataParallel = group }
                .Compile(optimizer, (o, y) => Loss.CrossEntropy(o, y), "loss", "accuracy");
            var history = keras.Fit(data, Epochs, Batch, ValidationSplit, seed: Seed, onEpoch: onEpoch);
            return new TrainResult(keras.Parameters, new TensorTree(), history);
        }

        var options = new TrainOptions
        {
            Epochs = Epochs,
            BatchSize = Batch,
            Seed = Seed,
            Compile = Compile,
            ValidationSplit = ValidationSplit,
            DataParallel = group,
        };
        return Trainer.Fit((p, x) => net.Apply(p, x), parameters, (o, y) => Loss.CrossEntropy(o, y), optimizer, data, options, onEpoch: onEpoch);
    }
}
