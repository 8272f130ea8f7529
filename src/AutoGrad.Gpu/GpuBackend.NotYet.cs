using AutoGrad.Backends;

namespace AutoGrad.Gpu;

/// <summary>
/// The kernels the ILGPU backend does not have yet: the matrix products with a fused epilogue, which compiled programs
/// ask for only where <see cref="FusesMatMulEpilogue"/> says true (never, on this backend). Each throws
/// <see cref="NotSupportedException"/> naming itself: a caller that needs one fails on a GPU device instead of silently
/// computing on the host. docs/gpu.md lists them.
/// </summary>
internal sealed partial class GpuBackend
{
    private NotSupportedException NotYet(string kernel) => new(
        $"{kernel}: the ILGPU backend does not have this kernel yet (issue 18), so this op cannot run on {DeviceName}; run it on Device.Cpu");

    public void MatMulAxpby(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, double alpha, TensorStorage y, double beta, bool productFirst, TensorStorage output) =>
        throw NotYet(nameof(MatMulAxpby));

    public void MatMulActivationGrad(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, ActivationGradKind kind, TensorStorage s, TensorStorage output) =>
        throw NotYet(nameof(MatMulActivationGrad));
}
