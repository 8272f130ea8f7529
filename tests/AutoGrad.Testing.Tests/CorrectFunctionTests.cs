using Xunit;

namespace AutoGrad.Testing.Tests;

/// <summary>Right functions and right custom rules pass every check, first and second order, over 100 generated inputs each.</summary>
public class CorrectFunctionTests
{
    private static GradientPropertyOptions All(ulong seed = 7) => new() { Seed = seed, Checks = DerivativeChecks.All };

    public static TheoryData<string> OneInput => new(OneInputCases.Keys);

    private static readonly Dictionary<string, (Func<Tensor, Tensor> F, GradientPropertyOptions Options)> OneInputCases = new()
    {
        ["Σ tanh(x)²"] = (x => (x.Tanh() * x.Tanh()).Sum(), All()),
        ["exp"] = (F.Exp, All()),
        ["log, positive values"] = (F.Log, All() with { Values = Domain.Positive() }),
        ["abs, away from its kink"] = (F.Abs, All() with { Values = Domain.Between(-3, 3).AwayFrom(0) }),
        ["relu, away from its kink"] = (F.Relu, All() with { Values = Domain.Between(-3, 3).AwayFrom(0) }),
        ["softmax over the last axis"] = (x => x.Softmax(-1), All() with { Shapes = Shapes.Same(minRank: 1) }),
        ["custom x²"] = (Rules.Square, All()),
        ["custom softplus"] = (Rules.Softplus, All()),
        ["custom log-sum-exp"] = (Rules.LogSumExp, All() with { Shapes = Shapes.Same(minRank: 1) }),
        ["custom JVP of exp"] = (Rules.ExpJvp, All()),
        ["matrix times its transpose, named shapes"] = (x => x.MatMul(x.Transpose()), All() with { Shapes = Shapes.Named("m n") }),
        ["fixed shape"] = (x => x.Sum(0), All() with { Shapes = Shapes.Fixed([2, 3]) }),
    };

    [Theory]
    [MemberData(nameof(OneInput))]
    public void AFunctionOfOneTensorPasses(string name)
    {
        var (f, options) = OneInputCases[name];
        var report = GradientProperties.AgreeWithFiniteDifferences(f, options);
        Assert.Equal(100, report.Cases);
        Assert.Equal(7UL, report.Seed);
        Assert.Equal(DerivativeChecks.All, report.Checks);
    }

    [Fact]
    public void ACustomRuleIsCheckedInOneLine()
    {
        GradientProperties.AgreeWithFiniteDifferences(Rules.Softplus);
    }

    [Fact]
    public void BroadcastingFunctionsOfTwoTensorsPass()
    {
        var options = All() with { Shapes = Shapes.Broadcastable() };
        GradientProperties.AgreeWithFiniteDifferences((a, b) => a * b.Tanh(), options);
        GradientProperties.AgreeWithFiniteDifferences(2, Rules.Mul, options);
    }

    [Fact]
    public void EachInputHasItsOwnDomain()
    {
        var options = All() with
        {
            Shapes = Shapes.Broadcastable(),
            InputValues = [Domain.Between(-3, 3), Domain.Between(-3, 3).Where(v => Math.Abs(v) >= 0.5, "|v| ≥ 0.5")],
        };
        GradientProperties.AgreeWithFiniteDifferences((a, b) => a / b, options);
    }

    [Fact]
    public void NamedShapesKeepAMatrixProductsOperandsCompatible()
    {
        GradientProperties.AgreeWithFiniteDifferences(2, Rules.MatMul, All() with { Shapes = Shapes.Named("m k", "k n") });
        GradientProperties.AgreeWithFiniteDifferences((a, b) => a.MatMul(b), All() with { Shapes = Shapes.Named("b m k", "k") });
    }

    [Fact]
    public void FunctionsOfThreeAndMoreTensorsPass()
    {
        var options = All() with { Shapes = Shapes.Broadcastable() };
        GradientProperties.AgreeWithFiniteDifferences((a, b, c) => (a * b - c).Pow(2.0), options);
        GradientProperties.AgreeWithFiniteDifferences(3, Rules.MulAdd, options);
        GradientProperties.AgreeWithFiniteDifferences(4, xs => xs[0] * xs[1] + xs[2] * xs[3], All() with { Shapes = Shapes.Independent(maxRank: 0) });
    }

    [Fact]
    public void ShapesFromAGeneratorOfYourOwnAreUsed()
    {
        var seen = new List<int[]>();
        var shapes = Shapes.From(FsCheck.Fluent.Gen.Elements(new[] { new[] { 5 } }, new[] { new[] { 2, 2 } }));
        GradientProperties.AgreeWithFiniteDifferences(x => { seen.Add(x.Shape.ToArray()); return x.Sin(); }, new() { Seed = 3, Shapes = shapes, Cases = 20 });
        Assert.Contains(seen, s => s.SequenceEqual([5]));
        Assert.Contains(seen, s => s.SequenceEqual([2, 2]));
        Assert.All(seen, s => Assert.True(s.SequenceEqual([5]) || s.SequenceEqual([2, 2])));
    }

    [Fact]
    public void GeneratedValuesStayInTheirDomain()
    {
        var domain = Domain.Positive(2).AwayFrom(1);
        var values = new List<double>();
        GradientProperties.AgreeWithFiniteDifferences(x =>
        {
            values.AddRange(x.ToDoubleArray());
            return x.Log();
        }, new() { Seed = 5, Values = domain, Checks = DerivativeChecks.None });
        Assert.NotEmpty(values);
        Assert.All(values, v => Assert.True(domain.Contains(v), $"{v} outside {domain}"));
        Assert.All(values, v => Assert.Equal(v, Math.Round(v, 3)));
    }
}
