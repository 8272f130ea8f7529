using AutoGrad.Backends;
using AutoGrad.Backends.Cpu;
using AutoGrad.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoGrad.Gpu;

/// <summary>
/// The kernel interface on one ILGPU accelerator: buffers from its <see cref="GpuMemoryPool"/>, kernels compiled once
/// and cached (<see cref="KernelSet{T, TE}"/>), launched on the accelerator's default stream in call order. Host reads
/// synchronize the stream first. Every kernel of the interface runs on the device: nothing falls back to the host. One
/// thread at a time per device.
/// </summary>
internal sealed partial class GpuBackend : IBackend
{
    private readonly KernelSet<float, F32> _f32;
    private readonly KernelSet<double, F64> _f64;
    private readonly KernelSet<int, I32> _i32;
    private readonly Dictionary<(DType, DType), Delegate> _casts = [];
    /// <summary>The first position of a bad value in data (a cast to int32, an index out of range), int.MaxValue for none.</summary>
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _dataFlag;

    /// <summary>The scalar operands of AdaptiveStep (α, γ) as doubles, written on the device by the launch before it.</summary>
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _scalars;

    /// <summary>Stands in for the index view of a grouped reduce launch that writes none (never written or read).</summary>
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _noIndices;

    public GpuBackend(Accelerator accelerator, string deviceName)
    {
        Accelerator = accelerator;
        DeviceName = deviceName;
        Pool = new GpuMemoryPool(accelerator);
        _f32 = new(accelerator);
        _f64 = new(accelerator);
        _i32 = new(accelerator);
        _dataFlag = accelerator.Allocate1D<int>(1);
        _scalars = accelerator.Allocate1D<double>(2);
        _noIndices = accelerator.Allocate1D<int>(1);
    }

    public Accelerator Accelerator { get; }

    /// <summary>The device's name as <see cref="Device.Name"/> shows it, for messages.</summary>
    public string DeviceName { get; }

    public GpuMemoryPool Pool { get; }

    /// <summary>
    /// The elements of a storage of this backend, or an error naming both backends. Every launch and copy takes its buffers
    /// from here, so this also makes the accelerator current on the calling thread (<see cref="Accelerator.Bind"/>: a
    /// thread-static check when it already is). ILGPU binds on allocation, kernel loading and synchronization, but not on a
    /// launch or an asynchronous copy, which on CUDA need the accelerator's context current on the thread; a thread whose
    /// first op reuses a pooled buffer (test runners, thread-pool continuations) would otherwise launch without it.
    /// </summary>
    internal ArrayView<T> View<T>(TensorStorage s)
        where T : unmanaged
    {
        if (s is GpuStorage<T> g && ReferenceEquals(g.Backend, this))
        {
            Accelerator.Bind();
            return g.View;
        }

        throw new ArgumentException($"a {s.DType.Name()} buffer of {(s.Backend is GpuBackend o ? o.DeviceName : "the cpu")} was handed to a kernel of {DeviceName}");
    }

