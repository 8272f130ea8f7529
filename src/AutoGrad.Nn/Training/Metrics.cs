namespace AutoGrad.Nn.Training;

/// <summary>Classification metrics computed from outputs and int32 labels.</summary>
public static class Metrics
{
    /// <summary>The predicted class of a row whose outputs hold a NaN: no class at all, so it is never counted as correct.</summary>
    public const int NoPrediction = -1;

    /// <summary>
    /// Predicted classes for outputs [n, classes] (argmax), or for a single output column [n, 1] the
    /// threshold at 0.5: that column must hold probabilities (sigmoid outputs), not logits. A row with a NaN
    /// output predicts <see cref="NoPrediction"/> (an arg-max would take the NaN for the maximum).
    /// </summary>
    public static int[] PredictedClasses(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Rank != 2)
        {
            throw new ArgumentException($"Metrics: outputs must be [n, classes], got {outputs.Shape}");
        }

        var values = outputs.ToDoubleArray();
        int rows = outputs.Shape[0], columns = outputs.Shape[1];
        var predicted = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            if (columns == 0 || HasNaN(row))
            {
                predicted[r] = NoPrediction;
            }
            else if (columns == 1)
            {
                predicted[r] = row[0] >= 0.5 ? 1 : 0;
            }
            else
            {
                int best = 0; // the first of equal maxima, as ArgMax
                for (int c = 1; c < columns; c++)
                {
                    if (row[c] > row[best])
                    {
                        best = c;
                    }
                }

                predicted[r] = best;
            }
        }

        return predicted;
    }

    /// <summary>The number of rows of outputs [n, k] with a NaN or infinite value.</summary>
    public static int NonFiniteRows(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var values = outputs.ToDoubleArray();
        int columns = outputs.Rank == 0 ? 1 : values.Length / Math.Max(1, outputs.Shape[0]);
        int count = 0;
        for (int r = 0; columns > 0 && r < values.Length / columns; r++)
        {
            foreach (double v in values.AsSpan(r * columns, columns))
            {
                if (!double.IsFinite(v))
                {
                    count++;
                    break;
                }
            }
        }

        return count;
    }

    private static bool HasNaN(ReadOnlySpan<double> row)
    {
        foreach (double v in row)
        {
            if (double.IsNaN(v))
            {
                return true;
            }
        }

        return false;
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

    /// <summary>Counts [true class, predicted class] over the rows; rows with no prediction (a NaN output) are left out.</summary>
    public static int[,] ConfusionMatrix(Tensor outputs, Tensor labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var predicted = PredictedClasses(outputs);
        var truth = labels.ToInt32Array();
        var m = new int[classes, classes];
        if (predicted.Length != truth.Length)
        {
            throw new ArgumentException($"Metrics: {predicted.Length} outputs and {truth.Length} labels");
        }

        for (int i = 0; i < truth.Length; i++)
        {
            if (predicted[i] == NoPrediction && (uint)truth[i] < (uint)classes)
            {
                continue;
            }

            if ((uint)truth[i] >= (uint)classes || (uint)predicted[i] >= (uint)classes)
            {
                throw new ArgumentException($"Metrics: class {Math.Max(truth[i], predicted[i])} at row {i} is outside the {classes} classes");
            }

            m[truth[i], predicted[i]]++;
        }

        return m;
    }
}
