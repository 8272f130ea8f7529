namespace AutoGrad.Nn.Optim;

/// <summary>
/// Start high and decrease: inverse-time decay lr / (1 + decay·step), which falls like 1/step for large
/// steps (the classic Robbins–Monro rate). PyTorch has no class for it; it is
/// <c>LambdaLR(optimizer, lambda step: 1 / (1 + decay * step))</c>, and the same factor as Adagrad's
/// <c>lr_decay</c>.
/// </summary>
public sealed class InverseTimeSchedule : Schedule
{
    private const string Owner = nameof(InverseTimeSchedule);

    /// <summary>Creates an inverse-time decay schedule.</summary>
    /// <param name="learningRate">The rate at step 0; finite and ≥ 0.</param>
    /// <param name="decay">How fast the rate falls: it halves at step 1/decay; finite and ≥ 0 (0: constant).</param>
    public InverseTimeSchedule(double learningRate, double decay)
    {
        LearningRate = Hyper.NonNegative(Owner, nameof(learningRate), learningRate);
        Decay = Hyper.NonNegative(Owner, nameof(decay), decay);
    }

    /// <summary>The initial rate.</summary>
    public double LearningRate { get; }

    /// <summary>The decay coefficient.</summary>
    public double Decay { get; }

    /// <inheritdoc/>
    public override double At(int step)
    {
        Hyper.Step(Owner, step);
        return LearningRate / (1 + Decay * step);
    }

    /// <inheritdoc/>
    public override string ToString() => $"inverseTime({LearningRate}, decay: {Decay})";
}
