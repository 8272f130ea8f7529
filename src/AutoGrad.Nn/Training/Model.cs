using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Optim;

namespace AutoGrad.Nn.Training;

/// <summary>
/// A Keras-like convenience for users who want it: compile with an optimizer, a loss and metrics, then
/// fit, evaluate and predict. It holds the current parameters and optimizer state between calls, but all
/// the work is done by the same pure pieces (<see cref="Mlp"/>, <see cref="Trainer"/>, the optimizer's
/// <c>Update</c>), which remain the way to go for anything custom.
/// </summary>
public sealed class Model
{
    private IOptimizer? _optimizer;
    private LossFunction? _loss;
    private TensorTree? _optimizerState;
    private readonly Generator _generator;

    /// <summary>A model of <paramref name="network"/> with freshly initialized parameters.</summary>
    public Model(Mlp network, Generator generator, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(generator);
        Network = network;
        DType = dtype;
        Parameters = network.Init(generator, dtype);
        _generator = generator.Fork();
    }

    /// <summary>The network.</summary>
    public Mlp Network { get; }

    /// <summary>The float dtype of parameters and batches.</summary>
    public DType DType { get; }

    /// <summary>The current parameters (replaced, never mutated, by <see cref="Fit"/>).</summary>
    public TensorTree Parameters { get; private set; }

    /// <summary>The metrics requested at compile time.</summary>
    public IReadOnlyList<string> MetricNames { get; private set; } = [];

    /// <summary>Chooses the optimizer, the loss and the metrics to report ("loss", "accuracy").</summary>
    public Model Compile(IOptimizer optimizer, LossFunction loss, params string[] metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(metrics);
        var unknown = metrics.Where(m => m is not ("loss" or "accuracy")).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Model.Compile: unknown metric(s) {string.Join(", ", unknown)}; available: loss, accuracy", nameof(metrics));
        }

        _optimizer = optimizer;
        _loss = loss;
        _optimizerState = null;
        MetricNames = metrics.Length == 0 ? ["loss"] : metrics;
        return this;
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs, continuing from the current parameters and optimizer
    /// state (as Keras does); shuffles come from the model's own generator unless a seed is given.
    /// </summary>
    public History Fit(Dataset data, int epochs, int batchSize = 32, double validationSplit = 0, ulong? seed = null, int? patience = null, Action<EpochMetrics>? onEpoch = null)
    {
        var (optimizer, loss) = Compiled();
        var result = Trainer.Fit((p, x) => Network.Apply(p, x), Parameters, loss, optimizer, data,
            new TrainOptions { Epochs = epochs, BatchSize = batchSize, ValidationSplit = validationSplit, Seed = seed ?? _generator.NextUInt64(), Patience = patience, DType = DType },
            onEpoch: onEpoch, initialOptimizerState: _optimizerState);
        Parameters = result.Parameters;
        _optimizerState = result.OptimizerState;
        return result.History;
    }

    /// <summary>The loss and, for classification, the accuracy on <paramref name="data"/>.</summary>
    public (double Loss, double? Accuracy) Evaluate(Dataset data)
    {
        var (_, loss) = Compiled();
        return Trainer.Evaluate((p, x) => Network.Apply(p, x), Parameters, loss, data, DType);
    }

    /// <summary>The network's outputs for inputs [n, features].</summary>
    public Tensor Predict(Tensor inputs) => Network.Apply(Parameters, inputs);

    /// <summary>The network's outputs for every row of <paramref name="data"/>.</summary>
    public Tensor Predict(Dataset data) => Trainer.Predict((p, x) => Network.Apply(p, x), Parameters, data, DType);

    private (IOptimizer, LossFunction) Compiled() =>
        _optimizer is not null && _loss is not null ? (_optimizer, _loss) : throw new InvalidOperationException("Model: call Compile(optimizer, loss) before Fit or Evaluate");
}
