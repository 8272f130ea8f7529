using System.Globalization;
using AutoGrad.Gpu;

namespace AutoGrad.GpuCheck;

/// <summary>
/// <c>AutoGrad.GpuCheck devices | test [--device D] [--filter TEXT] [--parallel] [--verbose] | bench [--device D] [--quick]
/// [--json PATH] [--mnist DIR] [--only NAME,...]</c>. Devices: <c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>cuda:N</c>.
/// Exit code: 0 when everything asked for passed or ran, 1 on a failing test or workload, 2 on a usage error.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return args switch
            {
                ["devices", ..] => ListDevices(),
                ["test", .. var rest] => TestRunner.Run(
                    Option(rest, "--device") ?? Environment.GetEnvironmentVariable(TestRunner.DeviceVariable) ?? "ilgpu-cpu",
                    Option(rest, "--filter"), rest.Contains("--parallel"), rest.Contains("--verbose")),
                ["bench", .. var rest] => GpuBench.Run(
                    Option(rest, "--device") ?? "ilgpu-cpu", rest.Contains("--quick"), Option(rest, "--json"), Option(rest, "--mnist"),
                    Option(rest, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
                _ => Usage(),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or DllNotFoundException)
        {
            // A device that is not there, a driver that does not load: one line, not a crash.
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: AutoGrad.GpuCheck devices | test [--device D] [--filter TEXT] [--parallel] [--verbose]");
        Console.Error.WriteLine("                         | bench [--device D] [--quick] [--json PATH] [--mnist DIR] [--only NAME,...]");
        Console.Error.WriteLine("devices: cpu, ilgpu-cpu (default), cuda, cuda:N");
        return 2;
    }

    private static int ListDevices()
    {
        foreach (var d in GpuDevices.List())
        {
            Console.WriteLine($"{d.Name,-10} {d.Kind,-7} {d.MemoryBytes / (1 << 20),8} MiB  {d.Description}");
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return null;
        }

        return i + 1 < args.Length ? args[i + 1] : throw new UsageException($"{name} needs a value");
    }

    /// <summary>The device a name stands for: <c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    internal static Device OpenDevice(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        return n switch
        {
            "cpu" => Device.Cpu,
            "ilgpu-cpu" => GpuDevices.CpuAccelerator(),
            "cuda" => GpuDevices.Cuda(0),
            _ when n.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(n[5..], NumberStyles.None, CultureInfo.InvariantCulture, out int k) => GpuDevices.Cuda(k),
            _ => throw new UsageException($"unknown device '{name}': expected cpu, ilgpu-cpu, cuda or cuda:N"),
        };
    }
}

/// <summary>A bad command line: the message and exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
