using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace AutoGrad.Testing;

/// <summary>
/// Property tests for derivatives, as the library tests its own ops: "the derivatives of my function agree with
/// finite differences" over generated inputs of generated shapes (float64), with FsCheck shrinking a failure to the
/// smallest failing input. A failure throws <see cref="GradientPropertyException"/>, whose message prints that input,
/// the analytic and numerical values at the worst entry and the seed to replay; any test framework reports it.
/// </summary>
/// <example>
/// A custom VJP rule checked in one line, in an xunit, NUnit or MSTest test:
/// <code>
/// var softplus = Custom.Vjp((Tensor x) => (1.0 + x.Exp()).Log(), (x, y, g) => g * x.Sigmoid());
/// GradientProperties.AgreeWithFiniteDifferences(softplus);
/// </code>
/// </example>
public static class GradientProperties
{
    /// <summary>The gamma of FsCheck's splittable generator; any odd number, fixed so that a seed alone replays a run.</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15UL | 1;

    /// <summary>Checks the derivatives of a function of one tensor over generated inputs; throws <see cref="GradientPropertyException"/> on the smallest failing one.</summary>
    /// <param name="f">The function; its output may have any shape (non-scalar outputs are checked entry by entry, and with random cotangents).</param>
    /// <param name="options">Shapes, value domain, checks, tolerances, seed; the defaults when null.</param>
    /// <returns>What ran, when every generated input passed.</returns>
    public static GradientPropertyReport AgreeWithFiniteDifferences(Func<Tensor, Tensor> f, GradientPropertyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Run(xs => f(xs[0]), 1, options);
    }

    /// <summary>Checks the derivatives of a function of two tensors with respect to both (see <see cref="Shapes.Broadcastable"/> for elementwise operations).</summary>
    /// <param name="f">The function.</param>
    /// <param name="options">Shapes (the same for both inputs by default), domains, checks, tolerances, seed.</param>
    /// <returns>What ran, when every generated input passed.</returns>
    public static GradientPropertyReport AgreeWithFiniteDifferences(Func<Tensor, Tensor, Tensor> f, GradientPropertyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Run(xs => f(xs[0], xs[1]), 2, options);
    }

    /// <summary>Checks the derivatives of a function of three tensors with respect to all three.</summary>
    /// <param name="f">The function.</param>
    /// <param name="options">Shapes, domains, checks, tolerances, seed.</param>
    /// <returns>What ran, when every generated input passed.</returns>
    public static GradientPropertyReport AgreeWithFiniteDifferences(Func<Tensor, Tensor, Tensor, Tensor> f, GradientPropertyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Run(xs => f(xs[0], xs[1], xs[2]), 3, options);
    }

    /// <summary>
    /// Checks the derivatives of a function of <paramref name="inputs"/> tensors with respect to all of them, e.g. a
    /// rule made with <c>Custom.Vjp(Func&lt;Tensor[], Tensor&gt;, …)</c>.
    /// </summary>
    /// <param name="inputs">How many tensors the function takes.</param>
    /// <param name="f">The function.</param>
    /// <param name="options">Shapes, domains, checks, tolerances, seed.</param>
    /// <returns>What ran, when every generated input passed.</returns>
    public static GradientPropertyReport AgreeWithFiniteDifferences(int inputs, Func<Tensor[], Tensor> f, GradientPropertyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (inputs < 1)
        {
            throw new ArgumentException($"a function of at least one input, got {inputs}", nameof(inputs));
        }

        return Run(f, inputs, options);
    }

    private static GradientPropertyReport Run(Func<Tensor[], Tensor> f, int inputs, GradientPropertyOptions? options)
    {
        options ??= new GradientPropertyOptions();
        options.Validate(inputs);
        var domains = Enumerable.Range(0, inputs).Select(options.ValuesOf).ToArray();
        var shapes = options.Shapes;
        ulong seed = options.EffectiveSeed();

        var gen =
            from layout in shapes.Generate(inputs)
            from values in Gen.CollectToArray(Enumerable.Range(0, inputs).Select(i => Gen.ArrayOf(domains[i].Generate(), Layout.Size(layout.ShapeOf(i)))))
            from directionSeed in Gen.Choose(0, int.MaxValue)
            select new Case(layout, values, directionSeed);

        var checker = new Checker(f, inputs, options);
        GradientPropertyFailure? first = null, last = null;
        int passed = 0, failures = 0, attempts = 0;

        // Shrinking stops after MaxShrinks accepted steps or 10× as many tried candidates.
        IEnumerable<Case> Shrink(Case c) => failures > options.MaxShrinks
            ? []
            : Shrinker.Candidates(c, shapes, domains).TakeWhile(_ => attempts < 10 * Math.Max(options.MaxShrinks, 1));

        var property = Prop.ForAll(Arb.From(gen, Shrink), (Case c) =>
        {
            if (first is not null)
            {
                attempts++;
            }

            var failure = checker.Run(c);
            if (failure is null)
            {
                passed += first is null ? 1 : 0;
                return true;
            }

            failures++;
            first ??= failure;
            last = failure;
            return false;
        });

        var config = Config.QuickThrowOnFailure
            .WithMaxTest(options.Cases)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, Gamma), FSharpOption<int>.None)));
        try
        {
            Check.One(config, property);
        }
        catch (Exception) when (last is not null)
        {
            // FsCheck's own report is replaced by ours below, which knows what the sample means.
        }

        if (last is not null)
        {
            throw new GradientPropertyException(last, first!, seed, passed, failures - 1, options);
        }

        return new GradientPropertyReport(options.Cases, seed, options.Checks);
    }
}

/// <summary>What a passing <see cref="GradientProperties"/> check ran.</summary>
/// <param name="Cases">How many generated inputs passed.</param>
/// <param name="Seed">The seed they were generated from.</param>
/// <param name="Checks">The checks run on each.</param>
public sealed record GradientPropertyReport(int Cases, ulong Seed, DerivativeChecks Checks)
{
    /// <summary>For example <c>passed 100 generated inputs (Vjp, Jvp, VjpJvpConsistency; seed 42)</c>.</summary>
    public override string ToString() => $"passed {Cases} generated inputs ({Checks}; seed {Seed})";
}
