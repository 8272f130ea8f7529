using System.Runtime.CompilerServices;

namespace AutoGrad.Backends;

/// <summary>What a GPU backend assembly offers the core: devices by ordinal, for <see cref="Device.Cuda"/>.</summary>
internal interface IGpuDeviceProvider
{
    /// <summary>The CUDA device with this ordinal; throws <see cref="ArgumentOutOfRangeException"/> naming the devices found.</summary>
    Device Cuda(int ordinal);
}

/// <summary>
/// The hook through which the AutoGrad.Gpu assembly registers its devices with the core, which cannot reference ILGPU.
/// The GPU assembly registers itself when it is loaded (a module initializer); <see cref="Resolve"/> loads it by name
/// when the application ships it but has not touched it yet, so <c>Device.Cuda(0)</c> works with no other GPU call first.
/// </summary>
internal static class GpuProvider
{
    private const string AssemblyName = "AutoGrad.Gpu";
    private const string EntryType = "AutoGrad.Gpu.GpuDevices, AutoGrad.Gpu";

    private static volatile IGpuDeviceProvider? _provider;

    /// <summary>Called by the GPU assembly when it loads; the last registration wins.</summary>
    public static void Register(IGpuDeviceProvider provider) => _provider = provider ?? throw new ArgumentNullException(nameof(provider));

    /// <summary>The registered provider, loading the GPU assembly if it is present; otherwise a clear error naming the package.</summary>
    public static IGpuDeviceProvider Resolve()
    {
        if (_provider is { } p)
        {
            return p;
        }

        var type = Type.GetType(EntryType, throwOnError: false);
        if (type is not null)
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle); // runs the assembly's module initializer, which registers
        }

        return _provider ?? throw new NotSupportedException(
            $"no GPU backend is loaded: Device.Cuda needs the {AssemblyName} package (ILGPU) referenced by the application; " +
            "without it every tensor lives on Device.Cpu");
    }
}
