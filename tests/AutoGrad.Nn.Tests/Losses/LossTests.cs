using AutoGrad.Nn.Losses;
using Xunit;

namespace AutoGrad.Nn.Tests.Losses;

/// <summary>Each loss against a plain-loop reference, its gradient against finite differences, and its errors.</summary>
public class LossTests
{
    private static readonly double[] P = [0.3, -1.2, 2.5, 0.05, -0.7, 1.1];
    private static readonly double[] T = [0.5, -1.0, 1.0, 0.0, 0.2, 3.0];

    private static Tensor M(double[] v) => Tensor.FromArray(v, [2, 3]);

    private static void Check(double expected, Tensor actual) => Assert.Equal(expected, actual.Item(), 12);

    private static void GradOk(Func<Tensor, Tensor> f, Tensor x)
    {
        var result = Numerical.GradCheck(f, x);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void RegressionLossesMatchTheirFormulas()
    {
        var d = P.Zip(T, (p, t) => p - t).ToArray();
        Check(d.Select(x => x * x).Average(), Loss.MeanSquaredError(M(P), M(T)));
        Check(d.Select(x => x * x).Sum(), Loss.MeanSquaredError(M(P), M(T), Reduction.Sum));
        Check(0.5 * d.Select(x => x * x).Average(), Loss.HalfMeanSquaredError(M(P), M(T)));
        Check(d.Select(Math.Abs).Average(), Loss.MeanAbsoluteError(M(P), M(T)));
        Check(d.Select(x => Math.Abs(x) <= 1 ? 0.5 * x * x : Math.Abs(x) - 0.5).Average(), Loss.Huber(M(P), M(T)));
        Check(d.Select(x => Math.Abs(x) <= 0.5 ? 0.5 * x * x : 0.5 * (Math.Abs(x) - 0.25)).Average(), Loss.Huber(M(P), M(T), 0.5));
        Check(P.Zip(T, (z, t) => Math.Exp(z) - t * z).Average(), Loss.Poisson(M(P), M(T)));
    }

    [Fact]
    public void BinaryCrossEntropiesMatchTheirFormulasAndEachOther()
    {
        var targets = new[] { 1.0, 0, 1, 0, 0.3, 1 };
        var probs = P.Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
        double expected = probs.Zip(targets, (p, t) => -(t * Math.Log(p) + (1 - t) * Math.Log(1 - p))).Average();
        Check(expected, Loss.BinaryCrossEntropy(M(probs), M(targets)));
        Check(expected, Loss.BinaryCrossEntropyWithLogits(M(P), M(targets)));
    }

    [Fact]
    public void LogitLossesStayFiniteForExtremeLogits()
    {
        var logits = Tensor.FromArray(new[] { 1000.0, -1000.0 });
        var t = Tensor.FromArray(new[] { 0.0, 1.0 });
        Check(1000, Loss.BinaryCrossEntropyWithLogits(logits, t));
        var ce = Loss.CrossEntropy(Tensor.FromArray(new double[,] { { 1000, 0 }, { 0, 1000 } }), Tensor.FromArray(new[] { 1, 1 }));
        Check(500, ce);
        Check(100, Loss.BinaryCrossEntropy(Tensor.FromArray(new[] { 0.0 }), Tensor.FromArray(new[] { 1.0 })));
    }

    [Fact]
    public void CrossEntropyWithLabelsEqualsCrossEntropyWithOneHotTargets()
    {
        var logits = M(P);
        var labels = Tensor.FromArray(new[] { 2, 0 });
        double expected = new[] { (0, 2), (1, 0) }.Select(rc =>
        {
            var row = P.Skip(rc.Item1 * 3).Take(3).ToArray();
            return -(row[rc.Item2] - Math.Log(row.Sum(Math.Exp)));
        }).Average();
        Check(expected, Loss.CrossEntropy(logits, labels));
        Check(expected, Loss.CrossEntropyWithProbabilities(logits, labels.OneHot(3, DType.Float64)));
        Check(2 * expected, Loss.CrossEntropy(logits, labels, Reduction.Sum));
    }

    [Fact]
    public void KlDivergenceAndCosineSimilarityMatchTheirFormulas()
    {
        var t = new[] { 0.2, 0.8, 0.0, 0.5, 0.25, 0.25 };
        var logq = M(P).LogSoftmax();
        var lq = logq.ToDoubleArray();
        double kl = (Enumerable.Range(0, 6).Sum(i => t[i] > 0 ? t[i] * (Math.Log(t[i]) - lq[i]) : 0)) / 2;
        Check(kl, Loss.KlDivergence(logq, M(t)));

        double Cos(int r) => Enumerable.Range(0, 3).Sum(j => P[r * 3 + j] * T[r * 3 + j]) /
            Math.Sqrt(Enumerable.Range(0, 3).Sum(j => P[r * 3 + j] * P[r * 3 + j]) * Enumerable.Range(0, 3).Sum(j => T[r * 3 + j] * T[r * 3 + j]));
        Check(((1 - Cos(0)) + (1 - Cos(1))) / 2, Loss.CosineSimilarity(M(P), M(T)));
    }

    [Fact]
    public void EveryLossHasCorrectGradients()
    {
        var t = M(T);
        var probsT = M([1.0, 0, 1, 0, 0.3, 1]);
        var dist = M([0.2, 0.8, 0.0, 0.5, 0.25, 0.25]);
        GradOk(x => Loss.MeanSquaredError(x, t), M(P));
        GradOk(x => Loss.MeanAbsoluteError(x, t), M(P));
        GradOk(x => Loss.Huber(x, t), M(P));
        GradOk(x => Loss.BinaryCrossEntropy(x.Sigmoid(), probsT), M(P));
        GradOk(x => Loss.BinaryCrossEntropyWithLogits(x, probsT), M(P));
        GradOk(x => Loss.CrossEntropy(x, Tensor.FromArray(new[] { 2, 0 })), M(P));
        GradOk(x => Loss.CrossEntropyWithProbabilities(x, dist), M(P));
        GradOk(x => Loss.Poisson(x, t), M(P));
        GradOk(x => Loss.KlDivergence(x.LogSoftmax(), dist), M(P));
        GradOk(x => Loss.CosineSimilarity(x, t), M(P));
    }

    [Fact]
    public void MismatchedShapesAndLabelsAreClearErrors()
    {
        var ex = Assert.Throws<TensorOpException>(() => Loss.MeanSquaredError(Tensor.Zeros([2, 3]), Tensor.Zeros([3, 2])));
        Assert.StartsWith("MeanSquaredError at LossTests.cs:", ex.Message);
        Assert.Contains("predictions float32[2,3] and targets float32[3,2] must have the same shape", ex.Message);
        var ce = Assert.Throws<TensorOpException>(() => Loss.CrossEntropy(Tensor.Zeros([2, 3]), Tensor.FromArray(new[] { 0, 1, 2 })));
        Assert.Contains("needs logits [n, classes] and int32 labels [n], got float32[2,3] and int32[3]", ce.Message);
        var label = Assert.Throws<TensorOpException>(() => Loss.CrossEntropy(Tensor.Zeros([2, 3]), Tensor.FromArray(new[] { 0, 3 })));
        Assert.Contains("label 3 at position 1 of labels int32[2] is outside [0, 3)", label.Message);
        Assert.Throws<TensorOpException>(() => Loss.Huber(Tensor.Zeros([1]), Tensor.Zeros([1]), delta: 0));
    }
}
