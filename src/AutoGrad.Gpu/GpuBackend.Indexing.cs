using AutoGrad.Backends;
using AutoGrad.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// Gather, scatter-add, one-hot and softmax cross-entropy (one thread per row, or a group per row from
/// <see cref="ReducePlan.MinLength"/> classes). Indices are range-checked on the device by a launch before
/// the kernel (the first bad position through the flag buffer the cast uses); the kernel skips bad indices, and the
/// host then throws <see cref="IndexRangeException"/> as the CPU backend does.
/// </summary>
internal sealed partial class GpuBackend
{
    public void Gather(TensorStorage x, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        int total = outer * m * inner;
        if (total == 0)
        {
            return;
        }

        var idx = View<int>(indices);
        Action launch = x.DType switch
        {
            DType.Float32 => () => _f32.Gather(total, View<float>(x), idx, View<float>(y), n, m, inner),
            DType.Float64 => () => _f64.Gather(total, View<double>(x), idx, View<double>(y), n, m, inner),
            _ => () => _i32.Gather(total, View<int>(x), idx, View<int>(y), n, m, inner),
        };
        WithIndexCheck(indices, total, n, launch);
    }

    public void ScatterAdd(TensorStorage g, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        int count = outer * m * inner, total = outer * n * inner;
        if (count == 0)
        {
            return;
        }

        var idx = View<int>(indices);
        Action launch = g.DType switch
        {
            _ when total == 0 => () => { },
            DType.Float32 => () => _f32.ScatterAdd(total, View<float>(g), idx, View<float>(y), n, m, inner),
            DType.Float64 => () => _f64.ScatterAdd(total, View<double>(g), idx, View<double>(y), n, m, inner),
            _ => throw new NotSupportedException($"scatter-add on {g.DType.Name()}"),
        };
        WithIndexCheck(indices, count, n, launch);
    }

    public void OneHot(TensorStorage labels, int classes, TensorStorage y)
    {
        int rows = labels.Length;
        if (rows == 0)
        {
            return;
        }

        var l = View<int>(labels);
        Action launch = y.DType switch
        {
            DType.Float32 => () => _f32.OneHot(rows, l, View<float>(y), classes),
            DType.Float64 => () => _f64.OneHot(rows, l, View<double>(y), classes),
            _ => () => _i32.OneHot(rows, l, View<int>(y), classes),
        };
        WithIndexCheck(labels, rows, classes, launch);
    }

    public void SoftmaxCrossEntropy(TensorStorage logits, TensorStorage labels, int rows, int classes, TensorStorage y)
    {
        if (rows == 0)
        {
            return;
        }

        var l = View<int>(labels).SubView(0, rows);
        var wide = WideRows(rows, classes);
        Action launch = logits.DType switch
        {
            DType.Float32 when wide is { } g => () => _f32.SoftmaxCrossEntropyRows(g, View<float>(logits), l, View<float>(y), View<float>(y), classes, 0),
            DType.Float64 when wide is { } g => () => _f64.SoftmaxCrossEntropyRows(g, View<double>(logits), l, View<double>(y), View<double>(y), classes, 0),
            DType.Float32 => () => _f32.SoftmaxCrossEntropy(rows, View<float>(logits), l, View<float>(y), classes),
            DType.Float64 => () => _f64.SoftmaxCrossEntropy(rows, View<double>(logits), l, View<double>(y), classes),
            _ => throw new NotSupportedException($"softmax cross-entropy on {logits.DType.Name()}"),
        };
        launch = Counted(launch, wide);
        WithIndexCheck(labels, rows, classes, launch);
    }

    public void SoftmaxCrossEntropyGrad(TensorStorage logits, TensorStorage labels, TensorStorage c, int rows, int classes, TensorStorage y)
    {
        if (rows == 0)
        {
            return;
        }

        var l = View<int>(labels).SubView(0, rows);
        var wide = WideRows(rows, classes);
        Action launch = logits.DType switch
        {
            DType.Float32 when wide is { } g => () => _f32.SoftmaxCrossEntropyRows(g, View<float>(logits), l, View<float>(c), View<float>(y), classes, 1),
            DType.Float64 when wide is { } g => () => _f64.SoftmaxCrossEntropyRows(g, View<double>(logits), l, View<double>(c), View<double>(y), classes, 1),
            DType.Float32 => () => _f32.SoftmaxCrossEntropyGrad(rows, View<float>(logits), l, View<float>(c), View<float>(y), classes),
            DType.Float64 => () => _f64.SoftmaxCrossEntropyGrad(rows, View<double>(logits), l, View<double>(c), View<double>(y), classes),
            _ => throw new NotSupportedException($"softmax cross-entropy gradient on {logits.DType.Name()}"),
        };
        launch = Counted(launch, wide);
        WithIndexCheck(labels, rows, classes, launch);
    }

    /// <summary>
    /// The launch of the group-per-row cross-entropy kernel for rows of at least <see cref="ReducePlan.MinLength"/>
    /// classes, or null for one thread per row (classifier widths).
    /// </summary>
    private KernelConfig? WideRows(int rows, int classes)
    {
        if (classes < ReducePlan.MinLength)
        {
            return null;
        }

        return new KernelConfig(new Index1D(rows), new Index1D(ReduceThreads));
    }

    /// <summary>A grouped launch counted in <see cref="GroupedLaunches"/> as it runs.</summary>
    private Action Counted(Action launch, KernelConfig? grouped) => grouped is null ? launch : () =>
    {
        GroupedLaunches++;
        launch();
    };

    /// <summary>
    /// Under the flag's lock: resets it, launches the range check of the first <paramref name="count"/> indices against
    /// [0, limit), then <paramref name="launch"/> (which skips bad indices), waits and reads the flag; then throws
    /// <see cref="IndexRangeException"/> for the first bad position, as the CPU backend does.
    /// </summary>
    private void WithIndexCheck(TensorStorage indices, int count, int limit, Action launch)
    {
        int position;
        lock (_dataFlag)
        {
            ResetFlag();
            _i32.CheckIndices(count, View<int>(indices).SubView(0, count), limit, _dataFlag.View);
            launch();
            position = ReadFlag();
        }

        if (position != int.MaxValue)
        {
            throw new IndexRangeException((int)GetElement(indices, position), position, limit);
        }
    }
}
