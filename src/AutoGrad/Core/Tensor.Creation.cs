using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>Creating tensors: from host arrays, constants, ranges and seeded random draws.</summary>
public sealed partial class Tensor
{
    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromArray(float[] data, int[]? shape = null, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromHost(data, data?.Length ?? 0, shape, device, new CallSite(file, line));

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromArray(double[] data, int[]? shape = null, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromHost(data, data?.Length ?? 0, shape, device, new CallSite(file, line));

    /// <summary>An int32 tensor (indices, labels) holding a copy of <paramref name="data"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromArray(int[] data, int[]? shape = null, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromHost(data, data?.Length ?? 0, shape, device, new CallSite(file, line));

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> data, int[]? shape = null, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromHostSpan(data, DType.Float32, shape, device, new CallSite(file, line));

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromSpan(ReadOnlySpan<double> data, int[]? shape = null, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromHostSpan(data, DType.Float64, shape, device, new CallSite(file, line));

    /// <summary>An int32 tensor holding a copy of <paramref name="data"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromSpan(ReadOnlySpan<int> data, int[]? shape = null, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromHostSpan(data, DType.Int32, shape, device, new CallSite(file, line));

    /// <summary>A float64 matrix from a rectangular array.</summary>
    public static Tensor FromArray(double[,] data, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromMatrix(data, device, new CallSite(file, line));

    /// <summary>A float32 matrix from a rectangular array.</summary>
    public static Tensor FromArray(float[,] data, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        FromMatrix(data, device, new CallSite(file, line));

    private static Tensor FromMatrix<T>(T[,]? data, Device? device, CallSite site)
    {
        if (data is null)
        {
            throw site.Error("FromArray", "data is null");
        }

        var flat = new T[data.Length];
        int k = 0;
        foreach (T v in data)
        {
            flat[k++] = v;
        }

        return FromHost(flat, flat.Length, [data.GetLength(0), data.GetLength(1)], device, site);
    }

    /// <summary>Copies straight from the span into a (possibly pooled) buffer: no intermediate array.</summary>
    private static Tensor FromHostSpan<T>(ReadOnlySpan<T> data, DType dtype, int[]? shape, Device? device, CallSite site)
        where T : unmanaged
    {
        var dims = CheckedDims(data.Length, shape, site);
        var dev = device ?? Device.Cpu;
        var storage = dev.Backend.Allocate(dtype, data.Length, clear: false);
        dev.Backend.CopyFromHost(data, storage);
        return Adopted(storage, dims, dev);
    }

    private static Tensor FromHost(Array? data, int length, int[]? shape, Device? device, CallSite site)
    {
        if (data is null)
        {
            throw site.Error("FromArray", "data is null");
        }

        var dims = CheckedDims(length, shape, site);
        var dev = device ?? Device.Cpu;
        return Adopted(dev.Backend.FromArray(data), dims, dev);
    }

    private static int[] CheckedDims(int length, int[]? shape, CallSite site)
    {
        var dims = shape is null ? [length] : (int[])shape.Clone();
        long size = 1;
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw site.Error("FromArray", $"dimensions must be non-negative, got {Shape.Format(dims)}");
            }

            size *= d;
        }

        if (size != length)
        {
            throw site.Error("FromArray", $"{length} values do not fill shape {Shape.Format(dims)} ({size} elements)");
        }

        return dims;
    }

    /// <summary>A float64 scalar (rank 0).</summary>
    public static Tensor Scalar(double value, Device? device = null) => Full([], value, DType.Float64, device);

    /// <summary>A float32 scalar (rank 0).</summary>
    public static Tensor Scalar(float value, Device? device = null) => Full([], value, DType.Float32, device);

    /// <summary>A scalar of the given dtype.</summary>
    public static Tensor Scalar(double value, DType dtype, Device? device = null) => Full([], value, dtype, device);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Full(shape, 0.0, dtype, device, file, line);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Full(shape, 1.0, dtype, device, file, line);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        ArgumentNullException.ThrowIfNull(shape);
        Ops.OpCheck.Size("Full", site, shape);
        Ops.OpCheck.DefinedDType("Full", site, dtype);

        if (dtype == DType.Int32 && (value != Math.Floor(value) || value > int.MaxValue || value < int.MinValue))
        {
            throw site.Error("Full", $"{value} is not an int32 value");
        }

        var t = Empty(dtype, (int[])shape.Clone(), device ?? Device.Cpu);
        if (value != 0)
        {
            t.Backend.Fill(t.Storage!, value);
        }

        return t;
    }

    /// <summary>Zeros with the shape, dtype and device of <paramref name="like"/> (never traced).</summary>
    public static Tensor ZerosLike(Tensor like) => Empty(like.DType, like.Dims, like.Device);

    /// <summary>Ones with the shape, dtype and device of <paramref name="like"/> (never traced).</summary>
    public static Tensor OnesLike(Tensor like) => Full(like.Dims, 1.0, like.DType, like.Device);

    /// <summary>Values start, start + step, … below stop (above it for a negative step), as in NumPy.</summary>
    public static Tensor Arange(double start, double stop, double step = 1.0, DType dtype = DType.Float32, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        if (step == 0 || double.IsNaN(step) || double.IsNaN(start) || double.IsNaN(stop) || double.IsInfinity(start) || double.IsInfinity(stop))
        {
            throw site.Error("Arange", $"needs finite bounds and a non-zero step, got start {start}, stop {stop}, step {step}");
        }

        double count = Math.Max(0, Math.Ceiling((stop - start) / step));
        if (count > int.MaxValue)
        {
            throw site.Error("Arange", $"[{start}, {stop}) by {step} has {count} elements, more than a tensor can hold");
        }

        int n = (int)count;
        if (dtype == DType.Int32 && (start != Math.Floor(start) || step != Math.Floor(step)))
        {
            throw site.Error("Arange", $"an int32 range needs whole start and step, got start {start}, step {step}");
        }

        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = start + i * step;
        }

        return FromDoubles(values, [n], dtype, device ?? Device.Cpu);
    }

    /// <summary>The n×n identity matrix.</summary>
    public static Tensor Eye(int n, DType dtype = DType.Float32, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        Ops.OpCheck.Size("Eye", new CallSite(file, line), [n, n]);
        var values = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            values[i * n + i] = 1;
        }

        return FromDoubles(values, [n, n], dtype, device ?? Device.Cpu);
    }

