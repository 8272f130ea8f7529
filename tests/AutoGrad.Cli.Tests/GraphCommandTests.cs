using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary><c>autograd graph</c>: DOT text, rendering through Graphviz's dot, and what it says when dot is missing.</summary>
public class GraphCommandTests
{
    private const string InstallAdvice = "apt-get install graphviz";

    /// <summary>Graphviz's dot on this machine; null (the check left out) when it is missing outside CI, a failure in CI.</summary>
    private static string? InstalledDot()
    {
        try
        {
            return Graphviz.Find(null, Environment.GetEnvironmentVariable("PATH"), "svg");
        }
        catch (CliException)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "Graphviz's dot is not on PATH; CI must install it (apt-get install graphviz, see .ci/run).");
            return null;
        }
    }

    private static void NoTempFilesLeft(string dir) => Assert.Empty(Directory.GetFiles(dir, ".*"));

    [Fact]
    public void DotFormatWritesTheSeedMlpWithItsLossAtomically()
    {
        var dir = CliRunner.TempDir();
        var file = Path.Combine(dir, "seed.dot");
        var (code, output) = CliRunner.Run("graph", "--layers", "784-512-10", "--activation", "sigmoid", "--output", file);
        Assert.True(code == 0, output);
        Assert.Contains("wrote", output);
        Assert.Contains("cross-entropy loss, batch of 1; 6 forward ops", output);

        var text = File.ReadAllText(file);
        Assert.StartsWith("digraph computation {", text);
        foreach (var label in new[]
        {
            "0.W\\nfloat32[784,512]", "0.b\\nfloat32[512]", "1.W\\nfloat32[512,10]", "1.b\\nfloat32[10]", "x\\nfloat32[1,784]", "labels\\nint32[1]",
            "MatMulAdd\\nfloat32[1,512]", "Sigmoid\\nfloat32[1,512]", "MatMulAdd\\nfloat32[1,10]", "SoftmaxCrossEntropy\\nfloat32[1]", "Div\\nfloat32[]\\noutput",
        })
        {
            Assert.Contains($"[label=\"{label}\"", text);
        }

        Assert.Contains("label=\"Mlp(784-512-10; sigmoid, linear; 407,050 parameters), cross-entropy loss, batch of 1\\n", text);
        NoTempFilesLeft(dir);

        // The same graph on standard output, byte for byte.
        var (stdoutCode, stdout) = CliRunner.Run("graph", "--layers", "784-512-10", "--activation", "sigmoid", "--output", "-");
        Assert.True(stdoutCode == 0, stdout);
        Assert.Equal(text, stdout);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void LossAndBackwardOptionsChangeWhatIsDrawn()
    {
        var (_, network) = CliRunner.Run("graph", "--layers", "4-8-3", "--activation", "tanh", "--loss", "none", "-o", "-");
        Assert.Contains("Tanh\\n", network);
        Assert.DoesNotContain("labels", network);
        Assert.Contains("MatMulAdd\\nfloat32[1,3]\\noutput", network);

        var (_, mse) = CliRunner.Run("graph", "--layers", "4-8-3", "--loss", "mse", "--batch", "5", "--dtype", "float64", "-o", "-");
        Assert.Contains("OneHot\\nfloat64[5,3]", mse);
        Assert.Contains("labels\\nint32[5]", mse);

        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("graph", "--layers", "4-8-3", "--backward", "-o", Path.Combine(dir, "g.dot"));
        Assert.True(code == 0, output);
        Assert.Contains("6 forward ops, 9 backward ops", output);
        var text = File.ReadAllText(Path.Combine(dir, "g.dot"));
        Assert.Contains("SigmoidGrad", text);
        Assert.Contains("grad 0.W\"", text);
        Assert.Contains("forward and backward", text);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void SvgAndPngAreRenderedByGraphvizDot()
    {
        if (InstalledDot() is null)
        {
            return;
        }

        var dir = CliRunner.TempDir();
        var svg = Path.Combine(dir, "seed.svg");
        var (code, output) = CliRunner.Run("graph", "--format", "svg", "--output", svg);
        Assert.True(code == 0, output);
        var text = File.ReadAllText(svg);
        Assert.Contains("<svg", text);
        Assert.Contains("SoftmaxCrossEntropy", text);
        Assert.Contains("0.W", text);

        // The format follows the file's extension when --format is not given.
        var png = Path.Combine(dir, "seed.png");
        var (pngCode, pngOutput) = CliRunner.Run("graph", "--layers", "4-16-3", "--backward", "-o", png);
        Assert.True(pngCode == 0, pngOutput);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        NoTempFilesLeft(dir);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ASavedModelIsDrawnWithItsOwnNetworkAndLoss()
    {
        var dir = CliRunner.TempDir();
        var (trainCode, trainOutput) = CliRunner.Run("train", "--dataset", "xor", "--layers", "2-3-2", "--activation", "tanh", "--loss", "mse",
            "--epochs", "1", "--batch", "4", "--output", dir);
        Assert.True(trainCode == 0, trainOutput);

        var (code, text) = CliRunner.Run("graph", "--model", Path.Combine(dir, "model.safetensors"), "-o", "-");
        Assert.True(code == 0, text);
        Assert.Contains("Mlp(2-3-2; tanh, linear; 17 parameters), mse loss", text);
        Assert.Contains("0.W\\nfloat32[2,3]", text);
        Assert.Contains("Tanh\\nfloat32[1,3]", text);
        Assert.Contains("OneHot", text);

        var (both, message) = CliRunner.Run("graph", "--model", Path.Combine(dir, "model.safetensors"), "--layers", "2-3-2");
        Assert.Equal(1, both);
        Assert.Contains("--model describes its own network", message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void MissingDotSaysHowToInstallGraphvizAndWritesNothing()
    {
        var dir = CliRunner.TempDir();
        var svg = Path.Combine(dir, "g.svg");
        var (code, output) = CliRunner.Run("graph", "--format", "svg", "--dot", Path.Combine(dir, "no-such-dot"), "--output", svg);
        Assert.Equal(1, code);
        Assert.Contains("--format svg needs Graphviz's dot, which is not at", output);
        Assert.Contains(InstallAdvice, output);
        Assert.Contains("use --format dot", output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(svg));
        Assert.Empty(Directory.GetFiles(dir));

        // Found on PATH or not: the lookup the command does, with a PATH of its own.
        var empty = Assert.Throws<CliException>(() => Graphviz.Find(null, "", "png"));
        Assert.Contains("--format png needs Graphviz's dot, which is not on PATH", empty.Message);
        Assert.Contains(InstallAdvice, empty.Message);
        Assert.Throws<CliException>(() => Graphviz.Find("", dir, "png"));
        var fake = Path.Combine(dir, OperatingSystem.IsWindows() ? "dot.exe" : "dot");
        File.WriteAllText(fake, "");
        Assert.Equal(fake, Graphviz.Find(null, $"/nonexistent{Path.PathSeparator}{dir}", "png"));
        Assert.Equal(fake, Graphviz.Find(fake, "", "png"));
        Assert.Equal(fake, Graphviz.Find(Path.GetFileName(fake), dir, "png")); // a bare name, as in AUTOGRAD_DOT=dot
        Assert.Throws<CliException>(() => Graphviz.Find(Path.GetFileName(fake), "", "png"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void DotThatFailsIsReportedInOneLine()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A "dot" that rejects its input, as a broken Graphviz would.
        var dir = CliRunner.TempDir();
        var fake = Path.Combine(dir, "dot");
        File.WriteAllText(fake, "#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 2\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (code, output) = CliRunner.Run("graph", "--layers", "4-3", "--dot", fake, "-o", Path.Combine(dir, "g.png"));
        Assert.Equal(1, code);
        Assert.Contains("failed (exit code 2): Error: syntax error in line 1", output);
        Assert.False(File.Exists(Path.Combine(dir, "g.png")));
        Assert.Single(Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("--format must be dot, svg or png, got 'gif'", "graph", "--format", "gif")]
    [InlineData("--output - writes DOT text only; give a file name for --format svg", "graph", "--format", "svg", "--output", "-")]
    [InlineData("--batch must be positive, got 0", "graph", "--batch", "0", "-o", "-")]
    [InlineData("unknown loss 'hinge'", "graph", "--loss", "hinge", "-o", "-")]
    [InlineData("layer sizes must be positive integers like 784-512-10, got '4-x'", "graph", "--layers", "4-x", "-o", "-")]
    [InlineData("unknown activation 'wiggle'", "graph", "--activation", "wiggle", "-o", "-")]
    [InlineData("--dtype must be float32 or float64, got 'int8'", "graph", "--dtype", "int8", "-o", "-")]
    [InlineData("model file not found", "graph", "--model", "/nonexistent/model.safetensors")]
    [InlineData("need 20,000,200,000 parameters", "graph", "--layers", "100000-200000", "-o", "-")]
    public void BadOptionsGiveOneClearLine(string expected, params string[] args)
    {
        var (code, output) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
