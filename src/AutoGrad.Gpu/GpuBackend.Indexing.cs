using AutoGrad.Backends;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// Gather, scatter-add, one-hot and softmax cross-entropy. Indices are range-checked on the device by a launch before
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
        CheckIndices(idx, total, n);
        switch (x.DType)
        {
            case DType.Float32: _f32.Gather(total, View<float>(x), idx, View<float>(y), n, m, inner); break;
            case DType.Float64: _f64.Gather(total, View<double>(x), idx, View<double>(y), n, m, inner); break;
            default: _i32.Gather(total, View<int>(x), idx, View<int>(y), n, m, inner); break;
        }

        ThrowIfIndexFlagged(indices, n);
    }

    public void ScatterAdd(TensorStorage g, TensorStorage indices, int outer, int n, int m, int inner, TensorStorage y)
    {
        int count = outer * m * inner, total = outer * n * inner;
        if (count == 0)
        {
            return;
        }

        var idx = View<int>(indices);
        CheckIndices(idx, count, n);
        if (total > 0)
        {
            switch (g.DType)
            {
                case DType.Float32: _f32.ScatterAdd(total, View<float>(g), idx, View<float>(y), n, m, inner); break;
                case DType.Float64: _f64.ScatterAdd(total, View<double>(g), idx, View<double>(y), n, m, inner); break;
                default: throw new NotSupportedException($"scatter-add on {g.DType.Name()}");
            }
        }

        ThrowIfIndexFlagged(indices, n);
    }

    public void OneHot(TensorStorage labels, int classes, TensorStorage y)
    {
        int rows = labels.Length;
        if (rows == 0)
        {
            return;
        }

        var l = View<int>(labels);
        CheckIndices(l, rows, classes);
        switch (y.DType)
        {
            case DType.Float32: _f32.OneHot(rows, l, View<float>(y), classes); break;
            case DType.Float64: _f64.OneHot(rows, l, View<double>(y), classes); break;
            default: _i32.OneHot(rows, l, View<int>(y), classes); break;
        }

        ThrowIfIndexFlagged(labels, classes);
    }

    public void SoftmaxCrossEntropy(TensorStorage logits, TensorStorage labels, int rows, int classes, TensorStorage y)
    {
        if (rows == 0)
        {
            return;
        }

        var l = View<int>(labels).SubView(0, rows);
        CheckIndices(l, rows, classes);
        switch (logits.DType)
        {
            case DType.Float32: _f32.SoftmaxCrossEntropy(rows, View<float>(logits), l, View<float>(y), classes); break;
            case DType.Float64: _f64.SoftmaxCrossEntropy(rows, View<double>(logits), l, View<double>(y), classes); break;
            default: throw new NotSupportedException($"softmax cross-entropy on {logits.DType.Name()}");
        }

        ThrowIfIndexFlagged(labels, classes);
    }

    public void SoftmaxCrossEntropyGrad(TensorStorage logits, TensorStorage labels, TensorStorage c, int rows, int classes, TensorStorage y)
    {
        if (rows == 0)
        {
            return;
        }

        var l = View<int>(labels).SubView(0, rows);
        CheckIndices(l, rows, classes);
        switch (logits.DType)
        {
            case DType.Float32: _f32.SoftmaxCrossEntropyGrad(rows, View<float>(logits), l, View<float>(c), View<float>(y), classes); break;
            case DType.Float64: _f64.SoftmaxCrossEntropyGrad(rows, View<double>(logits), l, View<double>(c), View<double>(y), classes); break;
            default: throw new NotSupportedException($"softmax cross-entropy gradient on {logits.DType.Name()}");
        }

        ThrowIfIndexFlagged(labels, classes);
    }

    /// <summary>Resets the flag and launches the range check of the first <paramref name="count"/> indices against [0, limit).</summary>
    private void CheckIndices(ArrayView<int> indices, int count, int limit)
    {
        ResetFlag();
        _i32.CheckIndices(count, indices.SubView(0, count), limit, _dataFlag.View);
    }

    /// <summary>Waits for the launches so far and throws <see cref="IndexRangeException"/> for the first bad position flagged.</summary>
    private void ThrowIfIndexFlagged(TensorStorage indices, int limit)
    {
        int position = ReadFlag();
        if (position != int.MaxValue)
        {
            throw new IndexRangeException((int)GetElement(indices, position), position, limit);
        }
    }
}
