using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary><c>--device</c>: a device that is not there is one clear line, before any data is read or epoch run.</summary>
public class DeviceOptionTests
{
    [Theory]
    [InlineData("train", "--device cuda:7: ")]
    [InlineData("evaluate", "--device cuda:7: ")]
    [InlineData("predict", "--device cuda:7: ")]
    public void AMissingGpuIsOneClearLine(string command, string expected)
    {
        string[] args = command switch
        {
            "train" => ["train", "--dataset", "xor", "--device", "cuda:7", "--output", CliRunner.TempDir()],
            "evaluate" => ["evaluate", "--model", "/nonexistent/model.safetensors", "--device", "cuda:7"],
            _ => ["predict", "--model", "/nonexistent/model.safetensors", "--input", "1,2", "--device", "cuda:7"],
        };
        var (code, output) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("epoch", output);
        Assert.DoesNotContain("   at ", output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownDeviceNameSaysWhatIsAccepted()
    {
        var (code, output) = CliRunner.Run("train", "--dataset", "xor", "--device", "tpu");
        Assert.Equal(1, code);
        Assert.Contains("--device must be cpu, cuda, cuda:N or ilgpu-cpu, got 'tpu'", output);
    }

    [Fact]
    public void TrainEvaluateAndPredictRunOnTheGpuBackendAsOnTheCpu()
    {
        string Train(string device)
        {
            var dir = CliRunner.TempDir();
            var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--layers", "4-8-3", "--activation", "relu", "--optimizer", "adam", "--lr", "0.02",
                "--epochs", "8", "--batch", "16", "--device", device, "--output", dir);
            Assert.True(code == 0, output);
            return dir;
        }

        var (cpuDir, gpuDir) = (Train("cpu"), Train("ilgpu-cpu"));
        var (_, cpuEval) = CliRunner.Run("evaluate", "--model", Path.Combine(cpuDir, "model.safetensors"));
        var (code, gpuEval) = CliRunner.Run("evaluate", "--model", Path.Combine(gpuDir, "model.safetensors"), "--device", "ilgpu-cpu");
        Assert.True(code == 0, gpuEval);
        string Accuracy(string text) => text.Split('\n').First(l => l.Contains("│ accuracy", StringComparison.Ordinal)).Split('│', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
        Assert.Equal(Accuracy(cpuEval), Accuracy(gpuEval));
        (code, var predicted) = CliRunner.Run("predict", "--model", Path.Combine(gpuDir, "model.safetensors"), "--input", "5.1,3.5,1.4,0.2", "--device", "ilgpu-cpu");
        Assert.True(code == 0, predicted);
        Assert.Contains("setosa", predicted);
        double Loss(string dir) => double.Parse(File.ReadAllLines(Path.Combine(dir, "history.csv"))[^1].Split(',')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Loss(cpuDir), Loss(gpuDir), 5);
    }

    [Fact]
    public void CpuIsTheDefaultAndCanBeNamed()
    {
        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("train", "--dataset", "xor", "--epochs", "2", "--device", "CPU", "--output", dir);
        Assert.True(code == 0, output);
    }
}
