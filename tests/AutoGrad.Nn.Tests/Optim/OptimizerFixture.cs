using System.Text.Json;
using AutoGrad.Nn.Optim;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>One step of a fixture run: the rate PyTorch used, its inputs and the parameters after the step.</summary>
internal sealed record FixtureStep(
    double LearningRate,
    IReadOnlyDictionary<string, double[]> Gradients,
    double? GradNorm,
    IReadOnlyDictionary<string, double[]>? ClippedGradients,
    IReadOnlyDictionary<string, double[]> Parameters);

/// <summary>One optimizer configuration of the fixture and its recorded run.</summary>
internal sealed record FixtureConfig(string Name, string Optimizer, JsonElement Hyper, JsonElement? Schedule, double? ClipMaxNorm, IReadOnlyList<FixtureStep> Steps)
{
    public override string ToString() => Name;
}

/// <summary>A schedule of the fixture with PyTorch's learning rates for steps 0, 1, ….</summary>
internal sealed record FixtureSchedule(string Name, double LearningRate, JsonElement Spec, double[] Rates);

/// <summary>
/// tests/AutoGrad.Nn.Tests/Fixtures/optimizers.json, made by tools/make_optimizer_fixtures.py with PyTorch,
/// and the translation of its configurations into AutoGrad.Nn optimizers and schedules.
/// </summary>
internal static class OptimizerFixture
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "optimizers.json"))));

    private static JsonElement Root => Document.Value.RootElement;

    /// <summary>The parameters' names, shapes and starting values, in the fixture's order.</summary>
    public static IReadOnlyList<(string Name, int[] Shape, double[] Values)> Initial =>
        Root.GetProperty("initial").EnumerateObject()
            .Select(p => (p.Name, Ints(p.Value.GetProperty("shape")), Doubles(p.Value.GetProperty("values"))))
            .ToArray();

    public static IReadOnlyList<FixtureConfig> Configs { get; } = LoadConfigs();

    public static IReadOnlyList<FixtureSchedule> Schedules =>
        Root.GetProperty("schedules").EnumerateArray()
            .Select(s => new FixtureSchedule(s.GetProperty("name").GetString()!, s.GetProperty("lr").GetDouble(), s.GetProperty("schedule"), Doubles(s.GetProperty("lrs"))))
            .ToArray();

    /// <summary>PyTorch's hyper-parameter defaults per optimizer class, as recorded from the signatures.</summary>
    public static JsonElement Defaults(string optimizer) => Root.GetProperty("defaults").GetProperty(optimizer);

    public static FixtureConfig Config(string name) => Configs.Single(c => c.Name == name);

    /// <summary>The starting parameters as a tree {w, b} in <paramref name="dtype"/>.</summary>
    public static TensorTree InitialParameters(DType dtype = DType.Float64) => Tree(Initial.ToDictionary(p => p.Name, p => p.Values), dtype);

    /// <summary>A tree {w, b} with the fixture's shapes from flat values by name.</summary>
    public static TensorTree Tree(IReadOnlyDictionary<string, double[]> values, DType dtype = DType.Float64)
    {
        var tree = new TensorTree();
        foreach (var (name, shape, _) in Initial)
        {
            var t = Tensor.FromArray(values[name], shape);
            tree.Add(name, dtype == DType.Float64 ? t : t.To(dtype));
        }

        return tree;
    }

    /// <summary>The AutoGrad.Nn optimizer for a configuration, and its learning-rate schedule.</summary>
    public static IOptimizer CreateOptimizer(FixtureConfig config, out Schedule learningRate)
    {
        var h = config.Hyper;
        bool defaults = !h.EnumerateObject().Any() && config.Schedule is null;
        double D(string key, double fallback) => h.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool B(string key) => h.TryGetProperty(key, out var v) && v.GetBoolean();
        double Beta(int i, double fallback) => h.TryGetProperty("betas", out var v) ? v[i].GetDouble() : fallback;
        Schedule Lr(double fallback) => config.Schedule is { } spec ? CreateSchedule(spec, D("lr", fallback)) : new ConstantSchedule(D("lr", fallback));

        IOptimizer optimizer = config.Optimizer switch
        {
            "SGD" => new Sgd(Lr(double.NaN), D("momentum", 0), D("dampening", 0), B("nesterov"), D("weight_decay", 0)),
            "RMSprop" when defaults => new RmsProp(),
            "RMSprop" => new RmsProp(Lr(0.01), D("alpha", 0.99), D("eps", 1e-8), D("momentum", 0), B("centered"), D("weight_decay", 0)),
            "Adam" when defaults => new Adam(),
            "Adam" => new Adam(Lr(1e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 0), B("amsgrad")),
            "AdamW" when defaults => new AdamW(),
            "AdamW" => new AdamW(Lr(1e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 0.01), B("amsgrad")),
            "Adadelta" when defaults => new Adadelta(),
            "Adadelta" => new Adadelta(Lr(1.0), D("rho", 0.9), D("eps", 1e-6), D("weight_decay", 0)),
            "Adamax" when defaults => new Adamax(),
            "Adamax" => new Adamax(Lr(2e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 0)),
            "NAdam" when defaults => new NAdam(),
            "NAdam" => new NAdam(Lr(2e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 0), D("momentum_decay", 4e-3)),
            "Adagrad" when defaults => new Adagrad(),
            "Adagrad" => new Adagrad(Lr(0.01), D("lr_decay", 0), D("weight_decay", 0), D("initial_accumulator_value", 0), D("eps", 1e-10)),
            _ => throw new InvalidOperationException($"fixture optimizer {config.Optimizer} is not known to the tests"),
        };
        learningRate = LearningRateOf(optimizer);
        return optimizer;
    }

    /// <summary>The schedule a fixture spec describes, starting from <paramref name="lr"/>.</summary>
    public static Schedule CreateSchedule(JsonElement spec, double lr) => spec.GetProperty("type").GetString() switch
    {
        "step" => new StepSchedule(lr, spec.GetProperty("step_size").GetInt32(), spec.GetProperty("gamma").GetDouble()),
        "exponential" => new ExponentialSchedule(lr, spec.GetProperty("gamma").GetDouble()),
        "cosine" => new CosineSchedule(lr, spec.GetProperty("t_max").GetInt32(), spec.GetProperty("eta_min").GetDouble()),
        "inverse_time" => new InverseTimeSchedule(lr, spec.GetProperty("decay").GetDouble()),
        "linear_warmup" => new LinearWarmupSchedule(
            spec.TryGetProperty("after", out var after) ? CreateSchedule(after, lr) : lr,
            spec.GetProperty("warmup_steps").GetInt32(),
            spec.GetProperty("start_factor").GetDouble()),
        var t => throw new InvalidOperationException($"fixture schedule type {t} is not known to the tests"),
    };

    /// <summary>The learning-rate schedule of any of the eight optimizers.</summary>
    public static Schedule LearningRateOf(IOptimizer optimizer) => optimizer switch
    {
        Sgd o => o.LearningRate,
        RmsProp o => o.LearningRate,
        Adam o => o.LearningRate,
        AdamW o => o.LearningRate,
        Adadelta o => o.LearningRate,
        Adamax o => o.LearningRate,
        NAdam o => o.LearningRate,
        Adagrad o => o.LearningRate,
        _ => throw new ArgumentException(optimizer.GetType().Name),
    };

    private static List<FixtureConfig> LoadConfigs()
    {
        var configs = new List<FixtureConfig>();
        foreach (var c in Root.GetProperty("configs").EnumerateArray())
        {
            var steps = c.GetProperty("steps").EnumerateArray().Select(s => new FixtureStep(
                s.GetProperty("lr").GetDouble(),
                Named(s.GetProperty("grads")),
                s.TryGetProperty("grad_norm", out var n) ? n.GetDouble() : null,
                s.TryGetProperty("clipped_grads", out var cg) ? Named(cg) : null,
                Named(s.GetProperty("params")))).ToArray();
            var schedule = c.GetProperty("schedule");
            configs.Add(new FixtureConfig(
                c.GetProperty("name").GetString()!,
                c.GetProperty("optimizer").GetString()!,
                c.GetProperty("hyper"),
                schedule.ValueKind == JsonValueKind.Null ? null : schedule,
                c.TryGetProperty("clip_max_norm", out var clip) ? clip.GetDouble() : null,
                steps));
        }

        return configs;
    }

    private static Dictionary<string, double[]> Named(JsonElement e) => e.EnumerateObject().ToDictionary(p => p.Name, p => Doubles(p.Value));

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
