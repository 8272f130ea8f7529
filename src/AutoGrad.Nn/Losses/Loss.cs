using System.Runtime.CompilerServices;

namespace AutoGrad.Nn.Losses;

/// <summary>
/// Loss functions as plain differentiable compositions (no derivative code), each numerically stable:
/// cross-entropies work from logits through log-softmax or softplus, never log of a rounded probability.
/// Per-sample losses are averaged (or summed) over every sample; per-element losses over every element.
/// </summary>
/// <remarks>
/// <para>
/// Logits or probabilities. <see cref="CrossEntropy"/> takes logits by default (as PyTorch's <c>CrossEntropyLoss</c>, and as
/// every caller of this library has relied on), and <see cref="BinaryCrossEntropy"/> probabilities (as PyTorch's
/// <c>BCELoss</c>); each says otherwise with <c>fromLogits</c>, Keras's <c>from_logits</c>. Keras's default is
/// <c>from_logits=False</c> for both; the library keeps its own defaults, because turning <see cref="CrossEntropy"/> over to
/// probabilities would silently change the loss of every existing network that ends in a linear layer (they would train on
/// log of raw logits, clamped) without an error. A network ending in Softmax given a loss on logits is refused by
/// <c>Model.Compile</c> instead, which sees both.
/// </para>
/// <para>By name, as Keras's <c>compile(loss="…")</c>: <see cref="FromName"/>.</para>
/// </remarks>
public static partial class Loss
{
    /// <summary>
    /// Keras's <c>epsilon()</c>: probabilities given to a cross-entropy with <c>fromLogits: false</c> are clamped to
    /// [ε, 1 − ε] before their log, as Keras clamps them.
    /// </summary>
    public const double ProbabilityEpsilon = 1e-7;

    /// <summary>Mean squared error mean((p − t)²) (PyTorch <c>MSELoss</c>).</summary>
    public static Tensor MeanSquaredError(Tensor predictions, Tensor targets, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("MeanSquaredError", predictions, targets, file, line);
        var d = predictions - targets;
        return Reduce(d * d, reduction);
    }

