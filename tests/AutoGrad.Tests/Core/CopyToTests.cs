using Xunit;

namespace AutoGrad.Tests.Core;

public sealed class CopyToTests
{
    [Fact]
    public void CopyToWritesTheElementsInRowMajorOrderAsDoublesForEveryDType()
    {
        Span<double> buffer = stackalloc double[8];
        buffer.Fill(-1);
        Tensor.FromArray(new[] { 1.5f, -2f, 3f, 4f }, [2, 2]).CopyTo(buffer[1..]);
        Assert.Equal(new[] { -1, 1.5, -2, 3, 4, -1, -1, -1 }, buffer.ToArray());
        Tensor.FromArray(new[] { 0.1, 0.2 }).CopyTo(buffer);
        Assert.Equal(0.1, buffer[0]);
        Tensor.FromArray(new[] { 7, 8 }).CopyTo(buffer);
        Assert.Equal(new[] { 7.0, 8 }, buffer[..2].ToArray());
    }

    [Fact]
    public void CopyToRefusesADestinationTooSmallNamingBothSizes()
    {
        var e = Assert.ThrowsAny<Exception>(() => Tensor.FromArray(new[] { 1.0, 2, 3 }).CopyTo(new double[2]));
        Assert.Contains("holds 2 values, but the tensor float64[3] has 3", e.Message);
    }
}
