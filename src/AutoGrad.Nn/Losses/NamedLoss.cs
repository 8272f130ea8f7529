using AutoGrad.Nn.Training;

namespace AutoGrad.Nn.Losses;

/// <summary>
/// A loss chosen by name (<see cref="Loss.FromName"/>), as Keras's <c>compile(loss="…")</c> and the command line's
/// <c>--loss</c> take it: the loss function together with what it expects of the network's outputs, so that
/// <c>Model.Compile</c> can refuse a network whose last activation does not fit it (a Softmax before a loss on logits).
/// </summary>
public sealed class NamedLoss
{
    private readonly LossFunction _function;

    internal NamedLoss(string name, bool? fromLogits, bool takesClassLabels, LossFunction function)
    {
        Name = name;
        FromLogits = fromLogits;
        TakesClassLabels = takesClassLabels;
        _function = function;
    }

    /// <summary>The canonical (Keras) name, e.g. <c>sparse_categorical_crossentropy</c> for <c>cross-entropy</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// What a cross-entropy takes: true for logits (a linear last layer), false for probabilities (a Softmax or Sigmoid last
    /// layer). Null for the losses that compare values (squared and absolute errors, Huber), which take any outputs.
    /// </summary>
    public bool? FromLogits { get; }

    /// <summary>True for the categorical cross-entropies, which need class labels (a classification dataset).</summary>
    public bool TakesClassLabels { get; }

    /// <summary>The loss as the trainer takes it.</summary>
    public LossFunction Function => _function;

    /// <summary>The loss of <paramref name="outputs"/> against <paramref name="targets"/> (int32 labels or float targets).</summary>
    public Tensor Apply(Tensor outputs, Tensor targets) => _function(outputs, targets);

    /// <summary>The loss as a <see cref="LossFunction"/>, for <c>Trainer.Fit</c> and the other APIs that take one.</summary>
    public static implicit operator LossFunction(NamedLoss loss) => (loss ?? throw new ArgumentNullException(nameof(loss)))._function;

    /// <inheritdoc/>
    public override string ToString() => FromLogits is { } logits ? $"{Name} (fromLogits: {(logits ? "true" : "false")})" : Name;
}
