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

    // The last run as it stood after its last epoch (or the checkpoint loaded), and whether the next Fit continues it.
    private Checkpoint? _checkpoint;
    private bool _resumePending;

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

    /// <summary>
    /// Train data-parallel over this group of processes in <see cref="Fit"/> (<see cref="TrainOptions.DataParallel"/>;
    /// null, the default: in this process alone). Every rank builds the same model and calls Fit alike.
    /// </summary>
    public IDataParallel? DataParallel { get; set; }

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
    /// state (as Keras does); shuffles come from the model's own generator unless a seed is given. After
    /// <see cref="LoadCheckpoint"/>, it instead continues the checkpoint's run up to <paramref name="epochs"/> epochs in
    /// all (as Keras's <c>initial_epoch</c>), bit for bit as if it had never stopped; the history then holds every epoch.
    /// </summary>
    /// <param name="data">The training data.</param>
    /// <param name="epochs">The epoch limit.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="validationSplit">A fraction of <paramref name="data"/> held out for validation.</param>
    /// <param name="seed">The seed for shuffling and the split (a resumed run's own when null).</param>
    /// <param name="patience">Early stopping's patience (needs a validation split).</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="checkpointPath">Write a checkpoint (<see cref="Checkpoint"/>) to this file every <paramref name="checkpointEvery"/> epochs and after the last; none when null.</param>
    /// <param name="checkpointEvery">Epochs between checkpoints.</param>
    public History Fit(Dataset data, int epochs, int batchSize = 32, double validationSplit = 0, ulong? seed = null, int? patience = null, Action<EpochMetrics>? onEpoch = null,
        string? checkpointPath = null, int checkpointEvery = 1)
    {
        var (optimizer, loss) = Compiled();
        var resume = _resumePending ? _checkpoint : null;
        var options = new TrainOptions
        {
            Epochs = epochs,
            BatchSize = batchSize,
            ValidationSplit = validationSplit,
            Seed = seed ?? resume?.Options.Seed ?? _generator.NextUInt64(),
            Patience = patience,
            DType = DType,
            CheckpointPath = checkpointPath,
            CheckpointEvery = checkpointEvery,
            CheckpointMetadata = new Dictionary<string, string> { [NetworkKey] = Describe(Network) },
            DataParallel = DataParallel,
        };
        var result = Trainer.Fit((p, x) => Network.Apply(p, x), Parameters, loss, optimizer, data, options,
            onEpoch: onEpoch, initialOptimizerState: resume is null ? _optimizerState : null, resumeFrom: resume);
        Parameters = result.Parameters;
        _optimizerState = result.OptimizerState;
        _checkpoint = result.Checkpoint;
        _resumePending = false;
        return result.History;
    }

    /// <summary>
    /// Saves the last <see cref="Fit"/>'s run as it stood after its last epoch (parameters, optimizer state, shuffle state,
    /// epoch, history) to a checkpoint file, written atomically; <see cref="LoadCheckpoint"/> continues it. To save only the
    /// parameters, use <c>SafeTensors.Save(path, model.Parameters)</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Fit has run (and no checkpoint was loaded): there is no run to save.</exception>
    public void SaveCheckpoint(string path)
    {
        var checkpoint = _checkpoint ?? throw new InvalidOperationException("Model.SaveCheckpoint: no training run to checkpoint yet; call Fit first (SafeTensors.Save(path, model.Parameters) saves just the parameters)");
        checkpoint.Save(path);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="SaveCheckpoint"/> or by <see cref="Fit"/>'s <c>checkpointPath</c>: the model
    /// takes its parameters (early stopping's best, when the run has them) and optimizer state, and the next
    /// <see cref="Fit"/> continues its run (same batch size, split, patience and optimizer; the seed is the checkpoint's).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or it was made for another network or dtype.</exception>
    public Model LoadCheckpoint(string path)
    {
        var checkpoint = Checkpoint.Load(path);
        string network = Describe(Network);
        if (!checkpoint.Metadata.TryGetValue(NetworkKey, out var saved) || saved != network)
        {
            throw new InvalidDataException($"{path}: cannot resume: network differs: the checkpoint has '{saved ?? "(none)"}', this model is '{network}'");
        }

        if (checkpoint.Options.DType != DType)
        {
            throw new InvalidDataException($"{path}: cannot resume: dtype differs: the checkpoint has {checkpoint.Options.DType?.Name()}, this model {DType.Name()}");
        }

        Parameters = checkpoint.Options.Patience is null ? checkpoint.Parameters : checkpoint.BestParameters;
        _optimizerState = checkpoint.OptimizerState;
        _checkpoint = checkpoint;
        _resumePending = true;
        return this;
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

    /// <summary>The checkpoint metadata key of the network's description.</summary>
    private const string NetworkKey = "network";

    /// <summary>The network's description, culture-independent: it is compared with a saved one.</summary>
    private static string Describe(Mlp network) =>
        $"{string.Join("-", network.Sizes)}; {string.Join(", ", network.Activations.Select(a => a.Name))}";

    private (IOptimizer, LossFunction) Compiled() =>
        _optimizer is not null && _loss is not null ? (_optimizer, _loss) : throw new InvalidOperationException("Model: call Compile(optimizer, loss) before Fit or Evaluate");
}
