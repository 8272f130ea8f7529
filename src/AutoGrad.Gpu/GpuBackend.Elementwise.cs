using AutoGrad.Backends;

namespace AutoGrad.Gpu;

/// <summary>Elementwise kernels: one thread per output element.</summary>
internal sealed partial class GpuBackend
{
    public void Unary(UnaryKernel kernel, double p0, double p1, TensorStorage x, TensorStorage y)
    {
        int n = x.Length;
        if (n == 0)
        {
            return;
        }

        switch (x.DType)
        {
            case DType.Float32: _f32.Unary(n, View<float>(x), View<float>(y), (int)kernel, p0, p1); break;
            case DType.Float64: _f64.Unary(n, View<double>(x), View<double>(y), (int)kernel, p0, p1); break;
            default: throw new NotSupportedException($"unary kernel {kernel} on {x.DType.Name()}");
        }
    }

    public void Binary(BinaryKernel kernel, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape)
    {
        Span<int> outStrides = stackalloc int[shape.Length];
        for (int ax = shape.Length - 1, stride = 1; ax >= 0; ax--)
        {
            outStrides[ax] = stride;
            stride *= shape[ax];
        }

        // The output is contiguous, so merging it along keeps the kernel's linear index equal to the output index.
        var s = Strides("Binary", shape, aStrides, bStrides, outStrides, out int total);
        if (total == 0)
        {
            return;
        }

        switch (a.DType)
        {
            case DType.Float32: _f32.Binary(total, View<float>(a), View<float>(b), View<float>(y), (int)kernel, s); break;
            case DType.Float64: _f64.Binary(total, View<double>(a), View<double>(b), View<double>(y), (int)kernel, s); break;
            default: throw new NotSupportedException($"binary kernel {kernel} on {a.DType.Name()}");
        }
    }

    public void BinaryFlat(BinaryKernel kernel, TensorStorage a, bool aScalar, TensorStorage b, bool bScalar, TensorStorage y)
    {
        int n = y.Length;
        if (n == 0)
        {
            return;
        }

        int sa = aScalar ? 0 : 1, sb = bScalar ? 0 : 1;
        switch (a.DType)
        {
            case DType.Float32: _f32.BinaryFlat(n, View<float>(a), sa, View<float>(b), sb, View<float>(y), (int)kernel); break;
            case DType.Float64: _f64.BinaryFlat(n, View<double>(a), sa, View<double>(b), sb, View<double>(y), (int)kernel); break;
            default: throw new NotSupportedException($"binary kernel {kernel} on {a.DType.Name()}");
        }
    }

    public void Where(TensorStorage cond, int[] condStrides, TensorStorage a, int[] aStrides, TensorStorage b, int[] bStrides, TensorStorage y, int[] shape)
    {
        // Merging keeps row-major order and y is contiguous, so the kernel's linear index is y's index.
        var s = Strides("Where", shape, condStrides, aStrides, bStrides, out int total);
        if (total == 0)
        {
            return;
        }

        switch (a.DType)
        {
            case DType.Float32: _f32.Where(total, View<float>(cond), View<float>(a), View<float>(b), View<float>(y), s); break;
            case DType.Float64: _f64.Where(total, View<double>(cond), View<double>(a), View<double>(b), View<double>(y), s); break;
            default: throw new NotSupportedException($"where on {a.DType.Name()}");
        }
    }
}