    /// <summary>Draws from a normal distribution with the given mean and standard deviation, using <paramref name="generator"/>.</summary>
    public static Tensor RandomNormal(int[] shape, Generator generator, DType dtype = DType.Float32, double mean = 0.0, double std = 1.0, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var site = new CallSite(file, line);
        Backends.Recording.KernelRecorder.ThrowIfRecording("RandomNormal", site);
        if (!(std >= 0) || double.IsInfinity(std) || !double.IsFinite(mean))
        {
            throw site.Error("RandomNormal", $"needs a finite mean and a finite std ≥ 0, got mean {mean}, std {std}");
        }

        var probe = Zeros(shape, dtype, device, file, line);
        OpsCheckFloating("RandomNormal", site, probe);
        var values = new double[probe.Size];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = mean + std * generator.NextNormal();
        }

        return FromDoubles(values, probe.Dims, dtype, probe.Device);
    }

    /// <summary>Draws uniformly from [low, high), using <paramref name="generator"/>.</summary>
    public static Tensor RandomUniform(int[] shape, Generator generator, double low = 0.0, double high = 1.0, DType dtype = DType.Float32, Device? device = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var site = new CallSite(file, line);
        Backends.Recording.KernelRecorder.ThrowIfRecording("RandomUniform", site);
        if (!double.IsFinite(low) || !double.IsFinite(high) || !(low <= high))
        {
            throw site.Error("RandomUniform", $"needs finite low ≤ high, got [{low}, {high})");
        }

        var probe = Zeros(shape, dtype, device, file, line);
        OpsCheckFloating("RandomUniform", site, probe);
        var values = new double[probe.Size];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = low + (high - low) * generator.NextDouble();

            // Rounding to float32 can land on high itself; keep the interval half-open.
            if (dtype == DType.Float32 && high > low && (float)values[i] >= (float)high)
            {
                values[i] = Math.Max(low, MathF.BitDecrement((float)high));
            }
        }

        return FromDoubles(values, probe.Dims, dtype, probe.Device);
    }

    private static void OpsCheckFloating(string op, CallSite site, Tensor t) => Ops.OpCheck.Floating(op, site, t);

    /// <summary>A zero-filled concrete tensor (kernels write into it).</summary>
    internal static Tensor Empty(DType dtype, int[] dims, Device device) => Allocate(dtype, dims, device, clear: true);

    /// <summary>A concrete tensor with unspecified contents, for kernels that write every element.</summary>
    internal static Tensor Uninitialized(DType dtype, int[] dims, Device device) => Allocate(dtype, dims, device, clear: false);

    private static Tensor Allocate(DType dtype, int[] dims, Device device, bool clear)
    {
        long size = 1;
        foreach (int d in dims)
        {
            size *= d;
        }

        if (size > int.MaxValue)
        {
            throw new OverflowException($"a tensor of shape {Shape.Format(dims)} has more than {int.MaxValue} elements");
        }

        return Adopted(device.Backend.Allocate(dtype, (int)size, clear), dims, device);
    }

    /// <summary>A 0-d constant with the dtype and device of <paramref name="like"/>.</summary>
    /// <remarks>A null <paramref name="like"/> gives a float64 scalar, so that the op it feeds reports the null input itself.
    /// The scalar is float64 when <paramref name="like"/> is not a float tensor, for the same reason.</remarks>
    /// <remarks>
    /// These constants only ever feed ops (<c>y * 0.9</c>, the −1 of a VJP), never reach the user, and tensors are
    /// immutable: recent ones are reused from a small per-thread cache, outside every <see cref="TensorScope"/>,
    /// instead of allocating a tensor, a storage and an array for each constant of a scalar tape.
    /// </remarks>
    internal static Tensor ScalarLike(double value, Tensor? like)
    {
        var dtype = like is null || !like.DType.IsFloating() ? DType.Float64 : like.DType;
        var device = like?.Device ?? Device.Cpu;
        var cache = _constants ??= new (long, Tensor?)[ConstantCacheSize];
        long bits = BitConverter.DoubleToInt64Bits(value);
        foreach (var (key, cached) in cache)
        {
            if (key == bits && cached is not null && cached.DType == dtype && cached.Device == device)
            {
                return cached;
            }
        }

        var storage = device.Backend.Allocate(dtype, 1, clear: false);
        device.Backend.Fill(storage, value);
        var constant = new Tensor(storage, [], device);
        cache[_nextConstant] = (bits, constant);
        _nextConstant = (_nextConstant + 1) % ConstantCacheSize;
        return constant;
    }

    private const int ConstantCacheSize = 8;

    [ThreadStatic]
    private static (long Bits, Tensor? Constant)[]? _constants;

    [ThreadStatic]
    private static int _nextConstant;

    internal static Tensor FromDoubles(double[] values, int[] dims, DType dtype, Device device)
    {
        Array data = dtype switch
        {
            DType.Float64 => values,
            DType.Float32 => Array.ConvertAll(values, v => (float)v),
            _ => Array.ConvertAll(values, v => checked((int)v)),
        };
        return Adopted(device.Backend.FromArray(data), dims, device);
    }

    /// <summary>A tensor over freshly allocated storage, registered with the current <see cref="TensorScope"/>.</summary>
    internal static Tensor Adopted(Backends.TensorStorage storage, int[] dims, Device device)
    {
        TensorScope.Adopt(storage);
        return new Tensor(storage, dims, device);
    }
}
