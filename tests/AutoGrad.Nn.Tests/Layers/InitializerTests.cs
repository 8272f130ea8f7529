using AutoGrad.Nn.Init;
using Xunit;

namespace AutoGrad.Nn.Tests.Layers;

public class InitializerTests
{
    private static (double Mean, double Std, double Min, double Max) Stats(Tensor t)
    {
        var v = t.ToDoubleArray();
        double mean = v.Average();
        return (mean, Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average()), v.Min(), v.Max());
    }

    [Fact]
    public void XavierUniformUsesTheGlorotBound()
    {
        var (mean, std, min, max) = Stats(Initializers.XavierUniform()([200, 300], new Generator(1), DType.Float64));
        double a = Math.Sqrt(6.0 / 500);
        Assert.InRange(min, -a, -a * 0.99);
        Assert.InRange(max, a * 0.99, a);
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, a / Math.Sqrt(3) * 0.98, a / Math.Sqrt(3) * 1.02);
    }

    [Fact]
    public void XavierNormalHeNormalAndNormalHaveTheirStandardDeviations()
    {
        var g = new Generator(2);
        Assert.InRange(Stats(Initializers.XavierNormal()([200, 300], g, DType.Float64)).Std, Math.Sqrt(2.0 / 500) * 0.98, Math.Sqrt(2.0 / 500) * 1.02);
        Assert.InRange(Stats(Initializers.HeNormal()([400, 100], g, DType.Float64)).Std, Math.Sqrt(2.0 / 400) * 0.98, Math.Sqrt(2.0 / 400) * 1.02);
        Assert.InRange(Stats(Initializers.Normal(0.5)([300, 300], g, DType.Float64)).Std, 0.49, 0.51);
        var (_, _, min, max) = Stats(Initializers.HeUniform()([400, 100], g, DType.Float64));
        double a = Math.Sqrt(2) * Math.Sqrt(3.0 / 400);
        Assert.InRange(min, -a, -a * 0.99);
        Assert.InRange(max, a * 0.99, a);
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = Initializers.HeNormal()([3, 4], new Generator(5), DType.Float32).ToDoubleArray();
        var b = Initializers.HeNormal()([3, 4], new Generator(5), DType.Float32).ToDoubleArray();
        Assert.Equal(a, b);
        Assert.All(Initializers.Zeros([2, 2], new Generator(5), DType.Float32).ToDoubleArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void ParseKnowsEveryNameAndListsThemOnError()
    {
        foreach (var name in new[] { "normal", "xavier-uniform", "xavier-normal", "he-uniform", "he-normal", "zeros" })
        {
            Assert.NotNull(Initializers.Parse(name));
        }

        var ex = Assert.Throws<ArgumentException>(() => Initializers.Parse("bogus"));
        Assert.Contains("choose one of", ex.Message);
    }
}
