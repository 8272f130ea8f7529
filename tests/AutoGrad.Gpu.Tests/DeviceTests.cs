using AutoGrad.Backends;
using static AutoGrad.Gpu.Tests.Backends;

namespace AutoGrad.Gpu.Tests;

/// <summary>Devices, the public Tensor API on the ILGPU backend, device mixing, and the memory pool.</summary>
public sealed class DeviceTests
{
    [Fact]
    public void List_AlwaysHasTheCpuAccelerator_AndTheDeviceUnderTest()
    {
        var devices = GpuDevices.List();
        Assert.Contains(devices, d => d.Name == "ilgpu-cpu" && d.Kind == "cpu");
        Assert.Same(GpuDevices.CpuAccelerator(), GpuDevices.CpuAccelerator());
        Assert.Equal("ilgpu-cpu", GpuDevices.CpuAccelerator().Name);
        Assert.Contains(devices, d => d.Name == GpuDevice.Name);
        Assert.Same(GpuDevice, Open(GpuDevice.Name));
    }

    [Fact]
    public void DeviceCuda_WithoutACudaDevice_SaysWhichDevicesThereAre()
    {
        if (GpuDevices.List().Any(d => d.Kind == "cuda"))
        {
            return; // a machine with a GPU: Device.Cuda(0) is a real device there
        }

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Device.Cuda(0));
        Assert.Contains("no CUDA device cuda:0", e.Message);
        Assert.Contains("ilgpu-cpu", e.Message);
    }

    [Fact]
    public void DeviceCuda_OnAMachineWithAGpu_IsTheSameDeviceEachTime()
    {
        var cuda = GpuDevices.List().Where(d => d.Kind == "cuda").ToList();
        if (cuda.Count == 0)
        {
            return; // no GPU here: the test above covers Device.Cuda
        }

        Assert.Same(Device.Cuda(0), GpuDevices.Cuda(0));
        Assert.Equal("cuda:0", Device.Cuda(0).Name);
        Assert.All(cuda, d => Assert.True(d.MemoryBytes > 0, $"{d.Name} reports no memory"));
    }

    [Fact]
    public void ExpPlusBroadcastThenSum_OnTheDevice_EqualsTheCpuResult()
    {
        var xs = Values(5 * 7, seed: 21).Select(v => (float)v).ToArray();
        var ys = Values(7, seed: 22).Select(v => (float)v).ToArray();
        static Tensor F(Tensor x, Tensor y) => (x.Exp() + y).Sum(1);

        var cpu = F(Tensor.FromArray(xs, [5, 7]), Tensor.FromArray(ys, [7]));
        var gpu = F(Tensor.FromArray(xs, [5, 7], GpuDevice), Tensor.FromArray(ys, [7], GpuDevice));

        Assert.Equal(GpuDevice, gpu.Device);
        Assert.Equal(cpu.Dims, gpu.Dims);
        Close(cpu.ToArray<float>(), gpu.ToArray<float>(), 1e-6, "(x.Exp() + y).Sum(1)");
        Assert.Contains(GpuDevice.Name, gpu.ToString());
    }

    [Fact]
    public void ElementwiseChainInFloat64_OnTheDevice_EqualsTheCpuResultBitwise()
    {
        var xs = Values(3 * 4, seed: 23);
        static Tensor F(Tensor x) => ((x * x) - x.Relu()).Max(0) / 3.0;

        var cpu = F(Tensor.FromArray(xs, [3, 4]));
        var gpu = F(Tensor.FromArray(xs, [3, 4], GpuDevice));
        Bitwise(cpu.ToArray<double>(), gpu.ToArray<double>(), "((x·x) − relu x).Max(0) / 3");
    }

    [Fact]
    public void MixingDevicesInOneOp_NamesBothDevicesAndTheCallersLine()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f });
        var b = Tensor.FromArray(new[] { 3f, 4f }, device: GpuDevice);
        var e = Assert.Throws<TensorOpException>(() => Tensor.Where(a, a, b));
        Assert.Contains("cpu", e.Message);
        Assert.Contains(GpuDevice.Name, e.Message);
        Assert.Contains(nameof(DeviceTests), e.Message);
    }

    [Fact]
    public void ALayersLossAndGradient_RunOnTheDevice_AndMatchTheCpu()
    {
        // matmul, relu, softmax cross-entropy, mean and their backward rules (transposed products, the activation's
        // gradient, the cross-entropy gradient) all on the device.
        var xs = Backends.Values(5 * 7, seed: 51).Select(v => (float)v).ToArray();
        var ws = Backends.Values(7 * 3, seed: 52).Select(v => (float)(v / 3)).ToArray();
        int[] ls = [0, 2, 1, 1, 0];
        (float Loss, float[] Grad) Run(Device device)
        {
            var x = Tensor.FromArray(xs, [5, 7], device);
            var labels = Tensor.FromArray(ls, [5], device);
            Tensor Loss(Tensor w) => x.MatMul(w).Relu().SoftmaxCrossEntropy(labels).Mean();
            var w = Tensor.FromArray(ws, [7, 3], device);
            return ((float)Loss(w).Item(), Transforms.Grad(Loss)(w).ToArray<float>());
        }

        var cpu = Run(Device.Cpu);
        var gpu = Run(GpuDevice);
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-5f);
        Backends.Close(cpu.Grad, gpu.Grad, 1e-5, "gradient");
    }

    [Fact]
    public void ReleasedBuffers_AreReusedForTheSameSizeClass()
    {
        var pool = Ilgpu.Pool;
        var first = Ilgpu.Allocate(DType.Float32, 1000);
        var buffer = ((GpuStorage<float>)first).Buffer;
        first.Release();
        Assert.True(first.IsReleased);
        Assert.Throws<ObjectDisposedException>(() => Ilgpu.ToArray(first));

        long reuses = pool.Reuses;
        var second = Ilgpu.Allocate(DType.Float32, 1020); // same class (1024)
        Assert.Equal(reuses + 1, pool.Reuses);
        Assert.Same(buffer, ((GpuStorage<float>)second).Buffer);
        Assert.All((float[])Ilgpu.ToArray(second), v => Assert.Equal(0f, v)); // cleared on request
        second.Release();
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(64, 64)]
    [InlineData(65, 80)]
    [InlineData(1000, 1024)]
    [InlineData(1025, 1280)]
    [InlineData(1100, 1280)]
    public void SizeClass_RoundsUpToAQuarterStep(long length, long expected) =>
        Assert.Equal(expected, GpuMemoryPool.SizeClass(length));

    [Fact]
    public void TensorScope_ReturnsDeviceBuffersToThePool()
    {
        long held = Ilgpu.Pool.HeldBytes;
        using (TensorScope.Begin())
        {
            _ = Tensor.Zeros([300], DType.Float64, GpuDevice) + 1.0;
        }

        Assert.True(Ilgpu.Pool.HeldBytes > held, "the scope's buffers went back to the pool");
    }
}
