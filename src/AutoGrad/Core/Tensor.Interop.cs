using System.Runtime.CompilerServices;
using AutoGrad.Backends.Cpu;
using Numerics = System.Numerics.Tensors;

namespace AutoGrad;

/// <summary>
/// Interop with .NET's standard tensor type, <see cref="Numerics.Tensor{T}"/> (System.Numerics.Tensors), for float,
/// double and int elements. Its static class <c>System.Numerics.Tensors.Tensor</c> has the same name as
/// <see cref="Tensor"/>: in a file that uses both, import one namespace and alias the other
/// (<c>using NT = System.Numerics.Tensors;</c> then <c>NT.Tensor&lt;float&gt;</c>). <see cref="Numerics.Tensor{T}"/> has no
/// rank 0, so a scalar goes out with lengths [1].
/// </summary>
public sealed partial class Tensor
{
    /// <summary>
    /// A tensor with the elements and lengths of <paramref name="source"/>, in row-major order whatever its strides
    /// (a transposed or sliced view is read in its logical order). The elements are copied once: a
    /// <see cref="Numerics.Tensor{T}"/> does not give out the array it wraps.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> (float32), <see cref="double"/> (float64) or <see cref="int"/> (int32).</typeparam>
    public static Tensor FromNumericsTensor<T>(Numerics.Tensor<T> source, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        where T : unmanaged
    {
        var site = new CallSite(file, line);
        if (source is null)
        {
            throw site.Error("FromNumericsTensor", "source is null");
        }

        var dtype = DTypeOf<T>("FromNumericsTensor", site);
        var lengths = source.Lengths;
        var dims = new int[lengths.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = lengths[i] <= int.MaxValue ? (int)lengths[i]
                : throw site.Error("FromNumericsTensor", $"dimension {i} has {lengths[i]} elements; AutoGrad's dimensions are int32");
        }

        var data = new T[source.FlattenedLength];
        source.FlattenTo(data);
        var dev = device ?? Device.Cpu;
        if (dev == Device.Cpu)
        {
            return Adopted(new CpuStorage<T>(dtype, data), dims, dev);
        }

        var storage = dev.Backend.Allocate(dtype, data.Length, clear: false);
        dev.Backend.CopyFromHost<T>(data, storage);
        return Adopted(storage, dims, dev);
    }

    /// <summary>
    /// This tensor as a <see cref="Numerics.Tensor{T}"/> over the same memory, without a copy: for a CPU tensor whose
    /// dtype is <typeparamref name="T"/>'s. AutoGrad tensors are immutable and the view shares their buffer, so treat it
    /// as read-only, and use it while this tensor is alive and not released (<see cref="TensorScope"/>); for a copy you
    /// may change, or from a GPU, a traced tensor or another dtype, use <see cref="ToNumericsTensor{T}"/>.
    /// </summary>
    public Numerics.Tensor<T> AsNumericsTensor<T>([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        where T : unmanaged
    {
        var site = new CallSite(file, line);
        var dtype = DTypeOf<T>("AsNumericsTensor", site);
        if (IsTraced)
        {
            throw site.Error("AsNumericsTensor", $"the tensor {DType.Name()}{Shape} is traced by a transform; its values exist only inside it (use ToNumericsTensor for a copy of the primal)");
        }

        if (Device != Device.Cpu || dtype != DType)
        {
            throw site.Error("AsNumericsTensor",
                $"a view without a copy needs a CPU tensor of {dtype.Name()}, got {DType.Name()}{Shape} on {Device.Name}; use ToNumericsTensor<{typeof(T).Name}>() for a copy");
        }

        var data = ((CpuStorage<T>)Storage!).Data;
        return Numerics.Tensor.Create(data, Lengths());
    }

    /// <summary>
    /// A copy of this tensor's elements as a new <see cref="Numerics.Tensor{T}"/> of the same lengths (from any device,
    /// and from a traced tensor its current value). Elements are converted as <see cref="ToArray{T}"/> converts them.
    /// </summary>
    public Numerics.Tensor<T> ToNumericsTensor<T>([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        where T : unmanaged
    {
        DTypeOf<T>("ToNumericsTensor", new CallSite(file, line));
        return Numerics.Tensor.Create(ToArray<T>(file, line), Lengths());
    }

    // Tensor<T> has no rank 0 (empty lengths make an empty rank-1 tensor): a scalar goes out with lengths [1].
    private nint[] Lengths()
    {
        if (Rank == 0)
        {
            return [1];
        }

        var lengths = new nint[Rank];
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = _shape[i];
        }

        return lengths;
    }

    private static DType DTypeOf<T>(string op, CallSite site) =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(int) ? DType.Int32
        : throw site.Error(op, $"element type {typeof(T).Name} has no AutoGrad dtype; use float, double or int");
}
