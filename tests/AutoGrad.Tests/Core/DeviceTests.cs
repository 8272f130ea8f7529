using Xunit;

namespace AutoGrad.Tests.Core;

public sealed class DeviceTests
{
    [Fact]
    public void Cuda_WithoutTheGpuPackage_NamesThePackageToReference()
    {
        // This test assembly does not reference AutoGrad.Gpu, so no GPU backend can register.
        var e = Assert.Throws<NotSupportedException>(() => Device.Cuda(0));
        Assert.Contains("AutoGrad.Gpu", e.Message);
        Assert.Contains("Device.Cpu", e.Message);
    }
}
