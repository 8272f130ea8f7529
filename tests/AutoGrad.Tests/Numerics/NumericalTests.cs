using Xunit;

namespace AutoGrad.Tests.Numerics;

public class NumericalTests
{
    [Fact]
    public void NumericalGradientMatchesTheAnalyticOne()
    {
        var x = Tensor.FromArray(new[] { 0.1, 0.7, -1.3 });
        var g = Numerical.Gradient(t => t.Sin().Sum(), x).ToDoubleArray();
        var expected = x.ToDoubleArray().Select(Math.Cos).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], g[i], 9);
        }
    }

    [Fact]
    public void NumericalJacobianHasShapeOutputPlusInput()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3 });
        var j = Numerical.Jacobian(t => (t * t).Reshape([3, 1]), x);
        Assert.Equal(new Shape(3, 1, 3), j.Shape);
        var v = j.ToDoubleArray();
        Assert.Equal(2.0, v[0], 8);
        Assert.Equal(4.0, v[4], 8);
        Assert.Equal(0.0, v[1], 8);
    }

    [Fact]
    public void NumericalGradientOfANonScalarFunctionIsAClearError()
    {
        var ex = Assert.Throws<TensorOpException>(() => Numerical.Gradient(t => t * 2.0, Tensor.Zeros([2], DType.Float64)));
        Assert.Contains("must return a scalar (rank 0), got float64[2]; use Numerical.Jacobian", ex.Message);
    }

    [Fact]
    public void DefaultStepsDependOnTheDtype()
    {
        Assert.Equal(1e-6, Numerical.DefaultStep(DType.Float64));
        Assert.Equal(1e-3, Numerical.DefaultStep(DType.Float32));
    }

    [Fact]
    public void GradCheckPassesForACorrectGradient()
    {
        var a = Tensor.FromArray(new double[,] { { 0.3, -1.1 }, { 2.0, 0.4 } });
        var b = Tensor.FromArray(new[] { 0.5, -0.25 });
        var result = Numerical.GradCheck(xs => (xs[0].MatMul(xs[1]).Tanh() * 3.0).Sum(), [a, b]);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(2, result.Inputs.Count);
        Assert.All(result.Inputs, r => Assert.True(r.MaxAbsError < 1e-8));
        result.ThrowIfFailed();
    }

    [Fact]
    public void GradCheckCatchesAWrongGradientAndNamesTheWorstEntry()
    {
        // x · detach(x) has the value x² but the recorded gradient x, half the true 2x.
        var x = Tensor.FromArray(new[] { 1.0, -3.0, 0.5 });
        var result = Numerical.GradCheck(t => (t * t.Detach()).Sum(), x);
        Assert.False(result.Passed);
        var report = result.Inputs[0];
        Assert.Equal([1], report.WorstInputIndex);
        Assert.Equal(-3.0, report.Analytic, 9);
        Assert.Equal(-6.0, report.Numerical, 6);
        Assert.Equal(3.0, report.MaxAbsError, 6);
        Assert.Equal(0.5, report.MaxRelError, 6);
        Assert.Contains("FAILED", result.ToString());
        Assert.Throws<InvalidOperationException>(result.ThrowIfFailed);
    }

    [Fact]
    public void GradCheckComparesFullJacobiansOfVectorFunctions()
    {
        var result = Numerical.GradCheck(t => t.Softmax(), Tensor.FromArray(new[] { 0.1, 0.2, -0.4 }));
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void GradCheckToleranceCanBeTightenedOrLoosened()
    {
        var x = Tensor.FromArray(new[] { 1.0 });
        var wrongByOnePercent = (Tensor t) => (t * t * (1.0 + 0.01 * t.Detach() / t.Detach())).Sum() - (t * t * 0.01).Sum() + (t * t.Detach() * 0.02).Sum() - (t * t.Detach() * 0.02).Sum();
        Assert.True(Numerical.GradCheck(wrongByOnePercent, x).Passed);

        var off = (Tensor t) => (t * t).Sum() + (t * t.Detach()).Sum() * 1e-4;
        Assert.True(Numerical.GradCheck(off, x, new GradCheckOptions(Atol: 1e-3, Rtol: 1e-3)).Passed);
        Assert.False(Numerical.GradCheck(off, x, new GradCheckOptions(Atol: 1e-7, Rtol: 1e-7)).Passed);
    }

    [Fact]
    public void GradCheckSkipsIntegerInputs()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 0.5 }, { 0.1, 0.2, 0.3 } });
        var labels = Tensor.FromArray(new[] { 2, 0 }, [2, 1]);
        var result = Numerical.GradCheck(xs => -xs[0].LogSoftmax().TakeAlongAxis(xs[1], 1).Mean(), [logits, labels]);
        Assert.True(result.Passed, result.ToString());
        Assert.Single(result.Inputs);
    }

    [Fact]
    public void GradCheckWorksInFloat32WithLooserTolerances()
    {
        var x = Tensor.FromArray(new[] { 0.3f, -0.8f });
        var result = Numerical.GradCheck(t => t.Tanh().Sum(), x, new GradCheckOptions(Atol: 1e-3, Rtol: 1e-2));
        Assert.True(result.Passed, result.ToString());
    }
}
