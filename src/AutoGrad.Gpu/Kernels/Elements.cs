using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// An element type as kernels see it: conversions to and from double, and the one operation kernels do in the element
/// type itself (the sum of a reduction). Kernels are generic over a struct implementing this, which ILGPU specializes
/// per type (no generic math interfaces inside kernels).
/// </summary>
internal interface IElement<T>
    where T : unmanaged
{
    double ToDouble(T value);

    /// <summary>Rounds to the element type; for int32, truncates toward zero (callers range-check first).</summary>
    T FromDouble(double value);

    T Add(T a, T b);
}

/// <summary>float32 elements.</summary>
internal readonly struct F32 : IElement<float>
{
    public double ToDouble(float value) => value;

    public float FromDouble(double value) => (float)value;

    public float Add(float a, float b) => a + b;
}

/// <summary>float64 elements.</summary>
internal readonly struct F64 : IElement<double>
{
    public double ToDouble(double value) => value;

    public double FromDouble(double value) => value;

    public double Add(double a, double b) => a + b;
}

/// <summary>int32 elements.</summary>
internal readonly struct I32 : IElement<int>
{
    public double ToDouble(int value) => value;

    public int FromDouble(double value) => (int)value;

    public int Add(int a, int b) => a + b;
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
