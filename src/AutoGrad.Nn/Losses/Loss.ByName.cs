namespace AutoGrad.Nn.Losses;

public static partial class Loss
{
    /// <summary>
    /// The names <see cref="FromName"/> accepts (case-insensitive): Keras's <c>sparse_categorical_crossentropy</c>,
    /// <c>categorical_crossentropy</c>, <c>binary_crossentropy</c>, <c>mean_squared_error</c> (<c>mse</c>),
    /// <c>mean_absolute_error</c> (<c>mae</c>) and <c>huber</c>, and the command line's <c>cross-entropy</c> (<c>ce</c>) and
    /// <c>half-mse</c>.
    /// </summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "sparse_categorical_crossentropy", "categorical_crossentropy", "cross-entropy", "ce", "binary_crossentropy",
        "mean_squared_error", "mse", "half-mse", "mean_absolute_error", "mae", "huber",
    ];

    /// <summary>
    /// A loss by name, as Keras's <c>compile(loss="…")</c>; the one parser behind <c>Model.Compile</c>'s names and the command
    /// line's <c>--loss</c>.
    /// <list type="bullet">
    /// <item><c>sparse_categorical_crossentropy</c> (<c>cross-entropy</c>, <c>ce</c>) and <c>categorical_crossentropy</c>:
    /// <see cref="CrossEntropy"/>, which takes int32 labels [n] or one-hot (probability) targets [n, classes] alike;
    /// on logits unless <paramref name="fromLogits"/> is false.</item>
    /// <item><c>binary_crossentropy</c>: <see cref="BinaryCrossEntropy"/>, on probabilities (a sigmoid's outputs) unless
    /// <paramref name="fromLogits"/> is true.</item>
    /// <item><c>mean_squared_error</c> (<c>mse</c>), <c>half-mse</c> (½·MSE), <c>mean_absolute_error</c> (<c>mae</c>),
    /// <c>huber</c>: against float targets, or against int32 labels [n] taken as one-hot rows when the outputs are
    /// [n, classes] (the classic MSE-trained classifiers).</item>
    /// </list>
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="fromLogits">
    /// For the cross-entropies, Keras's <c>from_logits</c>; null keeps each one's default, which is the library's: logits for
    /// the categorical ones (unlike Keras, whose default is probabilities: see <see cref="Loss"/>'s remarks),
    /// probabilities for the binary one.
    /// </param>
    /// <exception cref="ArgumentException">An unknown name (the message lists <see cref="Names"/>), or <paramref name="fromLogits"/> given for a loss that is not a cross-entropy.</exception>
    public static NamedLoss FromName(string name, bool? fromLogits = null)
    {
        string lower = (name ?? "").Trim().ToLowerInvariant();
        if (fromLogits is not null && lower is "mean_squared_error" or "mse" or "half-mse" or "mean_absolute_error" or "mae" or "huber")
        {
            throw new ArgumentException($"Loss.FromName: fromLogits applies to the cross-entropies, not to '{name}', which compares the outputs with the targets as they are");
        }

        switch (lower)
        {
            case "sparse_categorical_crossentropy" or "cross-entropy" or "ce" or "categorical_crossentropy":
            {
                bool logits = fromLogits ?? true;
                string canonical = lower == "categorical_crossentropy" ? lower : "sparse_categorical_crossentropy";
                return new NamedLoss(canonical, logits, takesClassLabels: true, (o, y) => CrossEntropy(o, y, fromLogits: logits));
            }

            case "binary_crossentropy":
            {
                bool logits = fromLogits ?? false;
                return new NamedLoss(lower, logits, takesClassLabels: false, (o, y) => BinaryCrossEntropy(o, y, fromLogits: logits));
            }

            case "mean_squared_error" or "mse":
                return Regression("mean_squared_error", (o, t) => MeanSquaredError(o, t));
            case "half-mse":
                return Regression("half-mse", (o, t) => HalfMeanSquaredError(o, t));
            case "mean_absolute_error" or "mae":
                return Regression("mean_absolute_error", (o, t) => MeanAbsoluteError(o, t));
            case "huber":
                return Regression("huber", (o, t) => Huber(o, t));
            default:
                throw new ArgumentException($"unknown loss '{name}'; choose one of: {string.Join(", ", Names)}");
        }
    }

    /// <summary>A regression loss that also takes int32 labels [n] against outputs [n, classes], as one-hot rows.</summary>
    private static NamedLoss Regression(string name, Func<Tensor, Tensor, Tensor> loss) =>
        new(name, null, takesClassLabels: false, (outputs, targets) =>
            targets.DType == DType.Int32 && targets.Rank == 1 && outputs.Rank == 2 && outputs.Shape[1] > 1
                ? loss(outputs, targets.OneHot(outputs.Shape[1], outputs.DType))
                : loss(outputs, targets));
}
