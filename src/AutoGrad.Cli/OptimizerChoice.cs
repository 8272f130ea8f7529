using AutoGrad.Nn.Optim;

namespace AutoGrad.Cli;

/// <summary>Optimizers and learning-rate schedules by name, as the train command takes them.</summary>
internal static class OptimizerChoice
{
    public static readonly string[] Names = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adadelta", "adamax", "nadam", "adagrad"];

    public static readonly string[] ScheduleNames = ["constant", "step", "exponential", "cosine", "warmup", "inverse-time"];

    /// <summary>An optimizer with a schedule over <paramref name="totalSteps"/> updates.</summary>
    public static IOptimizer Create(string name, double learningRate, string schedule, int totalSteps)
    {
        var lr = CreateSchedule(schedule, learningRate, Math.Max(1, totalSteps));
        return name.ToLowerInvariant() switch
        {
            "sgd" => new Sgd(lr),
            "momentum" => new Sgd(lr, momentum: 0.9),
            "nesterov" => new Sgd(lr, momentum: 0.9, nesterov: true),
            "rmsprop" => new RmsProp(lr),
            "adam" => new Adam(lr),
            "adamw" => new AdamW(lr),
            "adadelta" => new Adadelta(lr),
            "adamax" => new Adamax(lr),
            "nadam" => new NAdam(lr),
            "adagrad" => new Adagrad(lr),
            _ => throw new CliException($"unknown optimizer '{name}'; choose one of: {string.Join(", ", Names)}"),
        };
    }

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
