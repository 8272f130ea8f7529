using Xunit;

namespace AutoGrad.Testing.Tests;

/// <summary>Deliberately wrong rules are caught, shrunk to the smallest failing input, and reported with what it takes to replay them.</summary>
public class WrongRuleTests
{
    private static GradientPropertyException Fails(Func<Tensor, Tensor> f, GradientPropertyOptions options) =>
        Assert.Throws<GradientPropertyException>(() => GradientProperties.AgreeWithFiniteDifferences(f, options));

    [Fact]
    public void AVjpRuleWrongOnlyAboveOneIsCaughtAndShrunkToOneElementInTheFailingRegion()
    {
        var e = Fails(Rules.SquareMissingFactorAboveOne, new() { Seed = 1 });

        Assert.Equal(DerivativeChecks.Vjp, e.Failure.Check);

        // The first failing input is a whole tensor; shrinking leaves one element, in the region where the rule is wrong.
        Assert.True(Layout.Size(e.FirstFailure.Shapes[0]) > 1);
        var shape = Assert.Single(e.Failure.Shapes);
        Assert.True(Layout.Size(shape) <= 1, $"shrunk to {string.Join(",", shape)}");
        Assert.All(e.Failure.Values[0], v => Assert.True(v > 1, $"shrunk to {v}, where the rule is right"));

        // All the way, in fact: a scalar, and the simplest value above 1. There ∂(x²)/∂x = 4, and the rule says 2.
        Assert.Empty(shape);
        Assert.Equal([2.0], e.Failure.Values[0]);
        Assert.Equal(2, e.Failure.Analytic, 9);
        Assert.Equal(4, e.Failure.Numerical, 5);
        Assert.True(e.Shrinks > 0);
    }

    [Fact]
    public void WithRankAtLeastOneItShrinksToASingleElement()
    {
        var e = Fails(Rules.SquareMissingFactorAboveOne, new() { Seed = 2, Shapes = Shapes.Same(minRank: 1) });
        Assert.Equal([1], e.Failure.Shapes[0]);
        Assert.Equal([2.0], e.Failure.Values[0]);
    }

