using AutoGrad.Backends;
using AutoGrad.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// Matrix products: the tiled kernel of <see cref="DeviceKernels.MatMul{T, TE}"/>, one launch per call, with the bias, Axpby
/// or activation-gradient epilogue of MatMulAddRow, MatMulAxpby and MatMulActivationGrad applied as each output is stored.
/// </summary>
internal sealed partial class GpuBackend
{
    /// <summary>
    /// Threads per group axis of the product: 16 (256-thread groups), or the largest square that fits the accelerator's
    /// group limit (ILGPU's CPU accelerator allows 16 threads: 4×4).
    /// </summary>
    private int MatMulThreads => _matMulThreads ??= Math.Min(MatMulTiling.Threads, (int)Math.Sqrt(Accelerator.MaxNumThreadsPerGroup));

    private int? _matMulThreads;

    /// <summary>The most batches one launch takes (the grid's z extent on CUDA).</summary>
    private const int MaxBatchPerLaunch = 65535;

    public void MatMul(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, TensorStorage c) =>
        Product(batch, a, b, null, c, new MatMulShape(m, n, k, transposeA, transposeB));

    public void MatMulAddRow(int m, int n, int k, TensorStorage a, TensorStorage b, TensorStorage bias, TensorStorage c) =>
        Product(1, a, b, bias, c, new MatMulShape(m, n, k, false, false, MatMulEpilogue.AddRow));

    public void MatMulAxpby(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, double alpha, TensorStorage y, double beta, bool productFirst, TensorStorage output) =>
        Product(batch, a, b, y, output, new MatMulShape(m, n, k, transposeA, transposeB, productFirst ? MatMulEpilogue.AxpbyProductFirst : MatMulEpilogue.AxpbyYFirst, alpha: alpha, beta: beta));

    public void MatMulActivationGrad(int batch, int m, int n, int k, TensorStorage a, bool transposeA, TensorStorage b, bool transposeB, ActivationGradKind kind, TensorStorage s, TensorStorage output) =>
        Product(batch, a, b, s, output, new MatMulShape(m, n, k, transposeA, transposeB, MatMulEpilogue.ActivationGrad, (int)kind));

    /// <summary>
    /// Every float product with an epilogue is fused: the tiled kernel applies it to each output as it stores it, so the
    /// fused call saves the product's store and reload and a launch at any shape (the tile does not depend on k).
    /// </summary>
    public bool FusesMatMulEpilogue(DType dtype, int batch, int m, int n, int k, bool transposeA) => dtype is DType.Float32 or DType.Float64;

    /// <summary>One launch per <see cref="MaxBatchPerLaunch"/> batches; <paramref name="operand"/> is the epilogue's (see <see cref="DeviceKernels.MatMul{T, TE}"/>).</summary>
    private void Product(int batch, TensorStorage a, TensorStorage b, TensorStorage? operand, TensorStorage c, MatMulShape shape)
    {
        int m = shape.M, n = shape.N, k = shape.K;
        if (batch == 0 || m == 0 || n == 0)
        {
            return;
        }

        switch (c.DType)
        {
            case DType.Float32: Launch(_f32, View<float>(a), View<float>(b), View<float>(operand ?? c), View<float>(c)); break;
            case DType.Float64: Launch(_f64, View<double>(a), View<double>(b), View<double>(operand ?? c), View<double>(c)); break;
            default: throw new NotSupportedException($"matmul on {c.DType.Name()}");
        }

        void Launch<T, TE>(KernelSet<T, TE> set, ArrayView<T> av, ArrayView<T> bv, ArrayView<T> operandView, ArrayView<T> cv)
            where T : unmanaged
            where TE : struct, IElement<T>
        {
            int threads = MatMulThreads, tile = MatMulTiling.Tile(threads);
            var group = new Index3D(threads, threads, 1);
            var shared = SharedMemoryConfig.RequestDynamic<T>(MatMulTiling.SharedElements(threads));
            for (int first = 0; first < batch; first += MaxBatchPerLaunch)
            {
                int count = Math.Min(MaxBatchPerLaunch, batch - first);
                var grid = new Index3D((n + tile - 1) / tile, (m + tile - 1) / tile, count);
                set.MatMul(
                    new KernelConfig(grid, group, shared),
                    av.SubView((long)first * m * k, (long)count * m * k),
                    bv.SubView((long)first * k * n, (long)count * k * n),
                    shape.ReadsOperandPerOutput ? operandView.SubView((long)first * m * n, (long)count * m * n) : operandView,
                    cv.SubView((long)first * m * n, (long)count * m * n),
                    shape);
            }
        }
    }
}
