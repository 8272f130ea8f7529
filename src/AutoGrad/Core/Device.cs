using AutoGrad.Backends;
using AutoGrad.Backends.Cpu;

namespace AutoGrad;

/// <summary>
/// Where a tensor's storage lives. Every device is served by one backend that implements the kernel
/// interface; ops never look at the device beyond asking it for its backend.
/// </summary>
public sealed class Device : IEquatable<Device>
{
    /// <summary>The host CPU. The default device.</summary>
    public static Device Cpu { get; } = new("cpu", CpuBackend.Instance);

    private readonly IBackend _backend;

    private Device(string name, IBackend backend)
    {
        Name = name;
        _backend = backend;
    }

    /// <summary>
    /// The CUDA GPU with the given ordinal (0 is the first), served by the ILGPU backend of the AutoGrad.Gpu package.
    /// Throws <see cref="NotSupportedException"/> when that package is not referenced, and
    /// <see cref="ArgumentOutOfRangeException"/> naming the devices found when there is no such GPU.
    /// </summary>
    public static Device Cuda(int ordinal = 0) => GpuProvider.Resolve().Cuda(ordinal);

    /// <summary>A device identity over a given backend: other assemblies' backends (AutoGrad.Gpu) and tests' mixed-device errors.</summary>
    internal static Device Create(string name, IBackend backend) => new(name, backend);

    /// <summary>A short name such as <c>cpu</c>.</summary>
    public string Name { get; }

    /// <summary>The device's kernels; while <c>Transforms.Jit</c> traces on this thread, the recorder in front of them.</summary>
    internal IBackend Backend => Backends.Recording.KernelRecorder.Route(_backend);

    /// <inheritdoc/>
    public bool Equals(Device? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Device d && Equals(d);

    /// <inheritdoc/>
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
