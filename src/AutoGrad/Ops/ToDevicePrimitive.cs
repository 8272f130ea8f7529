using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>
/// Copies a tensor to another device (through the host: the kernel interface reads a buffer back and writes one).
/// Differentiable as the identity it is: the cotangent goes back to the input's device, the tangent to the target.
/// </summary>
internal sealed class ToDevicePrimitive(Device target, bool floating, CallSite site) : Primitive
{
    public override string Name => "ToDevice";

    public override bool Differentiable => floating;

    public static Tensor Apply(Tensor x, Device target, CallSite site)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (target is null)
        {
            throw site.Error("ToDevice", $"the target device is null for {OpCheck.Describe(x)}");
        }

        return x.Device.Equals(target) ? x : Dispatch.Apply(new ToDevicePrimitive(target, x.DType.IsFloating(), site), site, x);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        if (Backends.Recording.KernelRecorder.IsRecording)
        {
            // A recording replays one device's kernels; a transfer is a host round trip between two of them.
            throw new JitTraceException(
                $"Jit: ToDevice at {site.Resolve()} moves a {x.DType.Name()}{x.Shape} tensor from {x.Device} to {target} inside a compiled function; " +
                "a compiled function runs on one device. Move its inputs (x.To(device), tree.To(device)) before calling it.");
        }

        var host = x.Backend.ToArray(x.Storage!);
        return Tensor.Adopted(target.Backend.FromArray(host), (int[])x.Dims.Clone(), target);
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) => [g.To(inputs[0].Device)];

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) => tangents[0]!.To(target);
}
