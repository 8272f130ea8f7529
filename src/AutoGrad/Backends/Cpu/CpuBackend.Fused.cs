using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// Fused elementwise kernels of the optimizers and of the activations' backward rules: one pass over memory
/// where the composed ops took two to nine, each of which read and wrote a parameter-sized buffer. Every element is computed with exactly the
/// operations, in the order and precision, of the composition it replaces, so results are bitwise the same.
/// </summary>
internal sealed partial class CpuBackend
{
    public void Axpby(double alpha, TensorStorage x, double beta, TensorStorage y, bool squareY, TensorStorage output)
    {
        switch (x)
        {
            case CpuStorage<float> f: AxpbyImpl(float.CreateChecked(alpha), f.Data, float.CreateChecked(beta), Data<float>(y), squareY, Data<float>(output)); break;
            case CpuStorage<double> d: AxpbyImpl(alpha, d.Data, beta, Data<double>(y), squareY, Data<double>(output)); break;
            default: throw new NotSupportedException($"Axpby on {x.DType.Name()}");
        }
    }

    public void AdaptiveStep(TensorStorage x, TensorStorage alphaScalar, TensorStorage y, TensorStorage z, TensorStorage gammaScalar, double eps, TensorStorage output)
    {
        double alpha = ScalarValue(alphaScalar, "AdaptiveStep"), gamma = ScalarValue(gammaScalar, "AdaptiveStep");
        switch (x)
        {
            case CpuStorage<float> f:
                AdaptiveStepImpl(f.Data, float.CreateChecked(alpha), Data<float>(y), Data<float>(z), float.CreateChecked(gamma), float.CreateChecked(eps), Data<float>(output));
                break;
            case CpuStorage<double> d: AdaptiveStepImpl(d.Data, alpha, Data<double>(y), Data<double>(z), gamma, eps, Data<double>(output)); break;
            default: throw new NotSupportedException($"AdaptiveStep on {x.DType.Name()}");
        }
    }

    /// <summary>The value of a one-element float storage, as a double (exact for float32).</summary>
    private static double ScalarValue(TensorStorage scalar, string op) => scalar switch
    {
        CpuStorage<float> f => f.Data[0],
        CpuStorage<double> d => d.Data[0],
        _ => throw new NotSupportedException($"{op}: a scalar operand of {scalar.DType.Name()}"),
    };

    public void ActivationGrad(ActivationGradKind kind, TensorStorage s, TensorStorage g, TensorStorage output)
    {
        switch (s)
        {
            case CpuStorage<float> f: ActivationGradImpl(kind, f.Data, Data<float>(g), Data<float>(output)); break;
            case CpuStorage<double> d: ActivationGradImpl(kind, d.Data, Data<double>(g), Data<double>(output)); break;
            default: throw new NotSupportedException($"{kind}Grad on {s.DType.Name()}");
        }
    }

    private static void ActivationGradImpl<T>(ActivationGradKind kind, T[] s, T[] g, T[] output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = ElementwiseParts(output.Length);
        if (parts == 1)
        {
            ActivationGradRange(kind, s, g, output);
            return;
        }

        ActivationGradParts(kind, s, g, output, parts);
    }

    // Its own method, with a static lambda over a state: see UnaryParts.
    private static void ActivationGradParts<T>(ActivationGradKind kind, T[] s, T[] g, T[] output, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (kind, s, g, output, parts), static (st, part) =>
        {
            var (start, length) = PartRange(st.output.Length, st.parts, part);
            ActivationGradRange(st.kind, st.s.AsSpan(start, length), st.g.AsSpan(start, length), st.output.AsSpan(start, length));
        });

