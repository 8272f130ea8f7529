using System.Diagnostics;
using AutoGrad.Nn.Serialization;
using Xunit;

namespace AutoGrad.Nn.Tests.Data;

/// <summary>
/// safetensors files move between AutoGrad and PyTorch both ways: tools/safetensors_torch.py reads the library's file
/// into torch tensors and writes one from torch, which the library's strict loader reads. Runs where a python3 with
/// torch exists; in CI (CI=true) its absence is a failure, since .ci/run installs Debian's python3-torch.
/// </summary>
public class TorchInteropTests
{
    [Fact]
    public void FilesWrittenHereLoadInPyTorchAndFilesWrittenByPyTorchLoadHere()
    {
        var python = PythonWithTorch();
        if (python is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "no python3 with torch; CI must install it (apt-get install python3-torch, see .ci/run)");
            return;
        }

        var dir = Directory.CreateTempSubdirectory("autograd-torch-").FullName;
        try
        {
            var tree = new TensorTree
            {
                { "layer", new TensorTree { { "W", Tensor.FromArray(new[] { 1f, -2, 3.5f, 0.25f, 5, 6 }, [2, 3]) } } },
                { "b", Tensor.FromArray(new[] { 0.1, 0.2, 0.3 }) },
                { "labels", Tensor.FromArray(new[] { 0, 1, 2, 1 }) },
            };
            var mine = Path.Combine(dir, "autograd.safetensors");
            var theirs = Path.Combine(dir, "torch.safetensors");
            SafeTensors.Save(mine, tree);

            var output = Run(python, Path.Combine(Docs.DocPrograms.RepoRoot(), "tools", "safetensors_torch.py"), "roundtrip", mine, theirs);
            Assert.Contains("b F64 [3] sum 0.600000", output);
            Assert.Contains("labels I32 [4] sum 4.000000", output);
            Assert.Contains("layer.W F32 [2, 3] sum 13.750000", output);
            Assert.Contains("wrote 4 tensors", output);

            var (back, metadata) = SafeTensors.Load(theirs);
            Assert.Equal("pt", metadata["format"]);
            Assert.Equal([2f, -4, 7, 0.5f, 10, 12], back["layer.W"].ToArray<float>());
            Assert.Equal(DType.Float64, back["b"].DType);
            Assert.Equal([0.2, 0.4, 0.6], back["b"].ToDoubleArray());
            Assert.Equal([1, 2, 3, 2], back["labels"].ToInt32Array());
            Assert.Equal(new Shape(2, 3), back["from_torch"].Shape);
            Assert.Equal([0f, 1, 2, 3, 4, 5], back["from_torch"].ToArray<float>());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string? PythonWithTorch()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                Run(candidate, "-c", "import torch");
                return candidate;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
            }
        }

        return null;
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish in 120 s");
        }

        return process.ExitCode == 0 ? stdout.Result
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
    }
}
