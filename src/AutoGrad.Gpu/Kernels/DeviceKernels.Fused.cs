using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// The fused optimizer and activation-gradient kernels: one thread per element, each operation in the element type in
/// the CPU backend's order (CpuBackend.Fused.cs), so results are bitwise the CPU's.
/// </summary>
internal static partial class DeviceKernels
{
    /// <summary>dst[at + i] = src[i] as a double (exact): the one-element scalar operands of <see cref="AdaptiveStep{T, TE}"/>.</summary>
    public static void ToDouble<T, TE>(Index1D i, ArrayView<T> src, ArrayView<double> dst, int at)
        where T : unmanaged
        where TE : struct, IElement<T> => dst[at + i] = default(TE).ToDouble(src[i]);

    /// <summary>out[i] = x[i]·α + y[i]·β, or x[i]·α + (y[i]·y[i])·β, α and β already rounded to the element type.</summary>
    public static void Axpby<T, TE>(Index1D i, T alpha, ArrayView<T> x, T beta, ArrayView<T> y, int squareY, ArrayView<T> output)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        T yi = y[i];
        if (squareY != 0)
        {
            yi = e.Mul(yi, yi);
        }

        output[i] = e.Add(e.Mul(x[i], alpha), e.Mul(yi, beta));
    }

    /// <summary>
    /// out[i] = x[i] − (y[i]·α) / (√z[i] / γ + ε), with α = scalars[0] and γ = scalars[1] (written on the device by
    /// <see cref="ToDouble{T, TE}"/> just before) and ε each rounded to the element type. The square root is taken in
    /// double and rounded once: the correctly rounded square root in float32 too.
    /// </summary>
    public static void AdaptiveStep<T, TE>(Index1D i, ArrayView<T> x, ArrayView<T> y, ArrayView<T> z, ArrayView<double> scalars, double eps, ArrayView<T> output)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        T alpha = e.FromDouble(scalars[0]), gamma = e.FromDouble(scalars[1]);
        T root = e.FromDouble(Math.Sqrt(e.ToDouble(z[i])));
        T denominator = e.Add(e.Div(root, gamma), e.FromDouble(eps));
        output[i] = e.Sub(x[i], e.Div(e.Mul(y[i], alpha), denominator));
    }

    /// <summary>
    /// out[i] = g[i] · d[i] with d = s·(1 − s) (sigmoid), 1 − s·s (tanh) or s &gt; 0 ? 1 : 0 (relu), kind being
    /// <see cref="Backends.ActivationGradKind"/>'s value.
    /// </summary>
    public static void ActivationGrad<T, TE>(Index1D i, int kind, ArrayView<T> s, ArrayView<T> g, ArrayView<T> output)
        where T : unmanaged
        where TE : struct, IElement<T> => output[i] = default(TE).Mul(g[i], ActivationDerivative<T, TE>(kind, s[i]));

    /// <summary>
    /// dy/dx of <see cref="ActivationGrad{T, TE}"/> from s, with the CPU's roundings: s·(1 − s), 1 − s·s, or s &gt; 0 ? 1 : 0.
    /// The fused product's epilogue uses it too.
    /// </summary>
    private static T ActivationDerivative<T, TE>(int kind, T s)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        T one = e.FromDouble(1.0);
        return kind == 0 ? e.Mul(s, e.Sub(one, s))
            : kind == 1 ? e.Sub(one, e.Mul(s, s))
            : e.Greater(s, e.FromDouble(0.0)) ? one : e.FromDouble(0.0);
    }
}
