using Xunit;

namespace AutoGrad.Testing.Tests;

/// <summary>Options that cannot work are refused up front, with a message that says why.</summary>
public class OptionsTests
{
    [Fact]
    public void MismatchedInputCountsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => GradientProperties.AgreeWithFiniteDifferences(F.Exp, new() { Shapes = Shapes.Named("m k", "k n") }));
        Assert.Contains("for 2 input(s), but the function takes 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => GradientProperties.AgreeWithFiniteDifferences(F.Mul, new() { InputValues = [Domain.Positive()] }));
        Assert.Contains("InputValues has 1 domain(s) for a function of 2 input(s)", e.Message);
        Assert.Throws<ArgumentException>(() => GradientProperties.AgreeWithFiniteDifferences(0, xs => xs[0]));
    }

    [Fact]
    public void BadNumbersAreRefused()
    {
        Assert.Throws<ArgumentException>(() => GradientProperties.AgreeWithFiniteDifferences(F.Exp, new() { Cases = 0 }));
        Assert.Throws<ArgumentException>(() => GradientProperties.AgreeWithFiniteDifferences(F.Exp, new() { Step = 0 }));
        Assert.Throws<ArgumentException>(() => GradientProperties.AgreeWithFiniteDifferences(F.Exp, new() { Atol = double.NaN }));
        Assert.Throws<ArgumentException>(() => Domain.Between(1, 0));
        Assert.Throws<ArgumentException>(() => Domain.Between(0.0001, 0.0009));
        Assert.Throws<ArgumentException>(() => Shapes.Same(minRank: 2, maxRank: 1));
        Assert.Throws<ArgumentException>(() => Shapes.Named("m 2.5"));
        Assert.Throws<ArgumentNullException>(() => GradientProperties.AgreeWithFiniteDifferences((Func<Tensor, Tensor>)null!));
    }

    [Fact]
    public void ADomainWithNoValueSaysSo()
    {
        var empty = Domain.Between(0, 0.002).Where(v => v > 1, "above 1");
        var e = Assert.ThrowsAny<Exception>(() => GradientProperties.AgreeWithFiniteDifferences(F.Exp, new() { Values = empty, Seed = 1 }));
        Assert.Contains("holds no value", e.ToString());
    }

    [Fact]
    public void DomainsAndShapesDescribeThemselves()
    {
        Assert.Equal("[-3, 3], away from 0 by 0.01", Domain.Between(-3, 3).AwayFrom(0).ToString());
        Assert.Equal("[0.1, 5]", Domain.Positive().ToString());
        Assert.Equal("Named(\"m k\", \"k n\")", Shapes.Named("m k", "k n").ToString());
        Assert.Equal("Broadcastable(rank 0..3, dims ≤ 4, ≤ 24 elements)", Shapes.Broadcastable().ToString());
    }
}
