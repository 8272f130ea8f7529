using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using AutoGrad.Backends;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace AutoGrad.Gpu;

/// <summary>
/// The ILGPU accelerators of this machine as AutoGrad devices. One ILGPU context serves the process; each accelerator
/// is opened once, on first use, and keeps its device, backend, kernels and memory pool for the life of the process.
/// Loading this assembly registers it with the core, so <see cref="Device.Cuda"/> works too.
/// </summary>
public static class GpuDevices
{
    private static readonly Lazy<Context> SharedContext = new(CreateContext, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Dictionary<string, Device> Opened = [];

    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Registers the GPU devices with the core, which cannot reference this assembly: the only way Device.Cuda finds them.")]
    [ModuleInitializer]
    internal static void Register() => GpuProvider.Register(new Provider());

    /// <summary>Every accelerator ILGPU finds: CUDA GPUs, OpenCL devices, and the CPU accelerator (always there).</summary>
    public static IReadOnlyList<GpuDeviceInfo> List()
    {
        var list = new List<GpuDeviceInfo>();
        var context = SharedContext.Value;
        var cuda = context.GetCudaDevices();
        for (int i = 0; i < cuda.Count; i++)
        {
            list.Add(new GpuDeviceInfo($"cuda:{i}", "cuda", i, cuda[i].Name, cuda[i].MemorySize));
        }

        var openCl = context.GetCLDevices();
        for (int i = 0; i < openCl.Count; i++)
        {
            list.Add(new GpuDeviceInfo($"opencl:{i}", "opencl", i, openCl[i].Name, openCl[i].MemorySize));
        }

        list.Add(new GpuDeviceInfo("ilgpu-cpu", "cpu", 0, "ILGPU CPU accelerator (simulates a GPU on the host; for tests)", 0));
        return list;
    }

    /// <summary>The CUDA GPU with this ordinal; <see cref="ArgumentOutOfRangeException"/> naming the devices found when there is none.</summary>
    public static Device Cuda(int ordinal = 0)
    {
        int count = SharedContext.Value.GetCudaDevices().Count;
        if (ordinal < 0 || ordinal >= count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(ordinal),
                $"there is no CUDA device cuda:{ordinal}: ILGPU found {count} CUDA device(s); the accelerators here are {Describe()}");
        }

        return Open($"cuda:{ordinal}", () => SharedContext.Value.GetCudaDevices()[ordinal].CreateAccelerator(SharedContext.Value));
    }

    /// <summary>
    /// ILGPU's CPU accelerator as a device: runs the GPU kernels on the host, a simulated warp per thread group. Slow, and
    /// meant for tests: the ILGPU backend's code paths without a GPU.
    /// </summary>
    public static Device CpuAccelerator() => Open("ilgpu-cpu", () => SharedContext.Value.CreateCPUAccelerator(0));

    private static string Describe()
    {
        var found = List();
        return string.Join(", ", found.Select(d => d.Name));
    }

    private static Device Open(string name, Func<Accelerator> create)
    {
        lock (Opened)
        {
            if (!Opened.TryGetValue(name, out var device))
            {
                var accelerator = create();
                if (accelerator.Capabilities is CLCapabilityContext { Float64: false })
                {
                    accelerator.Dispose();
                    throw new NotSupportedException($"{name} has no float64 arithmetic, which the ILGPU backend's kernels use for now");
                }

                Opened[name] = device = Device.Create(name, new GpuBackend(accelerator, name));
            }

            return device;
        }
    }

    /// <summary>The process's ILGPU context: every accelerator kind, with ILGPU.Algorithms' intrinsics.</summary>
    internal static Context SharedIlgpuContext => SharedContext.Value;

    private static Context CreateContext() =>
        Context.Create(builder => builder.Cuda().OpenCL().CPU().EnableAlgorithms());

    private sealed class Provider : IGpuDeviceProvider
    {
        public Device Cuda(int ordinal) => GpuDevices.Cuda(ordinal);
    }
}

/// <summary>One accelerator ILGPU found.</summary>
/// <param name="Name">The device name AutoGrad uses: <c>cuda:0</c>, <c>opencl:1</c>, <c>ilgpu-cpu</c>.</param>
/// <param name="Kind"><c>cuda</c>, <c>opencl</c> or <c>cpu</c> (ILGPU's CPU accelerator).</param>
/// <param name="Ordinal">Its number among the devices of its kind.</param>
/// <param name="Description">What the driver calls it.</param>
/// <param name="MemoryBytes">Its memory in bytes (0 for the CPU accelerator, which uses host memory).</param>
public sealed record GpuDeviceInfo(string Name, string Kind, int Ordinal, string Description, long MemoryBytes);