    [Fact]
    public void TheMessagePrintsTheSmallestInputTheDerivativesTheWorstEntryAndTheSeed()
    {
        var e = Fails(Rules.SquareMissingFactorAboveOne, new() { Seed = 1 });
        var lines = e.Message.Split('\n');

        Assert.StartsWith("Gradient property failed: reverse mode (VJP) disagrees with central differences", lines[0]);
        Assert.Contains("Smallest failing input:", lines);
        Assert.Contains("  x = float64[] 2", lines);
        Assert.Contains(lines, l => l.StartsWith("  worst entry ∂f/∂x: analytic 2, numerical 4", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Seed: 1 (replay with Seed = 1", StringComparison.Ordinal));
        Assert.Contains("AUTOGRAD_TESTING_SEED=1", e.Message);
        Assert.Contains("Options: atol 1e-05, rtol 0.001, step 1e-06; shapes Same(rank 0..3, dims ≤ 4, ≤ 24 elements); values [-3, 3]; checks FirstOrder.", lines);

        // The input that failed first is printed too, whole.
        int first = Array.IndexOf(lines, "First failing input, before shrinking:");
        Assert.True(first > 0);
        Assert.Equal("  x = " + Format.Tensor(e.FirstFailure.Values[0], e.FirstFailure.Shapes[0]), lines[first + 1]);
        Assert.Matches(@"^  x = float64\[\d+(,\d+)*\] \[", lines[first + 1]);
    }

    [Fact]
    public void TheSameSeedReplaysTheSameFailureAndTheSameShrinking()
    {
        // A random seed (none given), then that seed again.
        var random = Fails(Rules.SquareMissingFactorAboveOne, new() { Shapes = Shapes.Same(minRank: 2) });
        var replay = Fails(Rules.SquareMissingFactorAboveOne, new() { Seed = random.Seed, Shapes = Shapes.Same(minRank: 2) });

        Assert.Equal(random.Seed, replay.Seed);
        Assert.Equal(random.CasesPassed, replay.CasesPassed);
        Assert.Equal(random.Shrinks, replay.Shrinks);
        Assert.Equal(random.FirstFailure.Values, replay.FirstFailure.Values);
        Assert.Equal(random.Failure.Shapes, replay.Failure.Shapes);
        Assert.Equal(random.Failure.Values, replay.Failure.Values);
        Assert.Equal(random.Message, replay.Message);
        Assert.Equal([1, 1], replay.Failure.Shapes[0]);
    }

    [Fact]
    public void AWrongSignEverywhereIsCaughtAtTheFirstInput()
    {
        var negated = Custom.Vjp((Tensor x) => x.Sin(), (x, y, g) => -g * x.Cos());
        var e = Fails(negated, new() { Seed = 4, Values = Domain.Between(0.5, 1) });
        Assert.Equal(0, e.CasesPassed);
        Assert.Equal([1.0], e.Failure.Values[0]);
        Assert.Equal(-Math.Cos(1), e.Failure.Analytic, 9);
        Assert.Equal(Math.Cos(1), e.Failure.Numerical, 5);
    }

    [Fact]
    public void ABroadcastingRuleThatForgetsToReduceIsShrunkToTheSmallestBroadcast()
    {
        var e = Assert.Throws<GradientPropertyException>(() =>
            GradientProperties.AgreeWithFiniteDifferences(2, Rules.MulForgetsToReduce, new() { Seed = 3, Shapes = Shapes.Broadcastable() }));

        // The rule returns a cotangent of the wrong shape: the VJP check throws, naming it.
        Assert.Equal(DerivativeChecks.Vjp, e.Failure.Check);
        Assert.Contains("cotangent 1 must match its input", e.Failure.Exception!.Message);
        Assert.StartsWith("Gradient property failed: checking reverse mode (VJP) against central differences threw", e.Message);

        // Smallest: a one-element vector against a scalar, the least broadcast there is; zeros, since only shapes matter.
        Assert.Equal([1], e.Failure.Shapes[0]);
        Assert.Empty(e.Failure.Shapes[1]);
        Assert.All(e.Failure.Values.SelectMany(v => v), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TheMessageNamesEachInputsDomain()
    {
        var e = Assert.Throws<GradientPropertyException>(() => GradientProperties.AgreeWithFiniteDifferences(
            (a, b) => Rules.SquareMissingFactorAboveOne(a) * b,
            new() { Seed = 1, InputValues = [Domain.Between(-3, 3), Domain.Positive()], Checks = DerivativeChecks.Vjp }));
        Assert.Contains("; values x0 [-3, 3], x1 [0.1, 5]; checks Vjp.", e.Message);
        Assert.Equal([[2.0], [1.0]], e.Failure.Values);
    }

    [Fact]
    public void AFunctionThatThrowsOnSomeShapesIsShrunkToTheSmallestSuch()
    {
        Func<Tensor, Tensor> onlyVectors = x => x.Rank >= 2 ? throw new InvalidOperationException($"rank {x.Rank}") : x.Exp();
        var e = Fails(onlyVectors, new() { Seed = 6 });
        Assert.Equal(DerivativeChecks.None, e.Failure.Check);
        Assert.Equal([1, 1], e.Failure.Shapes[0]);
        Assert.Equal([0.0], e.Failure.Values[0]);
        Assert.Contains("the function threw", e.Message);
        Assert.Contains("threw InvalidOperationException: rank 2", e.Message);
    }
}

/// <summary>Wrong forward-mode and second-order rules: the JVP, consistency and second-order checks each catch what the VJP check cannot.</summary>
public class WrongJvpAndSecondOrderTests
{
    private static GradientPropertyException Fails(Func<Tensor, Tensor> f, GradientPropertyOptions options) =>
        Assert.Throws<GradientPropertyException>(() => GradientProperties.AgreeWithFiniteDifferences(f, options));

    [Fact]
    public void AWrongJvpRuleIsInvisibleToTheVjpCheck()
    {
        // Reverse mode differentiates the forward computation of a function that has only a JVP rule.
        GradientProperties.AgreeWithFiniteDifferences(Rules.ExpWrongJvpAboveOne, new() { Seed = 1, Checks = DerivativeChecks.Vjp });
    }

    [Fact]
    public void TheJvpCheckCatchesAWrongJvpRuleAndShrinksIt()
    {
        var e = Fails(Rules.ExpWrongJvpAboveOne, new() { Seed = 1, Checks = DerivativeChecks.Jvp });
        Assert.Equal(DerivativeChecks.Jvp, e.Failure.Check);
        Assert.Empty(e.Failure.Shapes[0]);
        Assert.Equal([2.0], e.Failure.Values[0]);
        Assert.StartsWith("Gradient property failed: forward mode (JVP) disagrees with central differences", e.Message);
        Assert.Contains("tangent v for x = float64[] ", e.Message);
        Assert.Equal(1.5, e.Failure.Analytic / e.Failure.Numerical, 5);
    }

    [Fact]
    public void TheConsistencyCheckCatchesAWrongJvpRuleAgainstTheVjp()
    {
        var e = Fails(Rules.ExpWrongJvpAboveOne, new() { Seed = 1, Checks = DerivativeChecks.VjpJvpConsistency });
        Assert.Equal(DerivativeChecks.VjpJvpConsistency, e.Failure.Check);
        Assert.Equal([2.0], e.Failure.Values[0]);
        Assert.Contains("worst entry ⟨u, J·v⟩: forward mode ", e.Message);
        Assert.Contains("cotangent u = float64[] ", e.Message);
        Assert.Equal(1.5, e.Failure.Analytic / e.Failure.Numerical, 5);
    }

    [Fact]
    public void SecondOrderForwardOverReverseCatchesAWrongJvpRuleBehindARightVjp()
    {
        // First order in reverse mode, and reverse over reverse, never call the JVP rule.
        GradientProperties.AgreeWithFiniteDifferences(Rules.ExpRightVjpWrongJvpAboveOne,
            new() { Seed = 1, Checks = DerivativeChecks.Vjp | DerivativeChecks.SecondOrderReverse });

        var e = Fails(Rules.ExpRightVjpWrongJvpAboveOne, new() { Seed = 1, Checks = DerivativeChecks.SecondOrder });
        Assert.Equal(DerivativeChecks.SecondOrderForward, e.Failure.Check);
        Assert.Empty(e.Failure.Shapes[0]);
        Assert.Equal([2.0], e.Failure.Values[0]);
        Assert.Contains("the second order by forward over reverse", e.Message);
        Assert.Contains("weight w for x = ", e.Message);
    }

    [Fact]
    public void SecondOrderReverseCatchesARuleThatIsRightButNotDifferentiable()
    {
        GradientProperties.AgreeWithFiniteDifferences(Rules.CubeRuleNotDifferentiableAboveOne, new() { Seed = 1 });

        var e = Fails(Rules.CubeRuleNotDifferentiableAboveOne, new() { Seed = 1, Checks = DerivativeChecks.SecondOrderReverse });
        Assert.Equal(DerivativeChecks.SecondOrderReverse, e.Failure.Check);
        Assert.Empty(e.Failure.Shapes[0]);
        Assert.Equal([2.0], e.Failure.Values[0]);
        Assert.Equal(0, e.Failure.Analytic, 9);                  // the detached x² has no derivative
        Assert.NotEqual(0, e.Failure.Numerical);                 // 6x·u·w
        Assert.Contains("worst entry ∂⟨w, Jᵀ·u⟩/∂x: analytic 0, numerical ", e.Message);
    }
}
