using System.Globalization;
using AutoGrad.Nn.Optim;

namespace AutoGrad.Nn.Training;

/// <summary>
/// A training run as it stood after an epoch: everything <see cref="Trainer.Fit"/> needs to continue it so that the
/// resumed run gives the uninterrupted run's parameters and loss curve bit for bit. That is the parameters, the optimizer
/// state (its step counter is the learning-rate schedule's position), the shuffle generator's state, the epoch, the
/// history, early stopping's best parameters and counters, the first batch's loss (the divergence rule's reference), and,
/// for the consistency check on resume, the options, the optimizer and a fingerprint of the data.
/// </summary>
/// <remarks>
/// <para>
/// Made by <see cref="Trainer.Fit"/> (every <see cref="TrainOptions.CheckpointEvery"/> epochs to
/// <see cref="TrainOptions.CheckpointPath"/>, and as <see cref="TrainResult.Checkpoint"/>), written by <see cref="Save"/>
/// and read by <see cref="Load"/>; hand it to <see cref="Trainer.Fit"/> as <c>resumeFrom</c>, as PyTorch Lightning's
/// <c>fit(ckpt_path=…)</c>. A checkpoint is an immutable value; its trees are never modified or released by the trainer.
/// </para>
/// <para>
/// On disk it is one safetensors file (see <see cref="Save"/>), written to a temporary file and renamed over the target,
/// so a crash at any moment leaves either the previous checkpoint or the new one, never a mixture.
/// </para>
/// </remarks>
public sealed class Checkpoint
{
    /// <summary>The <c>format</c> metadata value that marks a safetensors file as a checkpoint.</summary>
    public const string Format = "autograd-checkpoint";

    /// <summary>The version of the layout written by <see cref="Save"/>; <see cref="Load"/> reads this version only.</summary>
    public const int FormatVersion = 1;

    private readonly Lazy<string> _trainingData;
    private readonly Lazy<string?> _validationData;

    internal Checkpoint(CheckpointContents contents, Lazy<string> trainingData, Lazy<string?> validationData, string? source = null)
    {
        Epoch = contents.Epoch;
        Parameters = contents.Parameters;
        OptimizerState = contents.OptimizerState;
        BestParameters = contents.BestParameters;
        BestValidationLoss = contents.BestValidationLoss;
        EpochsSinceBest = contents.EpochsSinceBest;
        Shuffle = contents.Shuffle;
        History = contents.History;
        FirstLoss = contents.FirstLoss;
        Options = contents.Options;
        Optimizer = contents.Optimizer;
        _trainingData = trainingData;
        _validationData = validationData;
        Source = source;
    }

    /// <summary>The number of epochs completed; a resumed run starts with epoch <c>Epoch + 1</c>.</summary>
    public int Epoch { get; }

    /// <summary>The parameters after epoch <see cref="Epoch"/>: training continues from these.</summary>
    public TensorTree Parameters { get; }

    /// <summary>The optimizer state after epoch <see cref="Epoch"/>, its step counter included (the schedule's position).</summary>
    public TensorTree OptimizerState { get; }

    /// <summary>
    /// The parameters early stopping keeps (those of the best validation loss so far); the same tree as
    /// <see cref="Parameters"/> when the run has no early stopping or its last epoch was its best.
    /// </summary>
    public TensorTree BestParameters { get; }

    /// <summary>The best validation loss so far (+∞ before any), for early stopping.</summary>
    public double BestValidationLoss { get; }

    /// <summary>Epochs since the best validation loss, early stopping's patience counter.</summary>
    public int EpochsSinceBest { get; }

    /// <summary>The shuffle generator's state after epoch <see cref="Epoch"/>: the next epoch's permutation is drawn from it.</summary>
    public GeneratorState Shuffle { get; }

    /// <summary>The metrics of epochs 1 to <see cref="Epoch"/> (and, if a stopping rule ended the run, why).</summary>
    public History History { get; }

    /// <summary>The run's first batch loss, the reference of <see cref="TrainOptions.DivergenceFactor"/> (null before any batch).</summary>
    public double? FirstLoss { get; }

    /// <summary>The options of the run that wrote the checkpoint (its <see cref="TrainOptions.CheckpointMetadata"/> included).</summary>
    public TrainOptions Options { get; }

    /// <summary>The optimizer's description (its <c>ToString()</c>, with hyper-parameters and schedule), compared on resume.</summary>
    public string Optimizer { get; }

    /// <summary>The training data's size and a hash of its values, compared on resume.</summary>
    public string TrainingData => _trainingData.Value;

    /// <summary>The same for a separate validation set (null when there is none, or it is a split of the training data).</summary>
    public string? ValidationData => _validationData.Value;

    /// <summary>The caller's strings stored with the checkpoint (<see cref="TrainOptions.CheckpointMetadata"/>; empty if none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Options.CheckpointMetadata ?? EmptyMetadata;

    /// <summary>The file this checkpoint was loaded from, or null for one made in memory.</summary>
    public string? Source { get; }

