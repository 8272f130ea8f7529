namespace AutoGrad.Nn.Layers;

/// <summary>
/// Rosenblatt's perceptron (1958): a threshold logic unit ŷ = step(w₀ + Σ wᵢxᵢ), where w₀ is the weight of
/// a constant bias input x₀ = 1. It learns by the perceptron rule, not by gradients: for each sample,
/// w ← w + β·(t − ŷ)·x̃ with x̃ = [1, x]. It converges on linearly separable data (AND, OR) and never reaches
/// zero error on XOR.
/// </summary>
/// <remarks>
/// Two ways of writing the classes: 0/1 (<see cref="Labels.ZeroOne"/>, the threshold unit's outputs) and the bipolar
/// −1/+1 of the classic texts (<see cref="Labels.Bipolar"/>), whose rule reads w ← w + β·y·x̃ for a misclassified sample
/// with y ∈ {−1, +1}. The two rules move the weights identically (on an error t − ŷ is exactly ±1, the bipolar y), so the
/// convention only decides how targets are given and predictions returned. <see cref="Train"/> takes targets as int[] and
/// <see cref="Predict(double[], double[][], Labels)"/> (or <see cref="Result.Predict"/>) returns them the same way.
/// </remarks>
public static class Perceptron
{
    /// <summary>How the two classes are written.</summary>
    public enum Labels
    {
        /// <summary>0 and 1: ŷ = 1 where w·x̃ ≥ 0, else 0.</summary>
        ZeroOne,

        /// <summary>−1 and +1 (the classic texts' bipolar convention): ŷ = +1 where w·x̃ ≥ 0, else −1.</summary>
        Bipolar,
    }

    /// <summary>The outcome of training: final weights [bias, w₁, …] and the number of errors in each epoch.</summary>
    /// <param name="Weights">The weight vector, bias first.</param>
    /// <param name="ErrorsPerEpoch">Misclassified samples in each epoch (the classic total error).</param>
    /// <param name="Converged">True when an epoch had no errors.</param>
    public sealed record Result(double[] Weights, IReadOnlyList<int> ErrorsPerEpoch, bool Converged)
    {
        /// <summary>The convention the targets were given in, which <see cref="Predict"/> answers in.</summary>
        public Labels Labels { get; init; }

        /// <summary>The predicted class of each sample (one row each), written as the training targets were.</summary>
        public int[] Predict(double[][] inputs) => Perceptron.Predict(Weights, inputs, Labels);
    }

    /// <summary>
    /// Threshold outputs for inputs [n, features] and weights [bias, w₁, …]: 0 or 1, or −1 or +1 with
    /// <see cref="Labels.Bipolar"/>, in the inputs' dtype.
    /// </summary>
    public static Tensor Predict(Tensor weights, Tensor inputs, Labels labels = Labels.ZeroOne)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(inputs);
        var w = weights.Slice(0, 1, weights.Shape[0]);
        var bias = weights.Slice(0, 0, 1);
        var step = Activation.Step.Apply(inputs.MatMul(w) + bias);
        return labels == Labels.Bipolar ? step * 2.0 - 1.0 : step;
    }

    /// <summary>
    /// The predicted class of each sample (one row each) for weights [bias, w₁, …], as <see cref="Train"/> takes targets:
    /// 0 or 1, or −1 or +1 with <see cref="Labels.Bipolar"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A sample does not have <c>weights.Length − 1</c> features.</exception>
    public static int[] Predict(double[] weights, double[][] inputs, Labels labels = Labels.ZeroOne)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(inputs);
        var predicted = new int[inputs.Length];
        for (int s = 0; s < inputs.Length; s++)
        {
            if (inputs[s].Length != weights.Length - 1)
            {
                throw new ArgumentException($"Perceptron.Predict: sample {s} has {inputs[s].Length} features, the weights [bias, w₁, …] {weights.Length - 1}");
            }

            predicted[s] = WeightedSum(weights, inputs[s]) >= 0 ? 1 : Negative(labels);
        }

        return predicted;
    }

    /// <summary>
    /// Trains with the perceptron rule, visiting samples in order, until an epoch makes no error (the
    /// classic stopping rule) or <paramref name="maxEpochs"/> is reached.
    /// </summary>
    /// <param name="inputs">Samples, one row each.</param>
    /// <param name="targets">The class of each sample: 0 or 1, or −1 or +1 (bipolar).</param>
    /// <param name="learningRate">β in the update.</param>
    /// <param name="maxEpochs">The epoch limit.</param>
    /// <param name="initialWeights">Starting weights [bias, w₁, …]; zeros when null.</param>
    /// <param name="labels">The targets' convention; null infers it: bipolar when a target is −1, else 0/1.</param>
    /// <exception cref="ArgumentException">Targets outside the convention (named with their index), or mismatched sizes.</exception>
    public static Result Train(double[][] inputs, int[] targets, double learningRate = 1.0, int maxEpochs = 100, double[]? initialWeights = null, Labels? labels = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Length != targets.Length || inputs.Length == 0)
        {
            throw new ArgumentException($"Perceptron: {inputs.Length} samples and {targets.Length} targets; need the same positive number");
        }

        int n = inputs[0].Length;
        if (inputs.Any(x => x.Length != n))
        {
            throw new ArgumentException("Perceptron: all samples need the same number of features");
        }

        var convention = labels ?? (targets.Contains(-1) ? Labels.Bipolar : Labels.ZeroOne);
        int negative = Negative(convention);
        int bad = Array.FindIndex(targets, t => t != 1 && t != negative);
        if (bad >= 0)
        {
            string allowed = convention == Labels.Bipolar ? "-1 or +1 (bipolar)" : "0 or 1";
            throw new ArgumentException($"Perceptron: targets must be {allowed}{(labels is null ? " (inferred from the targets)" : "")}; target {bad} is {targets[bad]}");
        }

        if (!(learningRate > 0) || double.IsInfinity(learningRate) || maxEpochs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), "Perceptron: the learning rate must be positive and finite and the epoch limit positive");
        }

        var w = initialWeights is null ? new double[n + 1] : (double[])initialWeights.Clone();
        if (w.Length != n + 1)
        {
            throw new ArgumentException($"Perceptron: initial weights need {n + 1} entries (bias first), got {w.Length}", nameof(initialWeights));
        }

        var errors = new List<int>();
        for (int epoch = 0; epoch < maxEpochs; epoch++)
        {
            int wrong = 0;
            for (int s = 0; s < inputs.Length; s++)
            {
                int predicted = WeightedSum(w, inputs[s]) >= 0 ? 1 : negative;
                if (predicted != targets[s])
                {
                    // w ← w + β·y·x̃, y = ±1 the sample's class: the bipolar rule, and the 0/1 rule's (t − ŷ) on an error.
                    int y = targets[s] == 1 ? 1 : -1;
                    wrong++;
                    w[0] += learningRate * y;
                    for (int i = 0; i < n; i++)
                    {
                        w[i + 1] += learningRate * y * inputs[s][i];
                    }
                }
            }

            errors.Add(wrong);
            if (wrong == 0)
            {
                return new Result(w, errors, true) { Labels = convention };
            }
        }

        return new Result(w, errors, false) { Labels = convention };
    }

    /// <summary>w₀ + Σ wᵢxᵢ.</summary>
    private static double WeightedSum(double[] w, double[] x)
    {
        double activation = w[0];
        for (int i = 0; i < x.Length; i++)
        {
            activation += w[i + 1] * x[i];
        }

        return activation;
    }

    private static int Negative(Labels labels) => labels == Labels.Bipolar ? -1 : 0;
}
