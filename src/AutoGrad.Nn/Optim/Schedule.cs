namespace AutoGrad.Nn.Optim;

/// <summary>
/// A learning rate as a function of the optimizer step (0 for the first update). Optimizers take a
/// schedule wherever they take a learning rate; a plain number converts to a constant schedule.
/// </summary>
public abstract class Schedule
{
    /// <summary>The learning rate for update number <paramref name="step"/> (0-based).</summary>
    public abstract double At(int step);

    /// <summary>A constant learning rate.</summary>
    public static implicit operator Schedule(double learningRate) => new ConstantSchedule(learningRate);
}

/// <summary>The same learning rate at every step.</summary>
public sealed class ConstantSchedule : Schedule
{
    /// <summary>Creates a constant schedule; the rate must be finite and non-negative.</summary>
    public ConstantSchedule(double learningRate)
    {
        if (!double.IsFinite(learningRate) || learningRate < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be a finite number ≥ 0");
        }

        LearningRate = learningRate;
    }

    /// <summary>The rate.</summary>
    public double LearningRate { get; }

    /// <inheritdoc/>
    public override double At(int step) => LearningRate;

    /// <inheritdoc/>
    public override string ToString() => $"constant({LearningRate})";
}
