using AutoGrad.Backends;
using AutoGrad.Backends.Cpu;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// The two backends under comparison: the CPU backend (the reference) and the ILGPU backend on the device under test,
/// ILGPU's CPU accelerator unless <c>AUTOGRAD_GPU_TEST_DEVICE</c> names another (<c>cuda</c>, <c>cuda:N</c>): the same
/// tests then run on a real GPU (benchmarks/gpu/run.sh does so through AutoGrad.GpuCheck).
/// </summary>
internal static class Backends
{
    /// <summary>The environment variable that selects the device under test.</summary>
    public const string DeviceVariable = "AUTOGRAD_GPU_TEST_DEVICE";

    private static readonly Lazy<Device> Selected = new(() => Open(Environment.GetEnvironmentVariable(DeviceVariable)));

    /// <summary>The device under test: <c>ilgpu-cpu</c> by default.</summary>
    public static Device GpuDevice => Selected.Value;

    /// <summary>True when the device under test is ILGPU's CPU accelerator.</summary>
    public static bool OnCpuAccelerator => GpuDevice.Name == "ilgpu-cpu";

    /// <summary>The device a name such as <c>ilgpu-cpu</c>, <c>cuda</c> or <c>cuda:1</c> stands for (empty: <c>ilgpu-cpu</c>).</summary>
    public static Device Open(string? name)
    {
        string n = string.IsNullOrWhiteSpace(name) ? "ilgpu-cpu" : name.Trim().ToLowerInvariant();
        if (n == "ilgpu-cpu")
        {
            return GpuDevices.CpuAccelerator();
        }

        if (n == "cuda")
        {
            return GpuDevices.Cuda(0);
        }

        if (n.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(n[5..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ordinal))
        {
            return GpuDevices.Cuda(ordinal);
        }

        throw new ArgumentException($"{DeviceVariable}={name}: expected ilgpu-cpu, cuda or cuda:N");
    }

    public static IBackend Cpu => CpuBackend.Instance;

    public static GpuBackend Ilgpu => (GpuBackend)GpuDevice.Backend;

    /// <summary>Runs <paramref name="kernel"/> on both backends over copies of the same inputs and returns both outputs as host arrays.</summary>
    public static (Array Cpu, Array Gpu) Both(Func<IBackend, Array> kernel) => (kernel(Cpu), kernel(Ilgpu));

    /// <summary>Small values with both signs, zeros and fractions; deterministic.</summary>
    public static double[] Values(int n, int seed = 7, double scale = 3.0)
    {
        var random = new Random(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = i % 11 == 3 ? 0.0 : Math.Round((random.NextDouble() * 2 - 1) * scale, 3);
        }

        return v;
    }

    public static Array Of(DType dtype, double[] values) => dtype switch
    {
        DType.Float32 => values.Select(v => (float)v).ToArray(),
        DType.Float64 => values.ToArray(),
        _ => values.Select(v => (int)Math.Round(v * 10)).ToArray(),
    };

    /// <summary>Same elements bit for bit (NaNs with the same payload too).</summary>
    public static void Bitwise(Array expected, Array actual, string what)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            long e = Bits(expected.GetValue(i)!), a = Bits(actual.GetValue(i)!);
            Assert.True(e == a, $"{what}: element {i} is {actual.GetValue(i)} on the ILGPU backend, {expected.GetValue(i)} on the CPU");
        }
    }

    /// <summary>Within <paramref name="relative"/> of the larger magnitude (or <paramref name="relative"/> absolutely near zero); NaN where NaN.</summary>
    public static void Close(Array expected, Array actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Convert.ToDouble(expected.GetValue(i)), a = Convert.ToDouble(actual.GetValue(i));
            if (double.IsNaN(e) || double.IsInfinity(e))
            {
                Assert.True(e.Equals(a), $"{what}: element {i} is {a} on the ILGPU backend, {e} on the CPU");
                continue;
            }

            double tol = relative * Math.Max(1.0, Math.Max(Math.Abs(e), Math.Abs(a)));
            Assert.True(Math.Abs(e - a) <= tol, $"{what}: element {i} is {a:R} on the ILGPU backend, {e:R} on the CPU (tolerance {tol:E2})");
        }
    }

    private static long Bits(object v) => v switch
    {
        float f => BitConverter.SingleToInt32Bits(f),
        double d => BitConverter.DoubleToInt64Bits(d),
        int i => i,
        _ => throw new ArgumentException(v.GetType().Name),
    };
}