    public TensorStorage Allocate(DType dtype, int length, bool clear = true)
    {
        Accelerator.Bind(); // a pooled buffer is cleared without an ILGPU allocation, which would bind (see View)
        TensorStorage s = dtype switch
        {
            DType.Float32 => new GpuStorage<float>(this, dtype, length, Pool.Rent<float>(length)),
            DType.Float64 => new GpuStorage<double>(this, dtype, length, Pool.Rent<double>(length)),
            DType.Int32 => new GpuStorage<int>(this, dtype, length, Pool.Rent<int>(length)),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
        if (clear && length > 0)
        {
            switch (s)
            {
                case GpuStorage<float> f: f.View.MemSetToZero(); break;
                case GpuStorage<double> d: d.View.MemSetToZero(); break;
                case GpuStorage<int> i: i.View.MemSetToZero(); break;
            }
        }

        return s;
    }

    public TensorStorage FromArray(Array data)
    {
        switch (data)
        {
            case float[] f: return Upload<float>(DType.Float32, f);
            case double[] d: return Upload<double>(DType.Float64, d);
            case int[] i: return Upload<int>(DType.Int32, i);
            default: throw new ArgumentException($"unsupported element type {data.GetType().GetElementType()}");
        }
    }

    private TensorStorage Upload<T>(DType dtype, ReadOnlySpan<T> data)
        where T : unmanaged
    {
        var s = Allocate(dtype, data.Length, clear: false);
        CopyFromHost(data, s);
        return s;
    }

    public void CopyFromHost<T>(ReadOnlySpan<T> src, TensorStorage dst)
        where T : unmanaged
    {
        if (src.Length > 0)
        {
            View<T>(dst).SubView(0, src.Length).CopyFromCPU(src);
        }
    }

    public Array ToArray(TensorStorage storage) => storage.DType switch
    {
        DType.Float32 => Download<float>(storage),
        DType.Float64 => Download<double>(storage),
        _ => Download<int>(storage),
    };

    private T[] Download<T>(TensorStorage s)
        where T : unmanaged
    {
        var view = View<T>(s);
        var result = new T[s.Length];
        if (result.Length > 0)
        {
            Accelerator.Synchronize();
            view.CopyToCPU(result.AsSpan());
        }

        return result;
    }

    public double GetElement(TensorStorage storage, int index) => storage.DType switch
    {
        DType.Float32 => ReadOne<float>(storage, index),
        DType.Float64 => ReadOne<double>(storage, index),
        _ => ReadOne<int>(storage, index),
    };

    private double ReadOne<T>(TensorStorage s, int index)
        where T : unmanaged
    {
        Span<T> one = stackalloc T[1];
        Accelerator.Synchronize();
        View<T>(s).SubView(index, 1).CopyToCPU(one);
        return Convert.ToDouble(one[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Fill(TensorStorage dst, double value)
    {
        int n = dst.Length;
        if (n == 0)
        {
            return;
        }

        switch (dst.DType)
        {
            case DType.Float32: _f32.Fill(n, View<float>(dst), (float)value); break;
            case DType.Float64: _f64.Fill(n, View<double>(dst), value); break;
            default: _i32.Fill(n, View<int>(dst), checked((int)value)); break;
        }
    }

    public void Cast(TensorStorage src, TensorStorage dst)
    {
        int n = src.Length;
        if (n == 0)
        {
            return;
        }

        if (src.DType == dst.DType)
        {
            StridedCopy(src, 0, [1], dst, 0, [1], [n]);
            return;
        }

        if (dst.DType != DType.Int32)
        {
            CastLaunch(src, dst, toInt: false);
            return;
        }

        int position;
        lock (_dataFlag)
        {
            ResetFlag();
            CastLaunch(src, dst, toInt: true);
            position = ReadFlag();
        }

        if (position != int.MaxValue)
        {
            throw new CastRangeException(GetElement(src, position), position);
        }
    }

    private void CastLaunch(TensorStorage src, TensorStorage dst, bool toInt)
    {
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.Float64): CastKernel<float, F32, double, F64>(src, dst, toInt); break;
            case (DType.Float64, DType.Float32): CastKernel<double, F64, float, F32>(src, dst, toInt); break;
            case (DType.Int32, DType.Float32): CastKernel<int, I32, float, F32>(src, dst, toInt); break;
            case (DType.Int32, DType.Float64): CastKernel<int, I32, double, F64>(src, dst, toInt); break;
            case (DType.Float32, DType.Int32): CastKernel<float, F32, int, I32>(src, dst, toInt); break;
            default: CastKernel<double, F64, int, I32>(src, dst, toInt); break;
        }
    }

    /// <summary>
    /// Sets the data-error flag to "none" (int.MaxValue) before a launch that may lower it. The reset, the launches and
    /// the read happen under a lock on the flag, so that two threads' checks cannot mix (the device is meant for one
    /// thread at a time, but a wrong index reported would be worse than a slower misuse).
    /// </summary>
    private void ResetFlag()
    {
        Accelerator.Bind();
        _i32.Fill(1, _dataFlag.View, int.MaxValue);
    }

    /// <summary>Waits for the launches so far and returns the flag: the first bad position, or int.MaxValue.</summary>
    private int ReadFlag()
    {
        Span<int> flag = stackalloc int[1];
        Accelerator.Synchronize();
        ((ArrayView<int>)_dataFlag.View).CopyToCPU(flag);
        return flag[0];
    }

    private void CastKernel<TS, TSE, TD, TDE>(TensorStorage src, TensorStorage dst, bool toInt)
        where TS : unmanaged
        where TSE : struct, IElement<TS>
        where TD : unmanaged
        where TDE : struct, IElement<TD>
    {
        Action<Index1D, ArrayView<TS>, ArrayView<TD>, ArrayView<int>, int> kernel;
        lock (_casts)
        {
            if (!_casts.TryGetValue((src.DType, dst.DType), out var cached))
            {
                _casts[(src.DType, dst.DType)] = cached =
                    Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TS>, ArrayView<TD>, ArrayView<int>, int>(DeviceKernels.Cast<TS, TSE, TD, TDE>);
            }

            kernel = (Action<Index1D, ArrayView<TS>, ArrayView<TD>, ArrayView<int>, int>)cached;
        }

        kernel(src.Length, View<TS>(src), View<TD>(dst), _dataFlag.View, toInt ? 1 : 0);
    }

    public void StridedCopy(TensorStorage src, int srcOffset, int[] srcStrides, TensorStorage dst, int dstOffset, int[] dstStrides, int[] shape)
    {
        var s = Strides("StridedCopy", shape, srcStrides, dstStrides, default, out int total);
        if (total == 0)
        {
            return;
        }

        switch (src.DType)
        {
            case DType.Float32: _f32.StridedCopy(total, View<float>(src), srcOffset, View<float>(dst), dstOffset, s); break;
            case DType.Float64: _f64.StridedCopy(total, View<double>(src), srcOffset, View<double>(dst), dstOffset, s); break;
            default: _i32.StridedCopy(total, View<int>(src), srcOffset, View<int>(dst), dstOffset, s); break;
        }
    }

    /// <summary>
    /// The merged iteration space of a strided kernel as a kernel uniform, and its element count; more than
    /// <see cref="StrideSet.MaxRank"/> axes left after merging throw <see cref="NotSupportedException"/>.
    /// </summary>
    internal static StrideSet Strides(string kernel, ReadOnlySpan<int> shape, ReadOnlySpan<int> s0, ReadOnlySpan<int> s1, ReadOnlySpan<int> s2, out int total)
    {
        total = 1;
        foreach (int d in shape)
        {
            total *= d;
        }

        StrideMath.Coalesce(shape, s0, s1, s2, out var c);
        if (c.Rank > StrideSet.MaxRank)
        {
            throw new NotSupportedException(
                $"{kernel}: the ILGPU backend walks at most {StrideSet.MaxRank} axes that cannot be merged, and shape {Shape.Format(shape.ToArray())} has {c.Rank}");
        }

        return new StrideSet(
            c.Rank,
            new Int8(c.Dims[..c.Rank]),
            new Int8(c.S0[..c.Rank]),
            new Int8(c.S1[..c.Rank]),
            new Int8(s2.IsEmpty ? default : c.S2[..c.Rank]));
    }
}
