using ILGPU;
using ILGPU.Runtime.Cuda;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// An element type as kernels see it: conversions to and from double, and the arithmetic kernels do in the element
/// type itself (sums, the fused optimizer steps). On CUDA, float add, sub and mul are emitted as inline PTX with an
/// explicit rounding mode (<c>add.rn</c>, …): ILGPU writes plain <c>add.f32</c>/<c>mul.f32</c>, which ptxas may contract
/// into an FMA with one rounding fewer, and then x·α + y·β would not be the CPU's bits. Division is already <c>div.rn</c>. Kernels are generic over a struct implementing this, which ILGPU specializes
/// per type (no generic math interfaces inside kernels).
/// </summary>
internal interface IElement<T>
    where T : unmanaged
{
    double ToDouble(T value);

    /// <summary>Rounds to the element type; for int32, truncates toward zero (callers range-check first).</summary>
    T FromDouble(double value);

    T Add(T a, T b);

    T Sub(T a, T b);

    T Mul(T a, T b);

    T Div(T a, T b);

    /// <summary>a &gt; b in the element type (false when either is NaN).</summary>
    bool Greater(T a, T b);
}

/// <summary>float32 elements.</summary>
internal readonly struct F32 : IElement<float>
{
    public double ToDouble(float value) => value;

    public float FromDouble(double value) => (float)value;

    public float Add(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out float r, a, b);
            return r;
        }

        return a + b;
    }

    public float Sub(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("sub.rn.f32 %0, %1, %2;", out float r, a, b);
            return r;
        }

        return a - b;
    }

    public float Mul(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float r, a, b);
            return r;
        }

        return a * b;
    }

    public float Div(float a, float b) => a / b;

    public bool Greater(float a, float b) => a > b;
}

/// <summary>float64 elements.</summary>
internal readonly struct F64 : IElement<double>
{
    public double ToDouble(double value) => value;

    public double FromDouble(double value) => value;

    public double Add(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a + b;
    }

    public double Sub(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("sub.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a - b;
    }

    public double Mul(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a * b;
    }

    public double Div(double a, double b) => a / b;

    public bool Greater(double a, double b) => a > b;
}

/// <summary>int32 elements.</summary>
internal readonly struct I32 : IElement<int>
{
    public double ToDouble(int value) => value;

    public int FromDouble(double value) => (int)value;

    public int Add(int a, int b) => a + b;

    public int Sub(int a, int b) => a - b;

    public int Mul(int a, int b) => a * b;

    public int Div(int a, int b) => b == 0 ? 0 : a / b;

    public bool Greater(int a, int b) => a > b;
}

/// <summary>IEEE helpers usable inside kernels, with .NET's semantics (not PTX's max/min, which drop NaN).</summary>
internal static class Ieee
{
    public static bool IsNaN(double x) => double.IsNaN(x);

    /// <summary>The sign bit, so that −0 counts as negative.</summary>
    public static bool IsNegative(double x) => (Interop.FloatAsInt(x) >> 63) != 0;

    /// <summary>Math.Max: NaN if either is NaN (the first when both), +0 over −0.</summary>
    public static double Max(double a, double b)
    {
        if (IsNaN(a))
        {
            return a;
        }

        if (IsNaN(b))
        {
            return b;
        }

        if (a > b)
        {
            return a;
        }

        if (b > a)
        {
            return b;
        }

        return IsNegative(a) ? b : a;
    }

    /// <summary>Math.Min: NaN if either is NaN (the first when both), −0 under +0.</summary>
    public static double Min(double a, double b)
    {
        if (IsNaN(a))
        {
            return a;
        }

        if (IsNaN(b))
        {
            return b;
        }

        if (a < b)
        {
            return a;
        }

        if (b < a)
        {
            return b;
        }

        return IsNegative(a) ? a : b;
    }
}
