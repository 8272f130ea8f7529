namespace AutoGrad;

/// <summary>
/// Math functions computed from IEEE basic operations only (+, −, ×, ÷, √ are correctly rounded
/// everywhere), so they give bitwise the same result on every platform. Used where reproducibility
/// matters more than speed: random number generation.
/// </summary>
internal static class DeterministicMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;

    /// <summary>
    /// Natural logarithm of a positive finite x to within about 1 ulp: x = m·2ᵉ with m in [√½, √2), then
    /// log m = 2·atanh(s), s = (m − 1)/(m + 1), by its odd series (|s| ≤ 0.172, so 12 terms suffice).
    /// </summary>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x))
        {
            return x == 0 ? double.NegativeInfinity : (double.IsPositiveInfinity(x) ? x : double.NaN);
        }

        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF);
        if (exponent == 0)
        {
            // Subnormal: scale into the normal range first.
            x *= 18014398509481984.0; // 2^54
            bits = BitConverter.DoubleToInt64Bits(x);
            exponent = (int)((bits >> 52) & 0x7FF) - 54;
        }

        int e = exponent - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }

        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double term = s;
        double sum = 0;
        for (int k = 1; k <= 25; k += 2)
        {
            sum += term / k;
            term *= s2;
        }

        return e * Ln2Hi + (2.0 * sum + e * Ln2Lo);
    }
}
