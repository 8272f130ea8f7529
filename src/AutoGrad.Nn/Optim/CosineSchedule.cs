namespace AutoGrad.Nn.Optim;

/// <summary>
/// Cosine annealing from the initial rate down to <see cref="EtaMin"/> over <see cref="TMax"/> steps,
/// etaMin + (lr − etaMin)·(1 + cos(π·step / tMax)) / 2; the closed form of PyTorch's
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>. Past tMax the cosine continues, so the rate rises
/// again and reaches lr at step 2·tMax, as PyTorch's scheduler does.
/// </summary>
public sealed class CosineSchedule : Schedule
{
    private const string Owner = nameof(CosineSchedule);

    /// <summary>Creates a cosine-annealing schedule.</summary>
    /// <param name="learningRate">The rate at step 0, η_max (PyTorch: the optimizer's initial <c>lr</c>); finite and ≥ 0.</param>
    /// <param name="tMax">The number of steps from η_max down to η_min (PyTorch <c>T_max</c>); ≥ 1.</param>
    /// <param name="etaMin">The rate at step tMax, η_min (PyTorch <c>eta_min</c>, default 0); finite, ≥ 0 and ≤ learningRate.</param>
    public CosineSchedule(double learningRate, int tMax, double etaMin = 0)
    {
        LearningRate = Hyper.NonNegative(Owner, nameof(learningRate), learningRate);
        TMax = Hyper.AtLeastOne(Owner, nameof(tMax), tMax);
        EtaMin = Hyper.NonNegative(Owner, nameof(etaMin), etaMin);
        if (etaMin > learningRate)
        {
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, $"{Owner}: etaMin must not exceed the learning rate {learningRate}, got {etaMin}.");
        }
    }

    /// <summary>The initial (largest) rate.</summary>
    public double LearningRate { get; }

    /// <summary>The number of steps of one half-period.</summary>
    public int TMax { get; }

    /// <summary>The smallest rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    public override double At(int step)
    {
        Hyper.Step(Owner, step);
        return EtaMin + (LearningRate - EtaMin) * (1 + Math.Cos(Math.PI * step / TMax)) / 2;
    }

    /// <inheritdoc/>
    public override string ToString() => $"cosine({LearningRate}, tMax: {TMax}, etaMin: {EtaMin})";
}
