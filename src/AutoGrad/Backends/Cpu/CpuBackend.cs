using System.Runtime.CompilerServices;
using System.Numerics;

namespace AutoGrad.Backends.Cpu;

/// <summary>
/// The host backend: managed arrays, generic math over float and double, System.Numerics.Tensors'
/// vectorized primitives on contiguous runs, and the scalar formulas of <see cref="ScalarMath"/> elsewhere.
/// Every kernel is deterministic: the same inputs give bitwise the same outputs, whatever the threading.
/// </summary>
internal sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    private CpuBackend()
    {
    }

    public static T[] Data<T>(TensorStorage s)
        where T : unmanaged => ((CpuStorage<T>)s).Data;

    public TensorStorage Allocate(DType dtype, int length, bool clear = true) => dtype switch
    {
        DType.Float32 => new CpuStorage<float>(dtype, BufferPool<float>.Rent(length, clear)),
        DType.Float64 => new CpuStorage<double>(dtype, BufferPool<double>.Rent(length, clear)),
        DType.Int32 => new CpuStorage<int>(dtype, BufferPool<int>.Rent(length, clear)),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public TensorStorage FromArray(Array data) => data switch
    {
        float[] f => new CpuStorage<float>(DType.Float32, Copy(f)),
        double[] d => new CpuStorage<double>(DType.Float64, Copy(d)),
        int[] i => new CpuStorage<int>(DType.Int32, Copy(i)),
        _ => throw new ArgumentException($"unsupported element type {data.GetType().GetElementType()}"),
    };

    public void CopyFromHost<T>(ReadOnlySpan<T> src, TensorStorage dst)
        where T : unmanaged => src.CopyTo(Data<T>(dst));

    private static T[] Copy<T>(T[] source)
        where T : unmanaged
    {
        var copy = BufferPool<T>.Rent(source.Length, clear: false);
        source.AsSpan().CopyTo(copy);
        return copy;
    }

    public Array ToArray(TensorStorage storage) => storage switch
    {
        CpuStorage<float> f => (float[])f.Data.Clone(),
        CpuStorage<double> d => (double[])d.Data.Clone(),
        CpuStorage<int> i => (int[])i.Data.Clone(),
        _ => throw new ArgumentException("storage does not belong to the CPU backend"),
    };

    public double GetElement(TensorStorage storage, int index) => storage switch
    {
        CpuStorage<float> f => f.Data[index],
        CpuStorage<double> d => d.Data[index],
        CpuStorage<int> i => i.Data[index],
        _ => throw new ArgumentException("storage does not belong to the CPU backend"),
    };

    public void Fill(TensorStorage dst, double value)
    {
        switch (dst)
        {
            case CpuStorage<float> f: Array.Fill(f.Data, (float)value); break;
            case CpuStorage<double> d: Array.Fill(d.Data, value); break;
            case CpuStorage<int> i: Array.Fill(i.Data, checked((int)value)); break;
        }
    }

    private static int ToInt32(double v, int position) =>
        v > int.MinValue - 1.0 && v < int.MaxValue + 1.0 ? (int)v : throw new CastRangeException(v, position);

    public void Cast(TensorStorage src, TensorStorage dst)
    {
        int n = src.Length;
        switch (src, dst)
        {
            case (CpuStorage<float> s, CpuStorage<double> d):
                for (int i = 0; i < n; i++) { d.Data[i] = s.Data[i]; }
                break;
            case (CpuStorage<double> s, CpuStorage<float> d):
                for (int i = 0; i < n; i++) { d.Data[i] = (float)s.Data[i]; }
                break;
            case (CpuStorage<int> s, CpuStorage<float> d):
                for (int i = 0; i < n; i++) { d.Data[i] = s.Data[i]; }
                break;
            case (CpuStorage<int> s, CpuStorage<double> d):
                for (int i = 0; i < n; i++) { d.Data[i] = s.Data[i]; }
                break;
            case (CpuStorage<float> s, CpuStorage<int> d):
                for (int i = 0; i < n; i++) { d.Data[i] = ToInt32(s.Data[i], i); }
                break;
            case (CpuStorage<double> s, CpuStorage<int> d):
                for (int i = 0; i < n; i++) { d.Data[i] = ToInt32(s.Data[i], i); }
                break;
            default:
                StridedCopy(src, 0, [1], dst, 0, [1], [n]);
                break;
        }
    }

    public void StridedCopy(TensorStorage src, int srcOffset, int[] srcStrides, TensorStorage dst, int dstOffset, int[] dstStrides, int[] shape)
    {
        switch (src)
        {
            case CpuStorage<float> f: CopyStrided(f.Data, srcOffset, srcStrides, Data<float>(dst), dstOffset, dstStrides, shape); break;
            case CpuStorage<double> d: CopyStrided(d.Data, srcOffset, srcStrides, Data<double>(dst), dstOffset, dstStrides, shape); break;
            case CpuStorage<int> i: CopyStrided(i.Data, srcOffset, srcStrides, Data<int>(dst), dstOffset, dstStrides, shape); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: full optimization from the first call, not after tiering
    private static void CopyStrided<T>(T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides, int[] shape)
        where T : unmanaged
    {
        StrideMath.Coalesce(shape, srcStrides, dstStrides, default, out var c);
        int rank = c.Rank;
        ReadOnlySpan<int> dims = c.Dims[..rank], ss = c.S0[..rank], ds = c.S1[..rank];
        if (rank == 0)
        {
            dst[dstOffset] = src[srcOffset];
            return;
        }

        int total = 1;
        foreach (int d in dims)
        {
            total *= d;
        }

        if (total == 0)
        {
            return;
        }

        int inner = dims[rank - 1], si = ss[rank - 1], di = ds[rank - 1];
        int rows = total / inner;
        Span<int> index = stackalloc int[StrideMath.MaxRank];
        int sOff = srcOffset, dOff = dstOffset;
        for (int r = 0; r < rows; r++)
        {
            if (si == 1 && di == 1)
            {
                Array.Copy(src, sOff, dst, dOff, inner);
            }
            else
            {
                for (int j = 0, s = sOff, d = dOff; j < inner; j++, s += si, d += di)
                {
                    dst[d] = src[s];
                }
            }

            // Advance the outer index like an odometer.
            for (int ax = rank - 2; ax >= 0; ax--)
            {
                sOff += ss[ax];
                dOff += ds[ax];
                if (++index[ax] < dims[ax])
                {
                    break;
                }

                sOff -= ss[ax] * dims[ax];
                dOff -= ds[ax] * dims[ax];
                index[ax] = 0;
            }
        }
    }
}