    /// <summary>
    /// ½·mean((p − t)²): the form whose gradient is the plain error (p − t)/n, used by the classic
    /// backpropagation derivations.
    /// </summary>
    public static Tensor HalfMeanSquaredError(Tensor predictions, Tensor targets, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        MeanSquaredError(predictions, targets, reduction, file, line) * 0.5;

    /// <summary>Mean absolute error mean(|p − t|) (PyTorch <c>L1Loss</c>).</summary>
    public static Tensor MeanAbsoluteError(Tensor predictions, Tensor targets, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("MeanAbsoluteError", predictions, targets, file, line);
        return Reduce((predictions - targets).Abs(), reduction);
    }

    /// <summary>Huber loss: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (PyTorch <c>HuberLoss</c>).</summary>
    public static Tensor Huber(Tensor predictions, Tensor targets, double delta = 1.0, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("Huber", predictions, targets, file, line);
        if (!(delta > 0) || double.IsInfinity(delta))
        {
            throw new TensorOpException("Huber", $"delta must be positive and finite, got {delta}", file, line);
        }

        // The two pieces chosen by |d| < δ, as PyTorch's rule: at |d| = δ the gradient is ±δ and the second derivative 0,
        // and at d = 0 the second derivative is 1 (the quadratic piece has no |d| in it, whose derivative is 0 at 0).
        var d = predictions - targets;
        var a = d.Abs();
        return Reduce(Tensor.Where(a.Less(delta), d * d * 0.5, (a - 0.5 * delta) * delta), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities: −[t·log p + (1 − t)·log(1 − p)], with each log clamped at −100
    /// as PyTorch's <c>BCELoss</c> does. Prefer <see cref="BinaryCrossEntropyWithLogits"/>. The targets may be float
    /// probabilities of the predictions' shape, or int32 labels 0/1, [n] for predictions [n, 1] (Keras's habit).
    /// </summary>
    /// <param name="probabilities">The predicted probabilities (a sigmoid's outputs), or logits when <paramref name="fromLogits"/> is true.</param>
    /// <param name="targets">Probabilities of the predictions' shape, or int32 labels 0/1.</param>
    /// <param name="reduction">Mean (the default) or sum over the elements.</param>
    /// <param name="fromLogits">
    /// Keras's <c>from_logits</c>: true takes the first argument as logits, as <see cref="BinaryCrossEntropyWithLogits"/>
    /// does. False (the default, as in Keras and PyTorch's <c>BCELoss</c>) takes probabilities.
    /// </param>
    /// <param name="file">The caller's file, for messages.</param>
    /// <param name="line">The caller's line, for messages.</param>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor targets, Reduction reduction = Reduction.Mean, bool fromLogits = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (fromLogits)
        {
            return BinaryCrossEntropyWithLogits(probabilities, targets, reduction, file, line);
        }

        targets = BinaryTargets("BinaryCrossEntropy", probabilities, targets, file, line);
        return Reduce(BinaryCrossEntropyTerms([probabilities, targets]), reduction);
    }

    /// <summary>
    /// PyTorch's floor under p(1 − p) in the derivative of <c>BCELoss</c>: 1e-12 as a float32 (its CPU kernel's constant),
    /// and 1e-12 in its second derivatives.
    /// </summary>
    private const double BceEpsilon = 1e-12f, BceEpsilon2 = 1e-12;

    /// <summary>
    /// ∂ℓ/∂p = (p − t)/max(p(1 − p), ε), as PyTorch's <c>binary_cross_entropy_backward</c>, with PyTorch's derivatives of
    /// that in turn (its <c>binary_cross_entropy_double_backward</c>): (p² − 2pt + t)/((p + ε)²(1 − p + ε)²) for p and
    /// −1/max(p(1 − p), ε) for t.
    /// </summary>
    private static readonly Func<Tensor[], Tensor> BinaryCrossEntropySlope = Custom.Create(
        xs => (xs[0] - xs[1]) / (xs[0] * (1.0 - xs[0])).Maximum(BceEpsilon),
        (xs, y, g) => [g * BinaryCrossEntropyCurvature(xs), g * BinaryCrossEntropyMixed(xs[0])],
        (xs, y, ts) => ts[0] * BinaryCrossEntropyCurvature(xs) + ts[1] * BinaryCrossEntropyMixed(xs[0]),
        name: "BinaryCrossEntropyGrad");

    /// <summary>
    /// −[t·log p + (1 − t)·log(1 − p)] per element, each log clamped at −100, with PyTorch's derivative rules for
    /// <c>binary_cross_entropy</c>. A custom rule, for the finite derivative at p = 0 or 1 that PyTorch defines: the
    /// clamped logs' own derivative would be 0 wherever a clamp is active and ±1/p unbounded next to it, where PyTorch
    /// gives (p − t)/max(p(1 − p), ε) for p and log(1 − p) − log p (unclamped) for t.
    /// </summary>
    private static readonly Func<Tensor[], Tensor> BinaryCrossEntropyTerms = Custom.Create(
        xs =>
        {
            // Clamp the argument, not the log: log(max(p, e^−100)) equals PyTorch's max(log p, −100).
            const double floor = 3.720075976020836e-44; // e^−100
            var (p, t) = (xs[0], xs[1]);
            return -(t * p.Maximum(floor).Log() + (1.0 - t) * (1.0 - p).Maximum(floor).Log());
        },
        (xs, y, g) => [g * BinaryCrossEntropySlope(xs), g * BinaryCrossEntropyTargetSlope(xs[0])],
        (xs, y, ts) => ts[0] * BinaryCrossEntropySlope(xs) + ts[1] * BinaryCrossEntropyTargetSlope(xs[0]),
        name: "BinaryCrossEntropy");

    /// <summary>∂ℓ/∂t = log(1 − p) − log p, unclamped (±∞ at p = 0 or 1), as PyTorch's; its own derivatives by the chain rule.</summary>
    private static Tensor BinaryCrossEntropyTargetSlope(Tensor p) => (1.0 - p).Log() - p.Log();

    private static Tensor BinaryCrossEntropyCurvature(Tensor[] xs)
    {
        var (p, t) = (xs[0], xs[1]);
        var (a, b) = (p + BceEpsilon2, 1.0 - p + BceEpsilon2);
        return (p * p - 2.0 * p * t + t) / (a * a * (b * b));
    }

    private static Tensor BinaryCrossEntropyMixed(Tensor p) => -1.0 / (p * (1.0 - p)).Maximum(BceEpsilon2);

    /// <summary>
    /// Binary cross-entropy on logits z: softplus(z) − t·z, stable for any z (PyTorch <c>BCEWithLogitsLoss</c>). Targets as
    /// for <see cref="BinaryCrossEntropy"/>.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        targets = BinaryTargets("BinaryCrossEntropyWithLogits", logits, targets, file, line);
        return Reduce(logits.Softplus() - targets * logits, reduction);
    }

    /// <summary>
    /// Categorical cross-entropy of logits [n, classes] against int32 labels [n]: −log softmax(z)[label],
    /// averaged over samples (PyTorch <c>CrossEntropyLoss</c>; Keras's sparse categorical cross-entropy with
    /// <c>from_logits=True</c>). Float targets of the logits' shape (one-hot or probabilities) go to
    /// <see cref="CrossEntropyWithProbabilities"/>.
    /// </summary>
    /// <param name="logits">The network's outputs [n, classes]: logits, or probabilities (a softmax's outputs) when <paramref name="fromLogits"/> is false.</param>
    /// <param name="labels">int32 class labels [n], or float targets of the outputs' shape.</param>
    /// <param name="reduction">Mean (the default) or sum over the samples.</param>
    /// <param name="fromLogits">
    /// Keras's <c>from_logits</c>. True (the default, as the library has always had it) takes logits. False takes
    /// probabilities p and computes −log p[label] as Keras does: p is clamped to [ε, 1 − ε] (<see cref="ProbabilityEpsilon"/>)
    /// and renormalized per row. Softmax followed by this equals the logits form, less stably.
    /// </param>
    /// <param name="file">The caller's file, for messages.</param>
    /// <param name="line">The caller's line, for messages.</param>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, Reduction reduction = Reduction.Mean, bool fromLogits = true,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.DType != DType.Int32)
        {
            return CrossEntropyWithProbabilities(logits, labels, reduction, fromLogits, file, line);
        }

        if (logits.Rank != 2 || labels.Rank != 1 || labels.Shape[0] != logits.Shape[0])
        {
            throw new TensorOpException("CrossEntropy", $"needs {(fromLogits ? "logits" : "probabilities")} [n, classes] and int32 labels [n], got {logits.DType.Name()}{logits.Shape} and int32{labels.Shape}", file, line);
        }

        if (!fromLogits)
        {
            // Keras (TensorFlow) does exactly this: clamp, log, then the softmax cross-entropy of the logs, which divides each
            // row by its sum. For probabilities that sum to 1 it is −log p[label].
            logits = ClampedLog(logits, file, line);
        }

        // The fused op: one pass per row forward and backward, where −LogSoftmax(z).TakeAlongAxis(labels) ran about
        // ten small ops each way (a third of a training step's op count at the MLP's 10 classes).
        return Reduce(logits.SoftmaxCrossEntropy(labels, file, line), reduction);
    }

