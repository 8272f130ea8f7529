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

    /// <summary>A second device identity over a given backend: lets tests exercise mixed-device errors.</summary>
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
