namespace AutoGrad.Backends;

/// <summary>
/// Scalar formulas that define what each elementwise kernel means. Backends may compute faster
/// (vectorized) but must agree with these; the CPU backend falls back to them where no vectorized form
/// exists. Written in double and rounded once for float32.
/// </summary>
internal static class ScalarMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrt2 = 0.70710678118654752;

    public static double Unary(UnaryKernel kernel, double x, double p0, double p1) => kernel switch
    {
        UnaryKernel.Neg => -x,
        UnaryKernel.Exp => Math.Exp(x),
        UnaryKernel.Log => Math.Log(x),
        UnaryKernel.Sqrt => Math.Sqrt(x),
        UnaryKernel.Abs => Math.Abs(x),
        UnaryKernel.Sign => x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0), // NaN gives 0, as PyTorch's sign
        UnaryKernel.Tanh => Math.Tanh(x),
        UnaryKernel.Sigmoid => Sigmoid(x),
        UnaryKernel.Relu => x > 0 ? x : (double.IsNaN(x) ? x : 0.0),
        UnaryKernel.LeakyRelu => x > 0 ? x : x * p0,
        UnaryKernel.Elu => x > 0 ? x : p0 * (Math.Exp(x) - 1.0),
        UnaryKernel.Softplus => Softplus(x),
        UnaryKernel.Gelu => 0.5 * x * (1.0 + Erf(x * InvSqrt2)),
        UnaryKernel.Erf => Erf(x),
        UnaryKernel.Sin => Math.Sin(x),
        UnaryKernel.Cos => Math.Cos(x),
        UnaryKernel.PowScalar => Math.Pow(x, p0),
        UnaryKernel.Clamp => double.IsNaN(x) ? x : Math.Min(Math.Max(x, p0), p1),
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, null),
    };

    public static double Binary(BinaryKernel kernel, double a, double b) => kernel switch
    {
        BinaryKernel.Add => a + b,
        BinaryKernel.Sub => a - b,
        BinaryKernel.Mul => a * b,
        BinaryKernel.Div => a / b,
        BinaryKernel.Pow => Math.Pow(a, b),
        BinaryKernel.Maximum => Math.Max(a, b),
        BinaryKernel.Minimum => Math.Min(a, b),
        BinaryKernel.Equal => a == b ? 1 : 0,
        BinaryKernel.NotEqual => a != b ? 1 : 0,
        BinaryKernel.Less => a < b ? 1 : 0,
        BinaryKernel.LessEqual => a <= b ? 1 : 0,
        BinaryKernel.Greater => a > b ? 1 : 0,
        BinaryKernel.GreaterEqual => a >= b ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, null),
    };

    /// <summary>Logistic function, computed without overflow on either side.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>log(1 + eˣ) as max(x, 0) + log1p(e^−|x|): never overflows, exact for large |x|.</summary>
    public static double Softplus(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        return Math.Max(x, 0.0) + Log1p(Math.Exp(-ax));
    }

    /// <summary>log(1 + x) accurate for small x (the classic correction of the rounded 1 + x).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>
    /// The error function to about 1e-15 relative accuracy. For |x| &lt; 3 the series
    /// erf x = (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3···(2n+1)) has only positive terms, so no cancellation;
    /// beyond, erfc's continued fraction converges fast.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        double result;
        if (ax < 3.0)
        {
            double x2 = ax * ax;
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++)
            {
                term *= 2.0 * x2 / (2 * n + 1);
                sum += term;
                if (term < sum * 1e-17)
                {
                    break;
                }
            }

            result = TwoOverSqrtPi * Math.Exp(-x2) * sum;
        }
        else if (ax < 27.0)
        {
            // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail.
            double f = ax;
            for (int n = 60; n >= 1; n--)
            {
                f = ax + (n * 0.5) / f;
            }

            double erfc = Math.Exp(-ax * ax) / (Math.Sqrt(Math.PI) * f);
            result = 1.0 - erfc;
        }
        else
        {
            result = 1.0;
        }

        return x < 0 ? -result : result;
    }
}