    /// <summary>
    /// Categorical cross-entropy of logits [n, classes] against one-hot or probability targets of the same
    /// shape: −Σ t·log softmax(z) per sample (Keras's categorical cross-entropy with <c>from_logits=True</c>).
    /// </summary>
    /// <param name="logits">The network's outputs: logits, or probabilities when <paramref name="fromLogits"/> is false.</param>
    /// <param name="targets">One-hot or probability targets of the outputs' shape.</param>
    /// <param name="reduction">Mean (the default) or sum over the samples.</param>
    /// <param name="fromLogits">
    /// Keras's <c>from_logits</c>. True (the default) takes logits. False takes probabilities p, divided by their row sum
    /// and clamped to [ε, 1 − ε] (<see cref="ProbabilityEpsilon"/>) before the log, as Keras does: −Σ t·log p per sample.
    /// </param>
    /// <param name="file">The caller's file, for messages.</param>
    /// <param name="line">The caller's line, for messages.</param>
    public static Tensor CrossEntropyWithProbabilities(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, bool fromLogits = true,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("CrossEntropy", logits, targets, file, line);
        if (logits.Rank < 1)
        {
            throw new TensorOpException("CrossEntropy", $"needs {(fromLogits ? "logits" : "probabilities")} with a class axis, got {logits.Shape}", file, line);
        }

        var logP = fromLogits ? logits.LogSoftmax(-1, file, line) : ClampedLog(logits / logits.Sum(-1, keepDims: true), file, line);
        return Reduce(-(targets * logP).Sum(-1), reduction);
    }

