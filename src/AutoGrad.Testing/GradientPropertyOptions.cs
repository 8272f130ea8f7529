namespace AutoGrad.Testing;

/// <summary>Which derivatives are compared, and with what. Combine them with <c>|</c>.</summary>
[Flags]
public enum DerivativeChecks
{
    /// <summary>Nothing but evaluating the function.</summary>
    None = 0,

    /// <summary>
    /// Reverse mode against central differences, entry by entry of the Jacobian: one pullback per output element
    /// (every basis cotangent), as <c>Numerical.GradCheck</c> (PyTorch's <c>gradcheck</c>).
    /// </summary>
    Vjp = 1,

    /// <summary>Forward mode along a random tangent v against the central difference (f(x + h·v) − f(x − h·v)) / 2h.</summary>
    Jvp = 2,

    /// <summary>The two modes agree with each other: ⟨u, J·v⟩ by forward mode equals ⟨Jᵀ·u, v⟩ by reverse mode, for random u and v.</summary>
    VjpJvpConsistency = 4,

    /// <summary>
    /// Second order, reverse over reverse (PyTorch's <c>gradgradcheck</c>): the gradient of φ(x) = ⟨w, Jᵀ(x)·u⟩, computed
    /// by differentiating the VJP, against central differences of φ, for random u and w.
    /// </summary>
    SecondOrderReverse = 8,

    /// <summary>Second order, forward over reverse: the JVP of φ(x) = ⟨w, Jᵀ(x)·u⟩ along v against its central difference.</summary>
    SecondOrderForward = 16,

    /// <summary>Every first-order check: <see cref="Vjp"/>, <see cref="Jvp"/> and <see cref="VjpJvpConsistency"/>.</summary>
    FirstOrder = Vjp | Jvp | VjpJvpConsistency,

    /// <summary>Both second-order checks.</summary>
    SecondOrder = SecondOrderReverse | SecondOrderForward,

    /// <summary>Every check.</summary>
    All = FirstOrder | SecondOrder,
}

/// <summary>
/// What <see cref="GradientProperties"/> generates and how it compares. Every property has a default; set only what
/// your function needs, e.g. <c>new() { Values = Domain.Positive() }</c> for a logarithm.
/// </summary>
public sealed record GradientPropertyOptions
{
    /// <summary>The environment variable that sets <see cref="Seed"/> when the options leave it null.</summary>
    public const string SeedVariable = "AUTOGRAD_TESTING_SEED";

    /// <summary>How the input shapes are generated; every input the same shape, rank 0–3, by default.</summary>
    public Shapes Shapes { get; init; } = Shapes.Same();

    /// <summary>The values of every input; [−3, 3] by default. <see cref="InputValues"/> overrides it per input.</summary>
    public Domain Values { get; init; } = Domain.Between(-3, 3);

    /// <summary>One domain per input (e.g. a divisor away from 0), or null to use <see cref="Values"/> for all.</summary>
    public IReadOnlyList<Domain>? InputValues { get; init; }

    /// <summary>The derivatives compared; all first-order checks by default (add <see cref="DerivativeChecks.SecondOrder"/> for rules meant to be differentiated again).</summary>
    public DerivativeChecks Checks { get; init; } = DerivativeChecks.FirstOrder;

    /// <summary>How many generated inputs to check; 100 by default.</summary>
    public int Cases { get; init; } = 100;

    /// <summary>
    /// The seed of the generated inputs: the same seed gives the same inputs, the same failure and the same shrunk
    /// input. Null (the default) takes <see cref="SeedVariable"/> from the environment if set, else a fresh random
    /// seed; a failure message always prints the seed it ran with.
    /// </summary>
    public ulong? Seed { get; init; }

    /// <summary>Absolute tolerance: an entry passes when |analytic − numerical| ≤ atol + rtol·|numerical| (PyTorch's rule). 1e-5 by default.</summary>
    public double Atol { get; init; } = 1e-5;

    /// <summary>Relative tolerance; 1e-3 by default.</summary>
    public double Rtol { get; init; } = 1e-3;

    /// <summary>The central-difference step, 1e-6 by default (PyTorch's gradcheck); scaled by max(1, |x|) per element in the VJP check.</summary>
    public double Step { get; init; } = 1e-6;

    /// <summary>The most shrinking steps taken after a failure; 200 by default.</summary>
    public int MaxShrinks { get; init; } = 200;

    /// <summary>The domain of input <paramref name="input"/>.</summary>
    public Domain ValuesOf(int input) => InputValues is { } each ? each[input] : Values;

    internal void Validate(int inputs)
    {
        ArgumentNullException.ThrowIfNull(Shapes);
        ArgumentNullException.ThrowIfNull(Values);
        if (InputValues is { } each && (each.Count != inputs || each.Any(d => d is null)))
        {
            throw new ArgumentException($"InputValues has {each.Count} domain(s) for a function of {inputs} input(s)");
        }

        if (Shapes.Inputs is int n && n != inputs)
        {
            throw new ArgumentException($"the shapes {Shapes} are for {n} input(s), but the function takes {inputs}");
        }

        if (Cases < 1 || MaxShrinks < 0)
        {
            throw new ArgumentException($"Cases must be ≥ 1 and MaxShrinks ≥ 0, got {Cases} and {MaxShrinks}");
        }

        if (!(Atol >= 0) || !(Rtol >= 0) || !(Step > 0) || !double.IsFinite(Atol + Rtol + Step))
        {
            throw new ArgumentException($"needs finite Atol ≥ 0, Rtol ≥ 0 and Step > 0, got {Atol}, {Rtol} and {Step}");
        }
    }

    internal ulong EffectiveSeed()
    {
        if (Seed is ulong seed)
        {
            return seed;
        }

        var env = Environment.GetEnvironmentVariable(SeedVariable);
        if (env is not null)
        {
            return ulong.TryParse(env, out var parsed)
                ? parsed
                : throw new ArgumentException($"{SeedVariable} must be an unsigned integer, got '{env}'");
        }

        return (ulong)Random.Shared.NextInt64(long.MaxValue);
    }
}
