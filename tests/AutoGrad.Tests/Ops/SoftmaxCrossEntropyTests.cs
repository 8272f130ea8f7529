using Xunit;

namespace AutoGrad.Tests.Ops;

/// <summary>
/// The fused softmax cross-entropy against its composition −LogSoftmax(1).TakeAlongAxis(labels, 1): the same values
/// and gradients at extreme logits and at sizes split across the cores (the op table covers small random cases).
/// </summary>
public class SoftmaxCrossEntropyTests
{
    private static Tensor Composite(Tensor z, Tensor labels) => -z.LogSoftmax(1).TakeAlongAxis(labels.Reshape([-1, 1]), 1).Reshape([-1]);

    [Fact]
    public void ExtremeLogitsGiveTheCompositionsValues()
    {
        var z = Tensor.FromArray(new[]
        {
            1000.0, -1000, 0,                      // huge spread: no overflow
            double.NegativeInfinity, 2, 3,          // an impossible class that is not the label
            double.NegativeInfinity, 2, 3,          // the label impossible: +∞
            double.NaN, 1, 2,                       // NaN propagates
            double.PositiveInfinity, 1, 2,          // +∞ logit: NaN, as in the composition
        }, [5, 3]);
        var labels = Tensor.FromArray(new[] { 1, 2, 0, 2, 0 });
        var fused = z.SoftmaxCrossEntropy(labels).ToArray<double>();
        var composed = Composite(z, labels).ToArray<double>();
        Assert.Equal(2000.0, fused[0], 9);
        Assert.Equal(double.PositiveInfinity, fused[2]);
        Assert.True(double.IsNaN(fused[3]));
        for (int r = 0; r < 5; r++)
        {
            Assert.True(fused[r].Equals(composed[r]) || Math.Abs(fused[r] - composed[r]) <= 1e-12 * Math.Abs(composed[r]), $"row {r}: fused {fused[r]:R}, composed {composed[r]:R}");
        }
    }

    [Theory]
    [InlineData(DType.Float32, 1e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void LargeBatchesMatchTheCompositionInValueAndGradient(DType dtype, double tolerance)
    {
        // 600 × 300 = 180 000 logits: the rows are split across the cores.
        var g = new Generator(11);
        var z = Tensor.RandomNormal([600, 300], g, std: 3).To(dtype);
        var labels = Tensor.FromArray(Enumerable.Range(0, 600).Select(i => (i * 37) % 300).ToArray());
        var fused = z.SoftmaxCrossEntropy(labels).ToArray<double>();
        var composed = Composite(z, labels).ToArray<double>();
        for (int r = 0; r < fused.Length; r++)
        {
            Assert.True(Math.Abs(fused[r] - composed[r]) <= tolerance * (1 + Math.Abs(composed[r])), $"row {r}: fused {fused[r]:R}, composed {composed[r]:R}");
        }

        var gradFused = Transforms.Grad((Tensor x) => x.SoftmaxCrossEntropy(labels).Mean())(z).ToArray<double>();
        var gradComposed = Transforms.Grad((Tensor x) => Composite(x, labels).Mean())(z).ToArray<double>();
        for (int i = 0; i < gradFused.Length; i++)
        {
            Assert.True(Math.Abs(gradFused[i] - gradComposed[i]) <= tolerance, $"element {i}: fused {gradFused[i]:R}, composed {gradComposed[i]:R}");
        }
    }

    [Fact]
    public void ALabelOutOfRangeInALargeBatchNamesItsPosition()
    {
        var z = Tensor.Zeros([600, 300]);
        var labels = Tensor.FromArray(Enumerable.Range(0, 600).Select(i => i == 517 ? 300 : 0).ToArray());
        var e = Assert.Throws<TensorOpException>(() => z.SoftmaxCrossEntropy(labels));
        Assert.Contains("label 300 at position 517 of labels int32[600] is outside [0, 300)", e.Message);
    }
}
