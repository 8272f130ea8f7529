using AutoGrad.Nn.Optim;

namespace AutoGrad.Cli;

/// <summary>Optimizers (by the library's names) and learning-rate schedules by name, as the train command takes them.</summary>
internal static class OptimizerChoice
{
    /// <summary>The optimizer names, those of <see cref="Optimizers.FromName"/>.</summary>
    public static IReadOnlyList<string> Names => Optimizers.Names;

    public static readonly string[] ScheduleNames = ["constant", "step", "exponential", "cosine", "warmup", "inverse-time"];

    /// <summary>An optimizer by name (through the library's one parser, <see cref="Optimizers.FromName"/>) with a schedule over <paramref name="totalSteps"/> updates.</summary>
    public static IOptimizer Create(string name, double learningRate, string schedule, int totalSteps) =>
        Optimizers.FromName(name, CreateSchedule(schedule, learningRate, Math.Max(1, totalSteps)));

    /// <summary>
    /// The schedules: step (×0.1 every third of training), exponential (to 1% by the end), cosine (to 0),
    /// warmup (linear over the first 10% of steps, then constant), inverse-time (start high and decrease: lr/(1 + 9·t/T)).
    /// </summary>
    public static Schedule CreateSchedule(string name, double learningRate, int totalSteps) => name.ToLowerInvariant() switch
    {
        "constant" => learningRate,
        "step" => new StepSchedule(learningRate, stepSize: Math.Max(1, totalSteps / 3), gamma: 0.1),
        "exponential" => new ExponentialSchedule(learningRate, gamma: Math.Pow(0.01, 1.0 / totalSteps)),
        "cosine" => new CosineSchedule(learningRate, tMax: totalSteps),
        "warmup" => new LinearWarmupSchedule(learningRate, warmupSteps: Math.Max(1, totalSteps / 10)),
        "inverse-time" => new InverseTimeSchedule(learningRate, decay: 9.0 / totalSteps),
        _ => throw new CliException($"unknown schedule '{name}'; choose one of: {string.Join(", ", ScheduleNames)}"),
    };
}
