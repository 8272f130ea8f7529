using AutoGrad.Backends;
using AutoGrad.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// Reductions and arg-reductions: one thread per output for many or column-wise reductions, groups with a
/// shared-memory tree (and a second pass over chunk partials) for long reductions with few outputs
/// (<see cref="ReducePlan"/>). Deterministic either way; no atomics.
/// </summary>
internal sealed partial class GpuBackend
{
    /// <summary>
    /// Launches of the grouped reduction kernels made so far by the calling thread (each pass of
    /// <see cref="DeviceKernels.ReduceGroups{T, TE}"/>, each <see cref="DeviceKernels.SoftmaxCrossEntropyRows{T, TE}"/>), for
    /// tests and diagnostics: per thread, so that tests running side by side on one device count only their own.
    /// </summary>
    internal long GroupedLaunches
    {
        get => _groupedLaunches.Value;
        private set => _groupedLaunches.Value = value;
    }

    private readonly ThreadLocal<long> _groupedLaunches = new();

    /// <summary>Threads per group of the grouped reductions on this accelerator (a power of two, at most 256).</summary>
    internal int ReduceThreads => _reduceThreads ??= ReducePlan.ThreadsFor(Accelerator.MaxNumThreadsPerGroup);

    private int? _reduceThreads;

    /// <summary>The launch plan of a reduction over the middle axis of (outer, n, inner) on this accelerator.</summary>
    internal ReducePlan PlanReduce(int outer, int n, int inner) => ReducePlan.For(outer * inner, n, inner, ReduceThreads);

    public void Reduce(ReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y)
    {
        int total = outer * inner;
        if (total == 0)
        {
            return;
        }

        var plan = PlanReduce(outer, n, inner);
        switch (x.DType)
        {
            case DType.Float32 when plan.Grouped: Grouped(_f32, View<float>(x), View<float>(y), _noIndices.View, (int)kernel, outer, n, inner, plan); break;
            case DType.Float64 when plan.Grouped: Grouped(_f64, View<double>(x), View<double>(y), _noIndices.View, (int)kernel, outer, n, inner, plan); break;
            case DType.Float32: _f32.Reduce(total, View<float>(x), View<float>(y), (int)kernel, n, inner); break;
            case DType.Float64: _f64.Reduce(total, View<double>(x), View<double>(y), (int)kernel, n, inner); break;
            default: throw new NotSupportedException($"reduce on {x.DType.Name()}");
        }
    }

    public void ArgReduce(ArgReduceKernel kernel, TensorStorage x, int outer, int n, int inner, TensorStorage y)
    {
        int total = outer * inner;
        if (total == 0)
        {
            return;
        }

        int argMax = kernel == ArgReduceKernel.ArgMax ? 1 : 0;
        int op = argMax != 0 ? ReduceOp.ArgMax : ReduceOp.ArgMin;
        var plan = PlanReduce(outer, n, inner);
        switch (x.DType)
        {
            // The values view of a final arg-reduce launch is not written: x stands in for it.
            case DType.Float32 when plan.Grouped: Grouped(_f32, View<float>(x), View<float>(x), View<int>(y), op, outer, n, inner, plan); break;
            case DType.Float64 when plan.Grouped: Grouped(_f64, View<double>(x), View<double>(x), View<int>(y), op, outer, n, inner, plan); break;
            case DType.Float32: _f32.ArgReduce(total, View<float>(x), View<int>(y), argMax, n, inner); break;
            case DType.Float64: _f64.ArgReduce(total, View<double>(x), View<int>(y), argMax, n, inner); break;
            default: throw new NotSupportedException($"arg-reduce on {x.DType.Name()}");
        }
    }

    /// <summary>
    /// The grouped reduction: one launch when each output is one chunk; otherwise partials (a value and an index per
    /// output and chunk) into pooled scratch, then one group per output over its chunks' partials.
    /// </summary>
    private void Grouped<T, TE>(KernelSet<T, TE> set, ArrayView<T> x, ArrayView<T> values, ArrayView<int> indices, int op, int outer, int n, int inner, ReducePlan plan)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        int outputs = outer * inner;
        var group = new Index1D(plan.Threads);
        if (plan.Chunks == 1)
        {
            set.ReduceGroups(new KernelConfig(new Index1D(outputs), group), x, _noIndices.View, values, indices, new ReduceShape(op, n, inner, 1, plan.ChunkLength, indexed: false, final: true));
            GroupedLaunches++;
            return;
        }

        int partials = outputs * plan.Chunks;
        var partialValues = Pool.Rent<T>(partials);
        var partialIndices = Pool.Rent<int>(partials);
        ArrayView<T> pv = partialValues.View;
        ArrayView<int> pi = partialIndices.View;
        set.ReduceGroups(new KernelConfig(new Index1D(partials), group), x, _noIndices.View, pv, pi, new ReduceShape(op, n, inner, plan.Chunks, plan.ChunkLength, indexed: false, final: false));
        set.ReduceGroups(new KernelConfig(new Index1D(outputs), group), pv, pi, values, indices, new ReduceShape(op, plan.Chunks, 1, 1, plan.Chunks, indexed: true, final: true));
        GroupedLaunches += 2;

        // Launches run in order on the stream, so the next user of these buffers runs after both passes.
        Pool.Return(partialValues);
        Pool.Return(partialIndices);
    }
}
