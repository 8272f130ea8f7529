using AutoGrad.Backends;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// The fused optimizer and activation-gradient kernels: one thread per element, bitwise the CPU backend's
/// (same operations, order and rounding; CpuBackend.Fused.cs).
/// </summary>
internal sealed partial class GpuBackend
{
    public void Axpby(double alpha, TensorStorage x, double beta, TensorStorage y, bool squareY, TensorStorage output)
    {
        int n = output.Length;
        if (n == 0)
        {
            return;
        }

        int sq = squareY ? 1 : 0;
        switch (x.DType)
        {
            case DType.Float32: _f32.Axpby(n, (float)alpha, View<float>(x), (float)beta, View<float>(y), sq, View<float>(output)); break;
            case DType.Float64: _f64.Axpby(n, alpha, View<double>(x), beta, View<double>(y), sq, View<double>(output)); break;
            default: throw new NotSupportedException($"Axpby on {x.DType.Name()}");
        }
    }

    public void AdaptiveStep(TensorStorage x, TensorStorage alpha, TensorStorage y, TensorStorage z, TensorStorage gamma, double eps, TensorStorage output)
    {
        int n = output.Length;
        if (n == 0)
        {
            return;
        }

        if (x.DType == DType.Int32)
        {
            throw new NotSupportedException($"AdaptiveStep on {x.DType.Name()}");
        }

        // α and γ stay on the device: a launch copies them (as doubles) into _scalars, which the step reads when it runs.
        // The lock keeps another thread's copies from landing between this call's copies and its step on the stream.
        ArrayView<double> scalars = _scalars.View;
        lock (_scalars)
        {
            ScalarToDouble(alpha, 0);
            ScalarToDouble(gamma, 1);
            if (x.DType == DType.Float32)
            {
                _f32.AdaptiveStep(n, View<float>(x), View<float>(y), View<float>(z), scalars, eps, View<float>(output));
            }
            else
            {
                _f64.AdaptiveStep(n, View<double>(x), View<double>(y), View<double>(z), scalars, eps, View<double>(output));
            }
        }
    }

    private void ScalarToDouble(TensorStorage scalar, int at)
    {
        switch (scalar.DType)
        {
            case DType.Float32: _f32.ToDouble(1, View<float>(scalar).SubView(0, 1), _scalars.View, at); break;
            case DType.Float64: _f64.ToDouble(1, View<double>(scalar).SubView(0, 1), _scalars.View, at); break;
            default: throw new NotSupportedException($"AdaptiveStep: a scalar operand of {scalar.DType.Name()}");
        }
    }

    public void ActivationGrad(ActivationGradKind kind, TensorStorage s, TensorStorage g, TensorStorage output)
    {
        int n = output.Length;
        if (n == 0)
        {
            return;
        }

        switch (s.DType)
        {
            case DType.Float32: _f32.ActivationGrad(n, (int)kind, View<float>(s), View<float>(g), View<float>(output)); break;
            case DType.Float64: _f64.ActivationGrad(n, (int)kind, View<double>(s), View<double>(g), View<double>(output)); break;
            default: throw new NotSupportedException($"{kind}Grad on {s.DType.Name()}");
        }
    }
}
