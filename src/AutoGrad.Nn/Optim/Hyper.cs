namespace AutoGrad.Nn.Optim;

/// <summary>
/// Checks of hyper-parameters for the optimizers' and schedules' constructors. Every message names the
/// owner (<c>Adam</c>, <c>StepSchedule</c>, …), the parameter and the value it got.
/// </summary>
internal static class Hyper
{
    /// <summary>A constant learning rate, checked: finite and ≥ 0.</summary>
    public static Schedule Rate(string owner, double learningRate, string name = "learningRate")
    {
        NonNegative(owner, name, learningRate);
        return new ConstantSchedule(learningRate);
    }

    /// <summary>A learning-rate schedule, checked: not null.</summary>
    public static Schedule Rate(string owner, Schedule? learningRate, string name = "learningRate") =>
        learningRate ?? throw new ArgumentNullException(name, $"{owner}: the learning-rate schedule {name} is null.");

    /// <summary>A finite value ≥ 0.</summary>
    public static double NonNegative(string owner, string name, double value)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be a finite number ≥ 0, got {value}.");
        }

        return value;
    }

    /// <summary>A finite value &gt; 0.</summary>
    public static double Positive(string owner, string name, double value)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be a finite number > 0, got {value}.");
        }

        return value;
    }

    /// <summary>A value in [0, 1) (a decay rate such as Adam's betas).</summary>
    public static double UnitIntervalOpen(string owner, string name, double value)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be in [0, 1), got {value}.");
        }

        return value;
    }

    /// <summary>A value in [0, 1].</summary>
    public static double UnitIntervalClosed(string owner, string name, double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be in [0, 1], got {value}.");
        }

        return value;
    }

    /// <summary>A value in (0, 1] (a multiplicative decay factor).</summary>
    public static double DecayFactor(string owner, string name, double value)
    {
        if (!(value > 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be in (0, 1], got {value}.");
        }

        return value;
    }

    /// <summary>An integer ≥ 1.</summary>
    public static int AtLeastOne(string owner, string name, int value)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be ≥ 1, got {value}.");
        }

        return value;
    }

    /// <summary>A schedule's step argument, checked: ≥ 0.</summary>
    public static void Step(string owner, int step)
    {
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"{owner}: the step must be ≥ 0, got {step}.");
        }
    }
}
