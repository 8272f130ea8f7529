namespace AutoGrad.Nn.Optim;

/// <summary>
/// Step decay: the rate is multiplied by <see cref="Gamma"/> every <see cref="StepSize"/> steps,
/// lr·gamma^⌊step / stepSize⌋; the closed form of PyTorch's <c>torch.optim.lr_scheduler.StepLR</c>.
/// </summary>
public sealed class StepSchedule : Schedule
{
    private const string Owner = nameof(StepSchedule);

    /// <summary>Creates a step-decay schedule.</summary>
    /// <param name="learningRate">The rate for the first <paramref name="stepSize"/> steps (PyTorch: the optimizer's initial <c>lr</c>); finite and ≥ 0.</param>
    /// <param name="stepSize">How many steps each rate lasts (PyTorch <c>step_size</c>); ≥ 1.</param>
    /// <param name="gamma">The factor applied at each decay (PyTorch <c>gamma</c>, default 0.1); in (0, 1].</param>
    public StepSchedule(double learningRate, int stepSize, double gamma = 0.1)
    {
        LearningRate = Hyper.NonNegative(Owner, nameof(learningRate), learningRate);
        StepSize = Hyper.AtLeastOne(Owner, nameof(stepSize), stepSize);
        Gamma = Hyper.DecayFactor(Owner, nameof(gamma), gamma);
    }

    /// <summary>The initial rate.</summary>
    public double LearningRate { get; }

    /// <summary>The number of steps between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double At(int step)
    {
        Hyper.Step(Owner, step);
        return LearningRate * Math.Pow(Gamma, step / StepSize);
    }

    /// <inheritdoc/>
    public override string ToString() => $"step({LearningRate}, stepSize: {StepSize}, gamma: {Gamma})";
}
