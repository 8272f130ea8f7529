using AutoGrad.Backends;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// The elementwise formulas inside kernels: <see cref="ScalarMath"/>'s, case for case, in double and rounded once to
/// the element type. The switch differs from ScalarMath's only in returning NaN for an unknown kernel (kernels cannot
/// throw); the helpers (sigmoid, softplus, erf) are ScalarMath's own methods, compiled into the kernel by ILGPU.
/// </summary>
internal static class GpuMath
{
    private const double InvSqrt2 = 0.70710678118654752;

    public static double Unary(int kernel, double x, double p0, double p1)
    {
        switch ((UnaryKernel)kernel)
        {
            case UnaryKernel.Neg: return -x;
            case UnaryKernel.Exp: return Math.Exp(x);
            case UnaryKernel.Log: return Math.Log(x);
            case UnaryKernel.Sqrt: return Math.Sqrt(x);
            case UnaryKernel.Abs: return Math.Abs(x);
            case UnaryKernel.Sign: return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
            case UnaryKernel.Tanh: return Math.Tanh(x);
            case UnaryKernel.Sigmoid: return ScalarMath.Sigmoid(x);
            case UnaryKernel.Relu: return x > 0 ? x : (Ieee.IsNaN(x) ? x : 0.0);
            case UnaryKernel.LeakyRelu: return x > 0 ? x : x * p0;
            case UnaryKernel.Elu: return x > 0 ? x : p0 * (Math.Exp(x) - 1.0);
            case UnaryKernel.Softplus: return ScalarMath.Softplus(x);
            case UnaryKernel.Gelu: return 0.5 * x * (1.0 + ScalarMath.Erf(x * InvSqrt2));
            case UnaryKernel.Erf: return ScalarMath.Erf(x);
            case UnaryKernel.Sin: return Math.Sin(x);
            case UnaryKernel.Cos: return Math.Cos(x);
            case UnaryKernel.PowScalar: return Math.Pow(x, p0);
            case UnaryKernel.Clamp: return Ieee.IsNaN(x) ? x : Ieee.Min(Ieee.Max(x, p0), p1);
            default: return double.NaN;
        }
    }

    public static double Binary(int kernel, double a, double b)
    {
        switch ((BinaryKernel)kernel)
        {
            case BinaryKernel.Add: return a + b;
            case BinaryKernel.Sub: return a - b;
            case BinaryKernel.Mul: return a * b;
            case BinaryKernel.Div: return a / b;
            case BinaryKernel.Pow: return Math.Pow(a, b);
            case BinaryKernel.Maximum: return Ieee.Max(a, b);
            case BinaryKernel.Minimum: return Ieee.Min(a, b);
            case BinaryKernel.Equal: return a == b ? 1.0 : 0.0;
            case BinaryKernel.NotEqual: return a != b ? 1.0 : 0.0;
            case BinaryKernel.Less: return a < b ? 1.0 : 0.0;
            case BinaryKernel.LessEqual: return a <= b ? 1.0 : 0.0;
            case BinaryKernel.Greater: return a > b ? 1.0 : 0.0;
            case BinaryKernel.GreaterEqual: return a >= b ? 1.0 : 0.0;
            default: return double.NaN;
        }
    }
}
