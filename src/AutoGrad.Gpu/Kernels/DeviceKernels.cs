using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// Every ILGPU kernel of the backend: static methods, index first, <see cref="ArrayView{T}"/> parameters, uniforms as
/// structs and scalars. Generic over the element type through <see cref="IElement{T}"/>; ILGPU compiles one
/// specialization per type argument. No System.Numerics vector types, no exceptions, no floating-point atomics.
/// </summary>
internal static partial class DeviceKernels
{
    /// <summary>y[i] = value.</summary>
    public static void Fill<T>(Index1D i, ArrayView<T> y, T value)
        where T : unmanaged => y[i] = value;

    /// <summary>
    /// dst[i] = convert(src[i]). With <paramref name="toInt"/>, a value with no int32 value (NaN, infinite, out of
    /// range) writes 0 and lowers flag[0] to its position (an integer atomic minimum: the first bad position, whatever
    /// the thread order); the host reports it.
    /// </summary>
    public static void Cast<TS, TSE, TD, TDE>(Index1D i, ArrayView<TS> src, ArrayView<TD> dst, ArrayView<int> flag, int toInt)
        where TS : unmanaged
        where TSE : struct, IElement<TS>
        where TD : unmanaged
        where TDE : struct, IElement<TD>
    {
        double v = default(TSE).ToDouble(src[i]);
        if (toInt != 0 && !(v > int.MinValue - 1.0 && v < int.MaxValue + 1.0))
        {
            Atomic.Min(ref flag[0], i.X);
            dst[i] = default(TDE).FromDouble(0.0);
            return;
        }

        dst[i] = default(TDE).FromDouble(v);
    }

    /// <summary>dst[dstOffset + Σ i_k·S1_k] = src[srcOffset + Σ i_k·S0_k] for linear index i over the shape.</summary>
    public static void StridedCopy<T>(Index1D i, ArrayView<T> src, int srcOffset, ArrayView<T> dst, int dstOffset, StrideSet s)
        where T : unmanaged
    {
        s.Offsets(i, out int so, out int d, out _);
        dst[dstOffset + d] = src[srcOffset + so];
    }

    /// <summary>y[i] = f(x[i]) for a <see cref="Backends.UnaryKernel"/>, computed in double.</summary>
    public static void Unary<T, TE>(Index1D i, ArrayView<T> x, ArrayView<T> y, int kernel, double p0, double p1)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        y[i] = e.FromDouble(GpuMath.Unary(kernel, e.ToDouble(x[i]), p0, p1));
    }

    /// <summary>y[i] = f(a[Σ i_k·S0_k], b[Σ i_k·S1_k]); y contiguous.</summary>
    public static void Binary<T, TE>(Index1D i, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, int kernel, StrideSet s)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        s.Offsets(i, out int ao, out int bo, out _);
        y[i] = e.FromDouble(GpuMath.Binary(kernel, e.ToDouble(a[ao]), e.ToDouble(b[bo])));
    }

    /// <summary>y[i] = f(a[i·aStep], b[i·bStep]), a step of 0 reading a scalar operand.</summary>
    public static void BinaryFlat<T, TE>(Index1D i, ArrayView<T> a, int aStep, ArrayView<T> b, int bStep, ArrayView<T> y, int kernel)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        y[i] = e.FromDouble(GpuMath.Binary(kernel, e.ToDouble(a[i * aStep]), e.ToDouble(b[i * bStep])));
    }

    /// <summary>y[i] = c[·] != 0 ? a[·] : b[·], each read through its strides (S0, S1, S2).</summary>
    public static void Where<T, TE>(Index1D i, ArrayView<T> c, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, StrideSet s)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        s.Offsets(i, out int co, out int ao, out int bo);
        y[i] = default(TE).ToDouble(c[co]) != 0.0 ? a[ao] : b[bo];
    }
}
