using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Moving tensors between devices.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// This tensor on <paramref name="device"/>: a copy there, or this tensor itself when it is already on it (PyTorch's
    /// <c>tensor.to(device)</c>, JAX's <c>device_put</c>). Differentiable: gradients flow back to this tensor's device.
    /// </summary>
    public Tensor To(Device device, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        ToDevicePrimitive.Apply(this, device, new CallSite(file, line));
}
