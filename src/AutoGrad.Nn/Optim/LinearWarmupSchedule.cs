namespace AutoGrad.Nn.Optim;

/// <summary>
/// Linear warm-up in front of another schedule. For step &lt; warmupSteps the rate ramps linearly from
/// startFactor·after(0) towards after(0), after(0)·(startFactor + (1 − startFactor)·step / warmupSteps);
/// from step warmupSteps on it is after(step − warmupSteps), so the wrapped schedule starts where the
/// warm-up ends. With a constant <c>after</c> this is PyTorch's <c>torch.optim.lr_scheduler.LinearLR</c>
/// (end factor 1, <c>total_iters</c> = warmupSteps); with another schedule it is
/// <c>SequentialLR([LinearLR, that scheduler], milestones=[warmupSteps])</c>.
/// </summary>
public sealed class LinearWarmupSchedule : Schedule
{
    private const string Owner = nameof(LinearWarmupSchedule);

    /// <summary>Creates a warm-up in front of <paramref name="after"/> (a plain number converts to a constant rate).</summary>
    /// <param name="after">The schedule that follows the warm-up; its rate at 0 is the warm-up's target.</param>
    /// <param name="warmupSteps">The length of the warm-up (PyTorch <c>total_iters</c>); ≥ 1.</param>
    /// <param name="startFactor">The fraction of the target rate used at step 0 (PyTorch <c>start_factor</c>, default 1/3); in [0, 1].</param>
    public LinearWarmupSchedule(Schedule after, int warmupSteps, double startFactor = 1.0 / 3)
    {
        After = after ?? throw new ArgumentNullException(nameof(after), $"{Owner}: the schedule after the warm-up is null.");
        WarmupSteps = Hyper.AtLeastOne(Owner, nameof(warmupSteps), warmupSteps);
        StartFactor = Hyper.UnitIntervalClosed(Owner, nameof(startFactor), startFactor);
    }

    /// <summary>The schedule after the warm-up.</summary>
    public Schedule After { get; }

    /// <summary>The number of warm-up steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>The fraction of the target rate at step 0.</summary>
    public double StartFactor { get; }

    /// <inheritdoc/>
    public override double At(int step)
    {
        Hyper.Step(Owner, step);
        return step < WarmupSteps
            ? After.At(0) * (StartFactor + (1 - StartFactor) * step / WarmupSteps)
            : After.At(step - WarmupSteps);
    }

    /// <inheritdoc/>
    public override string ToString() => $"linearWarmup({WarmupSteps} steps from {StartFactor}×, then {After})";
}
