using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>A NaN output has no arg-max: it predicts no class and is never counted as correct.</summary>
public class MetricsNaNTests
{
    [Fact]
    public void AllNaNOutputsScoreZeroAccuracyNotTheShareOfClassZero()
    {
        var outputs = Tensor.FromArray(Enumerable.Repeat(double.NaN, 30).ToArray(), [10, 3]);
        var labels = Tensor.FromArray(new[] { 0, 0, 0, 0, 1, 1, 1, 2, 2, 2 });
        Assert.Equal(0.0, Metrics.Accuracy(outputs, labels));
        Assert.All(Metrics.PredictedClasses(outputs), p => Assert.Equal(Metrics.NoPrediction, p));
        Assert.Equal(0, Metrics.ConfusionMatrix(outputs, labels, 3).Cast<int>().Sum());
        Assert.Equal(10, Metrics.NonFiniteRows(outputs));
    }

    [Fact]
    public void ANaNAnywhereInARowVoidsItsPredictionButInfinitiesStillRank()
    {
        var outputs = Tensor.FromArray(new[,] { { 1.0, double.NaN, 0 }, { double.PositiveInfinity, 1, 2 }, { 0, 5, 5 }, { double.NegativeInfinity, double.NegativeInfinity, -1 } });
        Assert.Equal([Metrics.NoPrediction, 0, 1, 2], Metrics.PredictedClasses(outputs));
        Assert.Equal(0.75, Metrics.Accuracy(outputs, Tensor.FromArray(new[] { 0, 0, 1, 2 })));
        Assert.Equal(3, Metrics.NonFiniteRows(outputs));
        var single = Tensor.FromArray(new[,] { { 0.7 }, { double.NaN }, { 0.2 } });
        Assert.Equal([1, Metrics.NoPrediction, 0], Metrics.PredictedClasses(single));
    }
}
