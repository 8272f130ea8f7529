using AutoGrad.Backends.Cpu;

namespace AutoGrad.Tests.Support;

/// <summary>A second device identity over the CPU backend, so that mixed-device errors can be tested without a GPU.</summary>
public static class TestDevices
{
    public static Device Other { get; } = Device.Create("other", CpuBackend.Instance);
}
