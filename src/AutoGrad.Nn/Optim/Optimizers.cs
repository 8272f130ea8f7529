namespace AutoGrad.Nn.Optim;

/// <summary>
/// Optimizers by name, as Keras's <c>compile(optimizer="adam")</c> takes them: the one parser behind
/// <c>Model.Compile("adam", …)</c> and the command line's <c>--optimizer</c>. A name picks the algorithm and, when no
/// learning rate is given, Keras's default rate for it (0.01 for SGD, 0.001 for the adaptive methods); every other
/// hyperparameter is the class's own default, which matches PyTorch's (the optimizers are tested against its numbers).
/// For other hyperparameters, construct the class (<c>new Adam(0.001, beta2: 0.99)</c>).
/// </summary>
public static class Optimizers
{
    /// <summary>
    /// The names <see cref="FromName"/> accepts, case-insensitive: Keras's (<c>sgd</c>, <c>rmsprop</c>, <c>adam</c>,
    /// <c>adamw</c>, <c>adadelta</c>, <c>adamax</c>, <c>nadam</c>, <c>adagrad</c>) and the command line's two SGD variants,
    /// <c>momentum</c> (SGD with momentum 0.9) and <c>nesterov</c> (the same with Nesterov's correction).
    /// </summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adadelta", "adamax", "nadam", "adagrad"];

    /// <summary>
    /// Keras's default learning rate for the optimizer <paramref name="name"/>: 0.01 for <c>sgd</c> (and
    /// <c>momentum</c>, <c>nesterov</c>), 0.001 for the others.
    /// </summary>
    /// <exception cref="ArgumentException">The name is none of <see cref="Names"/>; the message lists them.</exception>
    public static double DefaultLearningRate(string name) => Canonical(name) switch
    {
        "sgd" or "momentum" or "nesterov" => 0.01,
        _ => 0.001,
    };

    /// <summary>
    /// The optimizer called <paramref name="name"/> (case-insensitive; see <see cref="Names"/>) with
    /// <paramref name="learningRate"/>, or Keras's default rate for it (<see cref="DefaultLearningRate"/>) when null.
    /// </summary>
    /// <exception cref="ArgumentException">The name is none of <see cref="Names"/>; the message lists them.</exception>
    public static IOptimizer FromName(string name, Schedule? learningRate = null)
    {
        string canonical = Canonical(name);
        var lr = learningRate ?? DefaultLearningRate(canonical);
        return canonical switch
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
            _ => new Adagrad(lr),
        };
    }

    /// <summary>The name in lower case, checked against <see cref="Names"/>.</summary>
    private static string Canonical(string name)
    {
        string lower = (name ?? "").Trim().ToLowerInvariant();
        return Names.Contains(lower)
            ? lower
            : throw new ArgumentException($"unknown optimizer '{name}'; choose one of: {string.Join(", ", Names)}");
    }
}