    /// <summary>True when training from here has nothing left to do within <paramref name="epochs"/> epochs: a stopping rule ended the run, or the epochs are done.</summary>
    public bool IsFinished(int epochs) => History.StoppedEarly || Epoch >= epochs;

    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();

    /// <summary>
    /// Writes the checkpoint to <paramref name="path"/> atomically (a temporary file renamed over the target, as
    /// <see cref="Serialization.SafeTensors.Save"/> does). The file is a safetensors file whose tensors are the parameters
    /// under <c>params.</c>, the optimizer state under <c>opt.</c> and, when they differ from the parameters, early
    /// stopping's best parameters under <c>best.</c>; its string metadata holds <c>format</c>
    /// (<c>autograd-checkpoint</c>), <c>format_version</c>, and the scalar state and the history as JSON
    /// (<c>state</c>, <c>history</c>). Any safetensors reader can open it; <see cref="Load"/> reads it back exactly.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckpointFile.Save(path, this);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint (e.g. a model file), or a field is missing or malformed; the message names it.</exception>
    public static Checkpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return CheckpointFile.Load(path);
    }

    /// <summary>
    /// Refuses to resume a run that would not continue this one: different options (batch size, seed, dtype, shuffling,
    /// validation split, stopping rules, clipping), optimizer, parameter layout, optimizer-state layout or data. Only the
    /// epoch limit (to train further) and <see cref="TrainOptions.Compile"/> (bitwise the same either way) may change.
    /// </summary>
    internal void CheckResumable(TrainOptions options, IOptimizer optimizer, string optimizerDescription, TensorTree parameters,
        Func<string> trainingData, Func<string?> validationData)
    {
        var saved = Options;
        Same("TrainOptions.BatchSize", saved.BatchSize, options.BatchSize);
        Same("TrainOptions.Seed", saved.Seed, options.Seed);
        Same("TrainOptions.DType", saved.DType?.Name() ?? "the parameters' dtype", options.DType?.Name() ?? "the parameters' dtype");
        Same("TrainOptions.Shuffle", saved.Shuffle, options.Shuffle);
        Same("TrainOptions.ValidationSplit", saved.ValidationSplit, options.ValidationSplit);
        Same("TrainOptions.Patience", saved.Patience, options.Patience);
        Same("TrainOptions.TargetLoss", saved.TargetLoss, options.TargetLoss);
        Same("TrainOptions.ClipGradientNorm", saved.ClipGradientNorm, options.ClipGradientNorm);
        Same("optimizer", Optimizer, optimizerDescription);
        SameLayout("parameters", Parameters, parameters);
        if (!ReferenceEquals(BestParameters, Parameters))
        {
            SameLayout("best parameters", BestParameters, parameters);
        }

        using (TensorScope.Begin()) // the fresh state is only a template of the layout
        {
            SameLayout("optimizer state", OptimizerState, optimizer.Init(parameters));
        }

        Same("training data", TrainingData, trainingData());
        Same("validation data", ValidationData ?? "none", validationData() ?? "none");
    }

    private void Same<T>(string field, T saved, T given)
    {
        if (!EqualityComparer<T>.Default.Equals(saved, given))
        {
            throw Mismatch(field, $"the checkpoint has {Show(saved)}, the run to resume has {Show(given)}");
        }
    }

    private void SameLayout(string field, TensorTree saved, TensorTree given)
    {
        var s = saved.Leaves();
        var g = given.Leaves();
        for (int i = 0; i < Math.Max(s.Count, g.Count); i++)
        {
            if (i >= s.Count || i >= g.Count || s[i].Path != g[i].Path)
            {
                string Leaf(IReadOnlyList<(string Path, Tensor Value)> leaves) => i < leaves.Count ? $"'{leaves[i].Path}'" : "nothing";
                throw Mismatch(field, $"leaf {i + 1} is {Leaf(s)} in the checkpoint but {Leaf(g)} in the run to resume (a different network or optimizer?)");
            }

            var (a, b) = (s[i].Value, g[i].Value);
            if (a.DType != b.DType || a.Shape != b.Shape)
            {
                throw Mismatch($"{field} '{s[i].Path}'", $"the checkpoint has {a.DType.Name()}{a.Shape}, the run to resume has {b.DType.Name()}{b.Shape}");
            }
        }
    }

    /// <summary>The refusal: an <see cref="InvalidDataException"/> whose message names the checkpoint and the field (as a safetensors loader names the tensor).</summary>
    private InvalidDataException Mismatch(string field, string detail) =>
        new($"{Source ?? "checkpoint"}: cannot resume: {field} differs: {detail}");

    private static string Show<T>(T value) => value switch
    {
        null => "none",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>The values a checkpoint is made of (internal: only the trainer and the file reader make checkpoints).</summary>
internal sealed record CheckpointContents(
    int Epoch,
    TensorTree Parameters,
    TensorTree OptimizerState,
    TensorTree BestParameters,
    double BestValidationLoss,
    int EpochsSinceBest,
    GeneratorState Shuffle,
    History History,
    double? FirstLoss,
    TrainOptions Options,
    string Optimizer);
