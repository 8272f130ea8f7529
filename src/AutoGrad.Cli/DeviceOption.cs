using System.CommandLine;
using System.Globalization;
using AutoGrad.Gpu;

namespace AutoGrad.Cli;

/// <summary>
/// <c>--device</c>: where a command's tensors live. <c>cpu</c> (the default), <c>cuda</c> or <c>cuda:N</c> (a CUDA GPU
/// through ILGPU), or <c>ilgpu-cpu</c> (ILGPU's CPU accelerator: the GPU code path on the host, for trying it without a GPU).
/// A device that does not exist is one error line listing the devices found.
/// </summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "cpu, cuda, cuda:N (a CUDA GPU) or ilgpu-cpu (the GPU backend simulated on the host)",
        DefaultValueFactory = _ => "cpu",
    };

    public static Device Parse(string text)
    {
        string name = text.Trim().ToLowerInvariant();
        if (name == "cpu")
        {
            return Device.Cpu;
        }

        if (name == "ilgpu-cpu")
        {
            return GpuDevices.CpuAccelerator();
        }

        if (name == "cuda" || (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name[5..], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            int ordinal = name == "cuda" ? 0 : int.Parse(name[5..], CultureInfo.InvariantCulture);
            try
            {
                return Device.Cuda(ordinal);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or NotSupportedException)
            {
                string reason = e is ArgumentException { ParamName: { } param } ? e.Message.Replace($" (Parameter '{param}')", "", StringComparison.Ordinal) : e.Message;
                throw new CliException($"--device {text}: {reason.Split('\n')[0]}");
            }
        }

        throw new CliException($"--device must be cpu, cuda, cuda:N or ilgpu-cpu, got '{text}'");
    }
}
