using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// The kernels of one element type on one accelerator, each compiled by ILGPU on its first use and then kept as a typed
/// launcher (<c>LoadAutoGroupedStreamKernel</c>): a launch after the first costs no compilation.
/// </summary>
internal sealed class KernelSet<T, TE>(Accelerator accelerator)
    where T : unmanaged
    where TE : struct, IElement<T>
{
    private Action<Index1D, ArrayView<T>, T>? _fill;
    private Action<Index1D, ArrayView<T>, int, ArrayView<T>, int, StrideSet>? _stridedCopy;
    private Action<Index1D, ArrayView<T>, ArrayView<T>, int, double, double>? _unary;
    private Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, StrideSet>? _binary;
    private Action<Index1D, ArrayView<T>, int, ArrayView<T>, int, ArrayView<T>, int>? _binaryFlat;
    private Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, StrideSet>? _where;
    private Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>? _reduce;
    private Action<Index1D, ArrayView<T>, ArrayView<int>, int, int, int>? _argReduce;
    private Action<KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<int>, ReduceShape>? _reduceGroups;
    private Action<Index1D, ArrayView<T>, ArrayView<double>, int>? _toDouble;
    private Action<Index1D, T, ArrayView<T>, T, ArrayView<T>, int, ArrayView<T>>? _axpby;
    private Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<double>, double, ArrayView<T>>? _adaptiveStep;
    private Action<Index1D, int, ArrayView<T>, ArrayView<T>, ArrayView<T>>? _activationGrad;
    private Action<Index1D, ArrayView<int>, int, ArrayView<int>>? _checkIndices;
    private Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape>? _matMul;
    private Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int>? _gather;
    private Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int>? _scatterAdd;
    private Action<Index1D, ArrayView<int>, ArrayView<T>, int>? _oneHot;
    private Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int>? _crossEntropy;
    private Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int>? _crossEntropyGrad;
    private Action<KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int, int>? _crossEntropyRows;

    public Action<Index1D, ArrayView<T>, T> Fill =>
        _fill ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, T>(DeviceKernels.Fill);

    public Action<Index1D, ArrayView<T>, int, ArrayView<T>, int, StrideSet> StridedCopy =>
        _stridedCopy ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, int, ArrayView<T>, int, StrideSet>(DeviceKernels.StridedCopy);

    public Action<Index1D, ArrayView<T>, ArrayView<T>, int, double, double> Unary =>
        _unary ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, double, double>(DeviceKernels.Unary<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, StrideSet> Binary =>
        _binary ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, StrideSet>(DeviceKernels.Binary<T, TE>);

    public Action<Index1D, ArrayView<T>, int, ArrayView<T>, int, ArrayView<T>, int> BinaryFlat =>
        _binaryFlat ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, int, ArrayView<T>, int, ArrayView<T>, int>(DeviceKernels.BinaryFlat<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, StrideSet> Where =>
        _where ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, StrideSet>(DeviceKernels.Where<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int> Reduce =>
        _reduce ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>(DeviceKernels.Reduce<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<int>, int, int, int> ArgReduce =>
        _argReduce ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, int, int, int>(DeviceKernels.ArgReduce<T, TE>);

    /// <summary>The grouped reduction: explicitly grouped (shared memory and barriers), launched with its own grid.</summary>
    public Action<KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<int>, ReduceShape> ReduceGroups =>
        _reduceGroups ??= accelerator.LoadStreamKernel<ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<int>, ReduceShape>(DeviceKernels.ReduceGroups<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<double>, int> ToDouble =>
        _toDouble ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<double>, int>(DeviceKernels.ToDouble<T, TE>);

    public Action<Index1D, T, ArrayView<T>, T, ArrayView<T>, int, ArrayView<T>> Axpby =>
        _axpby ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, T, ArrayView<T>, T, ArrayView<T>, int, ArrayView<T>>(DeviceKernels.Axpby<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<double>, double, ArrayView<T>> AdaptiveStep =>
        _adaptiveStep ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<double>, double, ArrayView<T>>(DeviceKernels.AdaptiveStep<T, TE>);

    public Action<Index1D, int, ArrayView<T>, ArrayView<T>, ArrayView<T>> ActivationGrad =>
        _activationGrad ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<T>, ArrayView<T>, ArrayView<T>>(DeviceKernels.ActivationGrad<T, TE>);

    /// <summary>The index check (not generic; the int32 set's is the one used).</summary>
    public Action<Index1D, ArrayView<int>, int, ArrayView<int>> CheckIndices =>
        _checkIndices ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, ArrayView<int>>(DeviceKernels.CheckIndices);

    public Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int> Gather =>
        _gather ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int>(DeviceKernels.Gather);

    public Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int> ScatterAdd =>
        _scatterAdd ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int>(DeviceKernels.ScatterAdd<T, TE>);

    public Action<Index1D, ArrayView<int>, ArrayView<T>, int> OneHot =>
        _oneHot ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<T>, int>(DeviceKernels.OneHot<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int> SoftmaxCrossEntropy =>
        _crossEntropy ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int>(DeviceKernels.SoftmaxCrossEntropy<T, TE>);

    public Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int> SoftmaxCrossEntropyGrad =>
        _crossEntropyGrad ??= accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int>(DeviceKernels.SoftmaxCrossEntropyGrad<T, TE>);

    /// <summary>Cross-entropy and its gradient over wide rows: a group per row (explicitly grouped).</summary>
    public Action<KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int, int> SoftmaxCrossEntropyRows =>
        _crossEntropyRows ??= accelerator.LoadStreamKernel<ArrayView<T>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int, int>(DeviceKernels.SoftmaxCrossEntropyRows<T, TE>);

    /// <summary>The tiled matrix product: explicitly grouped (shared memory and barriers), launched with its own grid.</summary>
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape> MatMul =>
        _matMul ??= accelerator.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape>(DeviceKernels.MatMul<T, TE>);
}
