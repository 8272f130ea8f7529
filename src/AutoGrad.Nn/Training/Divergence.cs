using System.Globalization;

namespace AutoGrad.Nn.Training;

/// <summary>
/// Training diverged: a batch's loss was not finite, or grew far above the run's first loss
/// (<see cref="TrainOptions.DivergenceFactor"/>). The message names the epoch, the batch and the parameter to look at.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    internal TrainingDivergedException(string message, int epoch, int batch, double loss, string? parameter)
        : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        Parameter = parameter;
    }

    /// <summary>The 1-based epoch of the batch whose loss diverged.</summary>
    public int Epoch { get; }

    /// <summary>The 1-based batch within <see cref="Epoch"/>.</summary>
    public int Batch { get; }

    /// <summary>That batch's loss (NaN, ±∞, or a finite value above the divergence threshold).</summary>
    public double Loss { get; }

    /// <summary>
    /// The tree path (e.g. <c>1.W</c>) of the first parameter, in <see cref="TensorTree.Leaves"/> order, whose value or else
    /// whose gradient is not finite; when all are finite, the parameter with the largest gradient norm. Empty for a
    /// root-leaf parameter tree; null when there are no parameters.
    /// </summary>
    public string? Parameter { get; }
}

/// <summary>The trainer's divergence rules and the diagnosis that names the parameter.</summary>
internal static class Divergence
{
    /// <summary>What is wrong with a batch's loss, or null when it is fine.</summary>
    /// <param name="loss">The batch's loss.</param>
    /// <param name="firstLoss">The run's first batch loss (its start, before any update).</param>
    /// <param name="factor">The growth limit (<see cref="TrainOptions.DivergenceFactor"/>); null for none.</param>
    public static string? Check(double loss, double firstLoss, double? factor)
    {
        if (!double.IsFinite(loss))
        {
            return $"the loss is {Num(loss)}";
        }

        // The floor of 1 keeps a run whose first loss is tiny (a nearly fitted regression) from tripping over noise.
        if (factor is { } f && loss > f * Math.Max(firstLoss, 1))
        {
            return $"the loss {Num(loss)} exceeds {Num(f)} × max(the first batch's loss {Num(firstLoss)}, 1) (TrainOptions.DivergenceFactor)";
        }

        return null;
    }

    /// <summary>
    /// The exception for a diverged batch, naming the parameter to look at: the first (in tree order) whose value is not
    /// finite — an earlier update made it so, which is where the trouble started —, else the first whose gradient is not
    /// finite, else (all finite: the loss grew or overflowed in the forward pass) the one with the largest gradient.
    /// </summary>
    /// <param name="problem">What <see cref="Check"/> said about the loss.</param>
    /// <param name="epoch">The 1-based epoch.</param>
    /// <param name="batch">The 1-based batch.</param>
    /// <param name="loss">The batch's loss.</param>
    /// <param name="parameters">The parameters the batch's loss was computed with.</param>
    /// <param name="gradients">Their gradients on the batch.</param>
    public static TrainingDivergedException Diagnose(string problem, int epoch, int batch, double loss, TensorTree parameters, TensorTree gradients)
    {
        var values = parameters.Leaves();
        var grads = gradients.Leaves();
        foreach (var (path, value) in values)
        {
            if (!AllFinite(value))
            {
                return Make(problem, epoch, batch, loss, path, $"parameter {Name(path)} is the first whose value is not finite (an earlier update made it so)");
            }
        }

        foreach (var (path, g) in grads)
        {
            if (!AllFinite(g))
            {
                return Make(problem, epoch, batch, loss, path, $"parameters are finite; the gradient of {Name(path)} is the first that is not finite");
            }
        }

        if (grads.Count == 0)
        {
            return Make(problem, epoch, batch, loss, null, "there are no parameters");
        }

        var (largestGradient, gradientNorm) = Largest(grads, Norm);
        var (largestValue, valueMax) = Largest(values, MaxAbs);
        return Make(problem, epoch, batch, loss, largestGradient,
            $"parameters and gradients are finite; the largest gradient is that of {Name(largestGradient)} (L2 norm {Num(gradientNorm)}), the largest value in {Name(largestValue)} (|w| up to {Num(valueMax)})");
    }

    /// <summary>
    /// The exception when only parameter values are at hand (a compiled step, after its in-place update, when replaying the
    /// epoch eagerly did not reproduce the divergence): the first parameter whose value is not finite, if any.
    /// </summary>
    public static TrainingDivergedException FromValues(string problem, int epoch, int batch, double loss, TensorTree parameters)
    {
        foreach (var (path, value) in parameters.Leaves())
        {
            if (!AllFinite(value))
            {
                return Make(problem, epoch, batch, loss, path, $"after the batch's update, parameter {Name(path)} is the first whose value is not finite");
            }
        }

        return Make(problem, epoch, batch, loss, null, "all parameters are finite after the batch's update");
    }

    private static TrainingDivergedException Make(string problem, int epoch, int batch, double loss, string? parameter, string detail) =>
        new($"Training diverged at epoch {epoch}, batch {batch}: {problem}; {detail}. Lower the learning rate (or clip gradients).", epoch, batch, loss, parameter);

    private static (string Path, double Size) Largest(IReadOnlyList<(string Path, Tensor Value)> leaves, Func<double[], double> size)
    {
        var (path, largest) = (leaves[0].Path, double.NegativeInfinity);
        foreach (var (p, t) in leaves)
        {
            double s = size(t.ToDoubleArray());
            if (s > largest)
            {
                (path, largest) = (p, s);
            }
        }

        return (path, largest);
    }

    private static double Norm(double[] v)
    {
        double sum = 0;
        foreach (double x in v)
        {
            sum += x * x;
        }

        return Math.Sqrt(sum);
    }

    private static double MaxAbs(double[] v)
    {
        double max = 0;
        foreach (double x in v)
        {
            max = Math.Max(max, Math.Abs(x));
        }

        return max;
    }

    private static bool AllFinite(Tensor t)
    {
        if (!t.DType.IsFloating())
        {
            return true;
        }

        foreach (double x in t.ToDoubleArray())
        {
            if (!double.IsFinite(x))
            {
                return false;
            }
        }

        return true;
    }

    private static string Name(string path) => path.Length == 0 ? "(the root leaf)" : $"'{path}'";

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
