using Xunit.Sdk;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>Element-by-element comparison with a relative tolerance and a message that says where it failed.</summary>
internal static class Tolerance
{
    /// <summary>|actual − expected| ≤ relative·max(|expected|, floor) for every element.</summary>
    public static void AssertClose(double[] expected, double[] actual, double relative, string where, double floor = 0)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{where}: expected {expected.Length} values, got {actual.Length}");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], actual[i], relative, $"{where}[{i}]", floor);
        }
    }

    /// <summary>|actual − expected| ≤ relative·max(|expected|, floor).</summary>
    public static void AssertClose(double expected, double actual, double relative, string where, double floor = 0)
    {
        double error = Math.Abs(actual - expected);
        double bound = relative * Math.Max(Math.Abs(expected), floor);
        if (!(error <= bound))
        {
            throw new XunitException(
                $"{where}: expected {expected:R}, got {actual:R} (error {error:E2}, allowed {bound:E2}, relative {error / Math.Abs(expected):E2})");
        }
    }
}