    /// <summary>
    /// The roundings of the composed rules: <c>g * (y * (1 - y))</c>, <c>g * (1 - y * y)</c> and <c>g * x.Greater(0)</c>
    /// (a 0/1 mask, so a NaN or infinite g still gives NaN where the mask is 0, as the product does).
    /// </summary>
    /// <remarks>
    /// A fused product's epilogue (<see cref="PackedGemm{T}.MultiplyActivationGrad"/>) repeats these formulas over
    /// Vector512 rather than calling this loop per tile row (that cost 7 µs of the batch-512 step's 70 µs fused call);
    /// change both together. GemmProperties holds them bitwise equal.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void ActivationGradRange<T>(ActivationGradKind kind, ReadOnlySpan<T> s, ReadOnlySpan<T> g, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<T>.One;
            int w = Vector<T>.Count;
            ref T ps = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s);
            ref T pg = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(g);
            ref T po = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(output);
            for (; i <= output.Length - w; i += w)
            {
                var sv = Vector.LoadUnsafe(ref ps, (nuint)i);
                var derivative = kind switch
                {
                    ActivationGradKind.Sigmoid => sv * (one - sv),
                    ActivationGradKind.Tanh => one - sv * sv,
                    _ => Vector.ConditionalSelect(Vector.GreaterThan(sv, Vector<T>.Zero), one, Vector<T>.Zero),
                };
                (Vector.LoadUnsafe(ref pg, (nuint)i) * derivative).StoreUnsafe(ref po, (nuint)i);
            }
        }

        for (; i < output.Length; i++)
        {
            T si = s[i];
            T derivative = kind switch
            {
                ActivationGradKind.Sigmoid => si * (T.One - si),
                ActivationGradKind.Tanh => T.One - si * si,
                _ => si > T.Zero ? T.One : T.Zero,
            };
            output[i] = g[i] * derivative;
        }
    }

    private static void AxpbyImpl<T>(T alpha, T[] x, T beta, T[] y, bool squareY, T[] output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = ElementwiseParts(output.Length);
        if (parts == 1)
        {
            AxpbyRange(alpha, x, beta, y, squareY, output);
            return;
        }

        AxpbyParts(alpha, x, beta, y, squareY, output, parts);
    }

    // Its own method, with a static lambda over a state: see UnaryParts.
    private static void AxpbyParts<T>(T alpha, T[] x, T beta, T[] y, bool squareY, T[] output, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (alpha, x, beta, y, squareY, output, parts), static (s, part) =>
        {
            var (start, length) = PartRange(s.output.Length, s.parts, part);
            AxpbyRange(s.alpha, s.x.AsSpan(start, length), s.beta, s.y.AsSpan(start, length), s.squareY, s.output.AsSpan(start, length));
        });

    /// <summary>out = x·α + y·β, or x·α + (y·y)·β: the roundings of the composed <c>x * α + y * y * β</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void AxpbyRange<T>(T alpha, ReadOnlySpan<T> x, T beta, ReadOnlySpan<T> y, bool squareY, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var a = new Vector<T>(alpha);
            var b = new Vector<T>(beta);
            int w = Vector<T>.Count;
            ref T px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref T py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            ref T po = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(output);
            for (; i <= output.Length - w; i += w)
            {
                var yv = Vector.LoadUnsafe(ref py, (nuint)i);
                if (squareY)
                {
                    yv *= yv;
                }

                (Vector.LoadUnsafe(ref px, (nuint)i) * a + yv * b).StoreUnsafe(ref po, (nuint)i);
            }
        }

        for (; i < output.Length; i++)
        {
            T yi = squareY ? y[i] * y[i] : y[i];
            output[i] = x[i] * alpha + yi * beta;
        }
    }

    private static void AdaptiveStepImpl<T>(T[] x, T alpha, T[] y, T[] z, T gamma, T eps, T[] output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = ElementwiseParts(output.Length);
        if (parts == 1)
        {
            AdaptiveStepRange(x, alpha, y, z, gamma, eps, output);
            return;
        }

        AdaptiveStepParts(x, alpha, y, z, gamma, eps, output, parts);
    }

    // Its own method, with a static lambda over a state: see UnaryParts.
    private static void AdaptiveStepParts<T>(T[] x, T alpha, T[] y, T[] z, T gamma, T eps, T[] output, int parts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ComputePool.For(parts, (x, alpha, y, z, gamma, eps, output, parts), static (s, part) =>
        {
            var (start, length) = PartRange(s.output.Length, s.parts, part);
            AdaptiveStepRange(s.x.AsSpan(start, length), s.alpha, s.y.AsSpan(start, length), s.z.AsSpan(start, length), s.gamma, s.eps, s.output.AsSpan(start, length));
        });

    /// <summary>out = x − (y·α) / (√z / γ + ε): the roundings of the composed <c>x - y * α / (z.Sqrt() / γ + ε)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AdaptiveStepRange<T>(ReadOnlySpan<T> x, T alpha, ReadOnlySpan<T> y, ReadOnlySpan<T> z, T gamma, T eps, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var a = new Vector<T>(alpha);
            var g = new Vector<T>(gamma);
            var e = new Vector<T>(eps);
            int w = Vector<T>.Count;
            ref T px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref T py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            ref T pz = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(z);
            ref T po = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(output);
            for (; i <= output.Length - w; i += w)
            {
                var denominator = Vector.SquareRoot(Vector.LoadUnsafe(ref pz, (nuint)i)) / g + e;
                (Vector.LoadUnsafe(ref px, (nuint)i) - Vector.LoadUnsafe(ref py, (nuint)i) * a / denominator).StoreUnsafe(ref po, (nuint)i);
            }
        }

        for (; i < output.Length; i++)
        {
            output[i] = x[i] - y[i] * alpha / (T.Sqrt(z[i]) / gamma + eps);
        }
    }
}
