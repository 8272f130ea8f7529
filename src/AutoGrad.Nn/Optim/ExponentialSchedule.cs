namespace AutoGrad.Nn.Optim;

/// <summary>
/// Exponential decay, lr·gamma^step; the closed form of PyTorch's <c>torch.optim.lr_scheduler.ExponentialLR</c>.
/// </summary>
public sealed class ExponentialSchedule : Schedule
{
    private const string Owner = nameof(ExponentialSchedule);

    /// <summary>Creates an exponential-decay schedule.</summary>
    /// <param name="learningRate">The rate at step 0 (PyTorch: the optimizer's initial <c>lr</c>); finite and ≥ 0.</param>
    /// <param name="gamma">The factor applied at every step (PyTorch <c>gamma</c>); in (0, 1].</param>
    public ExponentialSchedule(double learningRate, double gamma)
    {
        LearningRate = Hyper.NonNegative(Owner, nameof(learningRate), learningRate);
        Gamma = Hyper.DecayFactor(Owner, nameof(gamma), gamma);
    }

    /// <summary>The initial rate.</summary>
    public double LearningRate { get; }

    /// <summary>The per-step decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double At(int step)
    {
        Hyper.Step(Owner, step);
        return LearningRate * Math.Pow(Gamma, step);
    }

    /// <inheritdoc/>
    public override string ToString() => $"exponential({LearningRate}, gamma: {Gamma})";
}
