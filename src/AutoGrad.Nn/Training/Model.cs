using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;

namespace AutoGrad.Nn.Training;

/// <summary>
/// A Keras-like convenience for users who want it: compile with an optimizer, a loss and metrics, then
/// fit, evaluate and predict. It holds the current parameters and optimizer state between calls, but all
/// the work is done by the same pure pieces (<see cref="Mlp"/>, <see cref="Trainer"/>, the optimizer's
/// <c>Update</c>), which remain the way to go for anything custom.
/// </summary>
/// <remarks>
/// Keras's habits hold: <c>Compile("adam", "sparse_categorical_crossentropy", "accuracy")</c> takes Keras's names
/// (<see cref="Optimizers.FromName"/>, <see cref="Loss.FromName"/>); <see cref="Fit"/> prints a line per epoch unless
/// <c>verbose: false</c>; <see cref="Parameters"/> are read and replaced by path ("0.W", "1.b"). One habit is refused: a
/// network ending in Softmax with a loss that takes logits (the library's cross-entropy default), see
/// <see cref="Compile(IOptimizer, NamedLoss, string[])"/>.
/// </remarks>
public sealed class Model
{
    private IOptimizer? _optimizer;
    private LossFunction? _loss;
    private TensorTree? _optimizerState;
    private TensorTree _parameters;
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
        _parameters = network.Init(generator, dtype);
        _generator = generator.Fork();
    }

    /// <summary>The network.</summary>
    public Mlp Network { get; }

    /// <summary>The float dtype of parameters and batches.</summary>
    public DType DType { get; }

    /// <summary>
    /// The current parameters (replaced, never mutated, by <see cref="Fit"/>): the network's tree, one subtree per dense
    /// layer named by its index, "0" for the first, each with its weights "W" [inputs, outputs] and bias "b" [outputs]. A
    /// parameter's path joins the names with dots: <c>model.Parameters["0.W"]</c> is the first layer's weights,
    /// <c>Subtree("1")</c> the second layer's {W, b}; <c>Console.WriteLine(model.Parameters)</c> lists every path with its dtype
    /// and shape. The same paths name the tensors in a saved file (<c>SafeTensors.Save(path, model.Parameters)</c>).
    /// </summary>
    /// <remarks>
    /// Set it to replace parameters, e.g. one layer's: <c>model.Parameters = model.Parameters.Map((path, t) =&gt; path ==
    /// "0.W" ? newW : t)</c>. The new tree must have the same paths, shapes and dtype; the optimizer state is kept, as Keras's
    /// <c>set_weights</c> keeps it. After <see cref="LoadCheckpoint"/>, setting it makes the next <see cref="Fit"/> a new run
    /// from these parameters instead of the checkpoint's exact continuation.
    /// </remarks>
    /// <exception cref="ArgumentException">The tree differs from the network's layout; the message names the first path that differs.</exception>
    public TensorTree Parameters
    {
        get => _parameters;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            CheckLayout(value);
            _parameters = value;
            _resumePending = false;
        }
    }

    /// <summary>
    /// Train data-parallel over this group of processes in <see cref="Fit"/> (<see cref="TrainOptions.DataParallel"/>;
    /// null, the default: in this process alone). Every rank builds the same model and calls Fit alike.
    /// </summary>
    public IDataParallel? DataParallel { get; set; }

    /// <summary>The metrics requested at compile time.</summary>
    public IReadOnlyList<string> MetricNames { get; private set; } = [];

    /// <summary>
    /// Chooses the optimizer, the loss and the metrics to report ("loss", "accuracy").
    /// </summary>
    /// <remarks>
    /// When the network ends in Softmax or Sigmoid (its outputs are probabilities), Compile calls <paramref name="loss"/> once
    /// on a one-row probe, a perfect prediction, to catch a loss that applies softmax (or a sigmoid) to them again: a loss on
    /// logits such as <c>(o, y) =&gt; Loss.CrossEntropy(o, y)</c> gives there exactly the value of softmax cross-entropy on
    /// logits [1, 0, …], where a loss on probabilities gives 0. Such a pair is refused (see <see cref="Compile(IOptimizer, NamedLoss, string[])"/>).
    /// A loss that throws on the probe is not checked.
    /// </remarks>
    /// <exception cref="ArgumentException">An unknown metric, or a loss on logits after a Softmax or Sigmoid last layer.</exception>
    public Model Compile(IOptimizer optimizer, LossFunction loss, params string[] metrics)
    {
        ArgumentNullException.ThrowIfNull(loss);
        CheckProbe(loss);
        return Configure(optimizer, loss, metrics);
    }

    /// <summary>
    /// Chooses the optimizer, a loss made by name (<see cref="Loss.FromName"/>) and the metrics, as Keras's
    /// <c>compile(optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=…))</c>.
    /// </summary>
    /// <remarks>
    /// The loss must fit the network's last activation: a loss on logits (<c>fromLogits: true</c>, the library's default for
    /// the categorical cross-entropies) after a Softmax or Sigmoid would apply it twice and train on softmax(softmax(z))
    /// (Keras's <c>from_logits</c> habit: 83.6 % instead of 92 % after one MNIST epoch, without an error), and a loss on
    /// probabilities (<c>fromLogits: false</c>) after any other activation would take the log of values that are not
    /// probabilities. Both are refused here, naming the activation, the loss and the two ways out.
    /// </remarks>
    /// <exception cref="ArgumentException">An unknown metric, or a loss that does not fit the network's last activation.</exception>
    public Model Compile(IOptimizer optimizer, NamedLoss loss, params string[] metrics)
    {
        ArgumentNullException.ThrowIfNull(loss);
        CheckFits(loss);
        return Configure(optimizer, loss.Function, metrics);
    }

    /// <summary>
    /// Chooses the optimizer and the loss by their Keras names, as <c>compile(optimizer="adam",
    /// loss="sparse_categorical_crossentropy", metrics=["accuracy"])</c>: <see cref="Optimizers.FromName"/> (with Keras's default
    /// learning rate for the name) and <see cref="Loss.FromName"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), or a loss that does not fit the network's last activation.</exception>
    public Model Compile(string optimizer, string loss, params string[] metrics) => Compile(Optimizers.FromName(optimizer), Loss.FromName(loss), metrics);

    /// <summary>An optimizer by its Keras name (<see cref="Optimizers.FromName"/>), a loss made by name.</summary>
    /// <exception cref="ArgumentException">An unknown name, or a loss that does not fit the network's last activation.</exception>
    public Model Compile(string optimizer, NamedLoss loss, params string[] metrics) => Compile(Optimizers.FromName(optimizer), loss, metrics);

    /// <summary>An optimizer by its Keras name (<see cref="Optimizers.FromName"/>), a loss function.</summary>
    /// <exception cref="ArgumentException">An unknown name, or a loss on logits after a Softmax or Sigmoid last layer.</exception>
    public Model Compile(string optimizer, LossFunction loss, params string[] metrics) => Compile(Optimizers.FromName(optimizer), loss, metrics);

    /// <summary>An optimizer, a loss by its Keras name (<see cref="Loss.FromName"/>).</summary>
    /// <exception cref="ArgumentException">An unknown name, or a loss that does not fit the network's last activation.</exception>
    public Model Compile(IOptimizer optimizer, string loss, params string[] metrics) => Compile(optimizer, Loss.FromName(loss), metrics);

    private Model Configure(IOptimizer optimizer, LossFunction loss, string[] metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
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

    /// <summary>Whether the network's outputs are probabilities: its last activation is Softmax or Sigmoid.</summary>
    private bool OutputsProbabilities => Network.Activations[^1] == Activation.Softmax || Network.Activations[^1] == Activation.Sigmoid;

    /// <summary>Refuses a named loss that does not fit the network's last activation.</summary>
    private void CheckFits(NamedLoss loss)
    {
        string last = Network.Activations[^1].Name;
        if (loss.FromLogits == true && OutputsProbabilities)
        {
            throw new ArgumentException(
                $"Model.Compile: the network {Network} ends in {last}, so its outputs are probabilities, but the loss {loss.Name} takes logits " +
                $"(fromLogits: true) and would apply {(last == "softmax" ? "softmax" : "a sigmoid")} to them again (softmax of softmax trains worse without any error: " +
                $"Keras's from_logits habit). Drop the {last} (end with Activation.Linear: the loss on logits is the stable form), " +
                $"or say the outputs are probabilities: Loss.FromName(\"{loss.Name}\", fromLogits: false)");
        }

        if (loss.FromLogits == false && !OutputsProbabilities)
        {
            throw new ArgumentException(
                $"Model.Compile: the network {Network} ends in {last}, so its outputs are not probabilities, but the loss {loss.Name} takes probabilities " +
                $"(fromLogits: false) and would take their log. End the network with {(loss.TakesClassLabels ? "Softmax" : "Sigmoid")}, " +
                $"or say the outputs are logits: Loss.FromName(\"{loss.Name}\", fromLogits: true)");
        }
    }

    /// <summary>
    /// For a network whose outputs are probabilities, runs <paramref name="loss"/> on a perfect prediction (one-hot row
    /// [1, 0, …] with label 0; for one sigmoid unit, output 1 with label 1) and refuses the loss if it gives the value of a
    /// cross-entropy on logits there, log(e + k − 1) − 1 (log(1 + e) − 1 for one unit): it applies softmax (or a sigmoid) again.
    /// A loss on probabilities gives 0 there. A loss that throws on the probe is left unchecked.
    /// </summary>
    private void CheckProbe(LossFunction loss)
    {
        if (!OutputsProbabilities)
        {
            return;
        }

        int k = Network.Sizes[^1];
        var outputs = Tensor.FromArray(Enumerable.Range(0, k).Select(i => i == 0 ? 1.0 : 0.0).ToArray(), [1, k]).To(DType);
        var labels = Tensor.FromArray(new[] { k == 1 ? 1 : 0 });
        double onLogits = k == 1 ? Math.Log(1 + Math.E) - 1 : Math.Log(Math.E + k - 1) - 1;
        double value;
        try
        {
            value = loss(outputs, labels).Item();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TensorOpException or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException)
        {
            return; // a loss for other targets (float rows, another shape): nothing to learn from the probe
        }

        if (Math.Abs(value - onLogits) <= 1e-4 * Math.Max(1, onLogits))
        {
            string last = Network.Activations[^1].Name;
            throw new ArgumentException(
                $"Model.Compile: the network {Network} ends in {last}, so its outputs are probabilities, but the loss applies " +
                $"{(k == 1 ? "a sigmoid" : "softmax")} to them again: on a perfect prediction it gives {value.ToString("F4", CultureInfo.InvariantCulture)}, " +
                $"the value of a cross-entropy on logits, not 0 (softmax of softmax trains worse without any error: Keras's from_logits habit). " +
                $"Drop the {last} (end with Activation.Linear: the loss on logits is the stable form), or give the loss probabilities: " +
                (k == 1 ? "(o, y) => Loss.BinaryCrossEntropy(o, y)" : "(o, y) => Loss.CrossEntropy(o, y, fromLogits: false)"));
        }
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
    /// <param name="verbose">
    /// Print one line per epoch, as Keras's <c>fit(verbose=2)</c> does: <c>Epoch 3/20 - loss: 0.4120 - accuracy: 0.8833 -
    /// val_loss: 0.4377 - val_accuracy: 0.9167 - 4ms</c> (accuracy when compiled with the "accuracy" metric on a
    /// classification set, the validation figures when there is a validation split), and the reason when a stopping rule
    /// ends the run early. False prints nothing.
    /// </param>
    /// <param name="output">Where the lines go: <see cref="Console.Out"/> (as it is when each line is written) when null.</param>
    public History Fit(Dataset data, int epochs, int batchSize = 32, double validationSplit = 0, ulong? seed = null, int? patience = null, Action<EpochMetrics>? onEpoch = null,
        string? checkpointPath = null, int checkpointEvery = 1, bool verbose = true, TextWriter? output = null)
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
        bool accuracy = data.IsClassification && MetricNames.Contains("accuracy");
        verbose &= DataParallel is not { Rank: > 0 }; // in a data-parallel run only rank 0 prints, as the CLI
        Action<EpochMetrics>? report = !verbose ? onEpoch : m =>
        {
            (output ?? Console.Out).WriteLine(EpochLine(m, epochs, accuracy));
            onEpoch?.Invoke(m);
        };
        int epochsBefore = resume?.Epoch ?? 0;
        var result = Trainer.Fit((p, x) => Network.Apply(p, x), Parameters, loss, optimizer, data, options,
            onEpoch: report, initialOptimizerState: resume is null ? _optimizerState : null, resumeFrom: resume);
        if (verbose && result.History.StoppedEarly && result.History.Epochs.Count > epochsBefore)
        {
            (output ?? Console.Out).WriteLine($"Epoch {result.History.Epochs[^1].Epoch}: {result.History.StopReason}");
        }

        _parameters = result.Parameters;
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

        _parameters = checkpoint.Options.Patience is null ? checkpoint.Parameters : checkpoint.BestParameters;
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

    /// <summary>
    /// One epoch as Keras's <c>verbose=2</c> prints it, on one line: <c>Epoch i/n - loss: … - accuracy: … - val_loss: … -
    /// val_accuracy: … - time</c>, culture-independent.
    /// </summary>
    internal static string EpochLine(EpochMetrics m, int epochs, bool accuracy)
    {
        var line = new System.Text.StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"Epoch {m.Epoch}/{epochs} - loss: {m.Loss:F4}");
        if (accuracy && m.Accuracy is { } a)
        {
            line.Append(CultureInfo.InvariantCulture, $" - accuracy: {a:F4}");
        }

        if (m.ValidationLoss is { } vl)
        {
            line.Append(CultureInfo.InvariantCulture, $" - val_loss: {vl:F4}");
        }

        if (accuracy && m.ValidationAccuracy is { } va)
        {
            line.Append(CultureInfo.InvariantCulture, $" - val_accuracy: {va:F4}");
        }

        line.Append(m.Seconds < 1
            ? string.Create(CultureInfo.InvariantCulture, $" - {m.Seconds * 1000:F0}ms")
            : string.Create(CultureInfo.InvariantCulture, $" - {m.Seconds:F1}s"));
        return line.ToString();
    }

    /// <summary>Refuses parameters whose paths, shapes or dtypes differ from the current ones, naming the first that differs.</summary>
    private void CheckLayout(TensorTree candidate)
    {
        var expected = _parameters.Leaves();
        var given = candidate.Leaves();
        var paths = expected.Select(l => l.Path).ToList();
        if (!given.Select(l => l.Path).SequenceEqual(paths))
        {
            string missing = paths.Except(given.Select(l => l.Path)).FirstOrDefault() is { } m ? $"'{m}' is missing" : $"'{given.Select(l => l.Path).Except(paths).FirstOrDefault() ?? "(order)"}' is not a parameter";
            throw new ArgumentException($"Model.Parameters: {missing}; the network {Network} has [{string.Join(", ", paths)}]");
        }

        for (int i = 0; i < expected.Count; i++)
        {
            var (path, want) = expected[i];
            var have = given[i].Value;
            if (have.Shape != want.Shape || have.DType != want.DType)
            {
                throw new ArgumentException($"Model.Parameters: '{path}' is {have.DType.Name()}{have.Shape}, the network {Network} needs {want.DType.Name()}{want.Shape}");
            }
        }
    }

    /// <summary>The checkpoint metadata key of the network's description.</summary>
    private const string NetworkKey = "network";

    /// <summary>The network's description, culture-independent: it is compared with a saved one.</summary>
    private static string Describe(Mlp network) =>
        $"{string.Join("-", network.Sizes)}; {string.Join(", ", network.Activations.Select(a => a.Name))}";

    private (IOptimizer, LossFunction) Compiled() =>
        _optimizer is not null && _loss is not null ? (_optimizer, _loss) : throw new InvalidOperationException("Model: call Compile(optimizer, loss) before Fit or Evaluate");
}