    /// <summary>log(clamp(p, ε, 1 − ε)), Keras's guard for a probability that rounded to 0 or 1.</summary>
    private static Tensor ClampedLog(Tensor probabilities, string file, int line) =>
        probabilities.Maximum(ProbabilityEpsilon, file, line).Minimum(1 - ProbabilityEpsilon, file, line).Log(file, line);

    /// <summary>
    /// Poisson negative log-likelihood with log-rate inputs: e^z − t·z (PyTorch <c>PoissonNLLLoss</c>,
    /// log_input=True, without the Stirling term).
    /// </summary>
    public static Tensor Poisson(Tensor logRates, Tensor targets, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("Poisson", logRates, targets, file, line);
        return Reduce(logRates.Exp() - targets * logRates, reduction);
    }

    /// <summary>
    /// Kullback–Leibler divergence KL(t ‖ p) from log-probabilities log p and target probabilities t: the sum of
    /// t·(log t − log p) over all elements, divided by the size of the first axis for <see cref="Reduction.Mean"/>
    /// (PyTorch <c>KLDivLoss</c> with reduction 'batchmean', for inputs of any rank: a vector is a batch of single
    /// elements, and [n, a, b] divides by n). Terms with t = 0 contribute 0.
    /// </summary>
    public static Tensor KlDivergence(Tensor logPredictions, Tensor targets, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("KlDivergence", logPredictions, targets, file, line);
        var positive = targets.Greater(0.0);
        var safeLogT = Tensor.Where(positive, targets, Tensor.OnesLike(targets)).Log();
        var total = (targets * (safeLogT - logPredictions)).Sum();
        return reduction == Reduction.Sum || logPredictions.Rank == 0 ? total : total / (double)logPredictions.Shape[0];
    }

    /// <summary>1 − cos(p, t) along the last axis, per sample (Keras's cosine similarity as a loss to minimize).</summary>
    public static Tensor CosineSimilarity(Tensor predictions, Tensor targets, double epsilon = 1e-8, Reduction reduction = Reduction.Mean,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        SameShape("CosineSimilarity", predictions, targets, file, line);
        if (predictions.Rank < 1)
        {
            throw new TensorOpException("CosineSimilarity", $"needs vectors, got {predictions.Shape}", file, line);
        }

        var dot = (predictions * targets).Sum(-1);
        // Clamp before the square root: its derivative at 0 is infinite, which would turn an all-zero row's
        // gradient into NaN even though the clamp makes the value finite.
        var norms = ((predictions * predictions).Sum(-1) * (targets * targets).Sum(-1)).Maximum(epsilon * epsilon).Sqrt();
        return Reduce(1.0 - dot / norms, reduction);
    }

    private static Tensor Reduce(Tensor values, Reduction reduction) =>
        reduction == Reduction.Sum ? values.Sum() : values.Mean();

    /// <summary>
    /// The targets of a binary loss in the predictions' dtype and shape: int32 labels (0 or 1, as <c>Datasets.Xor()</c>
    /// gives them) are converted, and labels [n] for predictions [n, 1] (one output unit) are laid out as a column, as Keras
    /// accepts them. Anything else must already match.
    /// </summary>
    private static Tensor BinaryTargets(string op, Tensor predictions, Tensor targets, string file, int line)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.DType == DType.Int32 && predictions.DType.IsFloating())
        {
            targets = targets.To(predictions.DType, file, line);
        }

        if (predictions.Rank == 2 && predictions.Shape[1] == 1 && targets.Rank == 1 && targets.Shape[0] == predictions.Shape[0])
        {
            targets = targets.Reshape([targets.Shape[0], 1], file, line);
        }

        SameShape(op, predictions, targets, file, line);
        return targets;
    }

    private static void SameShape(string op, Tensor a, Tensor b, string file, int line)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape != b.Shape)
        {
            throw new TensorOpException(op, $"predictions {a.DType.Name()}{a.Shape} and targets {b.DType.Name()}{b.Shape} must have the same shape", file, line);
        }

        if (a.DType != b.DType)
        {
            throw new TensorOpException(op, $"dtypes differ, {a.DType.Name()}{a.Shape} and {b.DType.Name()}{b.Shape}; convert one with To(DType)", file, line);
        }
    }
}
