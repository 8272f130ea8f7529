namespace AutoGrad.Nn.Layers;

/// <summary>
/// Rosenblatt's perceptron (1958): a threshold logic unit ŷ = step(w₀ + Σ wᵢxᵢ), where w₀ is the weight of
/// a constant bias input x₀ = 1. It learns by the perceptron rule, not by gradients: for each sample,
/// w ← w + β·(t − ŷ)·x̃ with x̃ = [1, x]. With targets in {0, 1} this is the classic w ← w + β·y·x̃ applied to
/// misclassified samples with y = ±1. It converges on linearly separable data (AND, OR) and never reaches
/// zero error on XOR.
/// </summary>
public static class Perceptron
{
    /// <summary>The outcome of training: final weights [bias, w₁, …] and the number of errors in each epoch.</summary>
    /// <param name="Weights">The weight vector, bias first.</param>
    /// <param name="ErrorsPerEpoch">Misclassified samples in each epoch (the classic total error).</param>
    /// <param name="Converged">True when an epoch had no errors.</param>
    public sealed record Result(double[] Weights, IReadOnlyList<int> ErrorsPerEpoch, bool Converged);

    /// <summary>Threshold outputs (0 or 1) for inputs [n, features] and weights [bias, w₁, …].</summary>
    public static Tensor Predict(Tensor weights, Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(inputs);
        var w = weights.Slice(0, 1, weights.Shape[0]);
        var bias = weights.Slice(0, 0, 1);
        return Activation.Step.Apply(inputs.MatMul(w) + bias);
    }

    /// <summary>
    /// Trains with the perceptron rule, visiting samples in order, until an epoch makes no error (the
    /// classic stopping rule) or <paramref name="maxEpochs"/> is reached.
    /// </summary>
    /// <param name="inputs">Samples, one row each.</param>
    /// <param name="targets">0 or 1 per sample.</param>
    /// <param name="learningRate">β in the update.</param>
    /// <param name="maxEpochs">The epoch limit.</param>
    /// <param name="initialWeights">Starting weights [bias, w₁, …]; zeros when null.</param>
    public static Result Train(double[][] inputs, int[] targets, double learningRate = 1.0, int maxEpochs = 100, double[]? initialWeights = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Length != targets.Length || inputs.Length == 0)
        {
            throw new ArgumentException($"Perceptron: {inputs.Length} samples and {targets.Length} targets; need the same positive number");
        }

        int n = inputs[0].Length;
        if (inputs.Any(x => x.Length != n) || targets.Any(t => t is not (0 or 1)))
        {
            throw new ArgumentException("Perceptron: all samples need the same number of features and targets must be 0 or 1");
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
                double activation = w[0];
                for (int i = 0; i < n; i++)
                {
                    activation += w[i + 1] * inputs[s][i];
                }

                int predicted = activation >= 0 ? 1 : 0;
                int delta = targets[s] - predicted;
                if (delta != 0)
                {
                    wrong++;
                    w[0] += learningRate * delta;
                    for (int i = 0; i < n; i++)
                    {
                        w[i + 1] += learningRate * delta * inputs[s][i];
                    }
                }
            }

            errors.Add(wrong);
            if (wrong == 0)
            {
                return new Result(w, errors, true);
            }
        }

        return new Result(w, errors, false);
    }
}
