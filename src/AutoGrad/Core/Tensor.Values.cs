using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace AutoGrad;

/// <summary>Reading values back to the host, and printing.</summary>
public sealed partial class Tensor
{
    private const int PrintThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// The elements in row-major order as <typeparamref name="T"/>: <see cref="double"/> or
    /// <see cref="float"/> (converted from any dtype), or <see cref="int"/> (int32 tensors only).
    /// </summary>
    public T[] ToArray<T>([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            return (T[])(object)ToDoubleArray();
        }

        if (typeof(T) == typeof(float))
        {
            return (T[])(object)ToFloatArray();
        }

        if (typeof(T) == typeof(int))
        {
            return (T[])(object)ToInt32Array(file, line);
        }

        throw new CallSite(file, line).Error("ToArray", $"element type {typeof(T).Name} is not supported; use double, float or int");
    }

    /// <summary>The elements in row-major order as doubles (converted from any dtype).</summary>
    public double[] ToDoubleArray() => Concrete.ConvertedArray<double>(v => v, v => v, v => v);

    /// <summary>The elements in row-major order as floats (converted from any dtype).</summary>
    public float[] ToFloatArray() => Concrete.ConvertedArray<float>(v => v, v => (float)v, v => v);

    /// <summary>
    /// Copies the elements in row-major order into <paramref name="destination"/>, converted to double, without allocating
    /// for a tensor on the CPU (data-parallel training copies every gradient into one buffer each step this way).
    /// </summary>
    public void CopyTo(Span<double> destination, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (destination.Length < Size)
        {
            throw new CallSite(file, line).Error("CopyTo", $"the destination holds {destination.Length} values, but the tensor {DType.Name()}{Shape} has {Size}");
        }

        switch (ConcreteStorage)
        {
            case Backends.Cpu.CpuStorage<double> d:
                d.Data.AsSpan(0, Size).CopyTo(destination);
                break;
            case Backends.Cpu.CpuStorage<float> f:
                var source = f.Data.AsSpan(0, Size);
                for (int i = 0; i < source.Length; i++)
                {
                    destination[i] = source[i];
                }

                break;
            default:
                ToDoubleArray().CopyTo(destination);
                break;
        }
    }

    /// <summary>The elements of an int32 tensor in row-major order.</summary>
    public int[] ToInt32Array([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (DType != DType.Int32)
        {
            throw new CallSite(file, line).Error("ToInt32Array", $"tensor is {DType.Name()}{Shape}; use ToDoubleArray or To(DType.Int32)");
        }

        return (int[])Backend.ToArray(ConcreteStorage);
    }

    /// <summary>The value of a one-element tensor, as a double.</summary>
    public double Item([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (Size != 1)
        {
            throw new CallSite(file, line).Error("Item", $"needs a tensor with exactly one element, got {DType.Name()}{Shape}");
        }

        return Backend.GetElement(ConcreteStorage, 0);
    }

    private T[] ConvertedArray<T>(Func<float, T> fromFloat, Func<double, T> fromDouble, Func<int, T> fromInt)
    {
        var raw = Backend.ToArray(Storage!);
        return raw switch
        {
            T[] same => same,
            float[] f => Array.ConvertAll(f, v => fromFloat(v)),
            double[] d => Array.ConvertAll(d, v => fromDouble(v)),
            int[] i => Array.ConvertAll(i, v => fromInt(v)),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>
    /// Shape, dtype, device and the values, NumPy style; tensors of more than 1000 elements show the first
    /// and last three entries of each axis. Traced tensors also say which transform traces them.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor(").Append(DType.Name()).Append(Shape).Append(", ").Append(Device.Name);
        if (Trace is not null)
        {
            sb.Append(", traced by ").Append(Trace.Transform);
        }

        sb.Append(")\n");
        var values = ToDoubleArray();
        bool abridge = values.Length > PrintThreshold;
        AppendValues(sb, values, 0, 0, abridge, Shape.Strides());
        return sb.ToString();
    }

    private void AppendValues(StringBuilder sb, double[] values, int axis, int offset, bool abridge, int[] strides)
    {
        if (axis == Rank)
        {
            sb.Append(FormatValue(values[offset]));
            return;
        }

        int n = Dims[axis];
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (abridge && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append("...");
                sb.Append(axis == Rank - 1 ? ", " : ",\n" + new string(' ', axis + 1));
                i = n - EdgeItems - 1;
                continue;
            }

            AppendValues(sb, values, axis + 1, offset + i * strides[axis], abridge, strides);
            if (i < n - 1)
            {
                sb.Append(axis == Rank - 1 ? ", " : ",\n" + new string(' ', axis + 1));
            }
        }

        sb.Append(']');
    }

    private string FormatValue(double v) => DType switch
    {
        DType.Int32 => ((int)v).ToString(CultureInfo.InvariantCulture),
        DType.Float32 => ((float)v).ToString("G6", CultureInfo.InvariantCulture),
        _ => v.ToString("G8", CultureInfo.InvariantCulture),
    };
}
