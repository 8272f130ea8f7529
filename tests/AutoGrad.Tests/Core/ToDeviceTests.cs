using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Core;

/// <summary>Tensor.To(device) and TensorTree.To(device): copies that gradients flow back through, to the input's device.</summary>
public class ToDeviceTests
{
    [Fact]
    public void ACopyOnAnotherDeviceHoldsTheSameValuesAndTheSameTensorIsReturnedOnItsOwnDevice()
    {
        var x = Tensor.FromArray(new[] { 1.5f, -2f, float.NaN }, [3]);
        var there = x.To(TestDevices.Other);
        Assert.Equal(TestDevices.Other, there.Device);
        Assert.Equal(x.ToFloatArray(), there.ToFloatArray());
        Assert.Same(x, x.To(Device.Cpu));
        Assert.Equal(DType.Int32, Tensor.FromArray(new[] { 3, 4 }).To(TestDevices.Other).DType);
    }

    [Fact]
    public void GradientsFlowBackToTheInputsDevice()
    {
        var x = Tensor.FromArray(new[] { 1.0, -2.0, 3.0 });
        var g = Grad((Tensor t) => (t.To(TestDevices.Other) * t.To(TestDevices.Other)).Sum().To(Device.Cpu))(x);
        Assert.Equal(Device.Cpu, g.Device);
        Assert.Equal([2.0, -4.0, 6.0], g.ToDoubleArray());
        var (_, tangent) = Jvp((Tensor t) => t.To(TestDevices.Other).Exp().To(Device.Cpu), x, Tensor.OnesLike(x));
        Assert.Equal(x.ToDoubleArray().Select(Math.Exp), tangent.ToDoubleArray());
    }

    [Fact]
    public void ATreeMovesEveryLeafAndKeepsItsStructure()
    {
        var tree = new TensorTree { { "0", new TensorTree { { "W", Tensor.Ones([2, 3]) }, { "b", Tensor.Zeros([3]) } } }, { "step", Tensor.FromArray(new[] { 4 }) } };
        var moved = tree.To(TestDevices.Other);
        Assert.True(moved.HasSameStructure(tree));
        Assert.All(moved.Leaves(), l => Assert.Equal(TestDevices.Other, l.Value.Device));
        Assert.Equal(tree["0.W"].ToFloatArray(), moved["0.W"].ToFloatArray());
    }

    [Fact]
    public void MixingDevicesAfterAMoveNamesBothAndTheLine()
    {
        var x = Tensor.Ones([2]);
        var e = Assert.Throws<TensorOpException>(() => x.To(TestDevices.Other).Add(x));
        Assert.Contains("other", e.Message);
        Assert.Contains("cpu", e.Message);
        Assert.Contains(nameof(ToDeviceTests), e.Message);
    }

    [Fact]
    public void AMoveInsideACompiledFunctionIsRefusedNamingTheLine()
    {
        var f = Jit(t => new TensorTree { { "y", t["x"].To(TestDevices.Other).To(Device.Cpu) } });
        var e = Assert.Throws<JitTraceException>(() => f(new TensorTree { { "x", Tensor.Ones([2]) } }));
        Assert.Contains("ToDevice at ToDeviceTests.cs:", e.Message);
        Assert.Contains("a compiled function runs on one device", e.Message);
    }
}
