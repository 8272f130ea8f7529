namespace AutoGrad.Nn.Training;

/// <summary>Classification metrics computed from outputs and int32 labels.</summary>
public static class Metrics
{
    /// <summary>
    /// Predicted classes for outputs [n, classes] (argmax), or for a single output column [n, 1] the
    /// threshold at 0.5: that column must hold probabilities (sigmoid outputs), not logits.
    /// </summary>
    public static int[] PredictedClasses(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Rank != 2)
        {
            throw new ArgumentException($"Metrics: outputs must be [n, classes], got {outputs.Shape}");
        }

        return outputs.Shape[1] == 1
            ? outputs.ToDoubleArray().Select(v => v >= 0.5 ? 1 : 0).ToArray()
            : outputs.ArgMax(1).ToInt32Array();
    }

    /// <summary>The fraction of rows whose predicted class equals the label.</summary>
    public static double Accuracy(Tensor outputs, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var predicted = PredictedClasses(outputs);
        var truth = labels.ToInt32Array();
        if (predicted.Length != truth.Length)
        {
            throw new ArgumentException($"Metrics: {predicted.Length} outputs and {truth.Length} labels");
        }

        return truth.Length == 0 ? 0 : predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
    }

    /// <summary>Counts [true class, predicted class] over the rows.</summary>
    public static int[,] ConfusionMatrix(Tensor outputs, Tensor labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var predicted = PredictedClasses(outputs);
        var truth = labels.ToInt32Array();
        var m = new int[classes, classes];
        for (int i = 0; i < truth.Length; i++)
        {
            if ((uint)truth[i] >= (uint)classes || (uint)predicted[i] >= (uint)classes)
            {
                throw new ArgumentException($"Metrics: class {Math.Max(truth[i], predicted[i])} at row {i} is outside the {classes} classes");
            }

            m[truth[i], predicted[i]]++;
        }

        return m;
    }
}
