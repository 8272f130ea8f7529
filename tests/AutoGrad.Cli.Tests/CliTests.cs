using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary>The autograd command line, end to end on the offline datasets.</summary>
public class CliTests
{
    private static void NoStackTrace(string output) => Assert.DoesNotContain("   at ", output);

    [Fact]
    public void TrainOnIrisReportsTestMetricsAndWritesModelHistoryAndPlots()
    {
        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--layers", "4-16-3", "--activation", "relu", "--optimizer", "adam", "--lr", "0.01",
            "--batch", "16", "--epochs", "60", "--seed", "1", "--output", dir);
        Assert.True(code == 0, output);
        Assert.Contains("test accuracy", output);
        Assert.Contains("confusion matrix", output);
        foreach (var file in new[] { "model.safetensors", "history.csv", "loss.png", "accuracy.png" })
        {
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing; output:\n{output}");
        }

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(dir, "loss.png"))[..4]);
        Assert.Equal(61, File.ReadAllLines(Path.Combine(dir, "history.csv")).Length);

        var (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", Path.Combine(dir, "model.safetensors"), "--seed", "1");
        Assert.True(evalCode == 0, evalOutput);
        Assert.Contains("accuracy", evalOutput);

        var (predictCode, predictOutput) = CliRunner.Run("predict", "--model", Path.Combine(dir, "model.safetensors"), "--input", "5.1,3.5,1.4,0.2", "--input", "6.7,3.0,5.2,2.3");
        Assert.True(predictCode == 0, predictOutput);
        Assert.Contains("setosa", predictOutput);
        Assert.Contains("virginica", predictOutput);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void HelpsUsageLinesNameTheCommandAutograd()
    {
        var (code, output) = CliRunner.Run("--help");
        Assert.True(code == 0, output);
        Assert.Contains("autograd [command] [options]", output);

        (code, output) = CliRunner.Run("train", "--help");
        Assert.True(code == 0, output);
        Assert.Contains("autograd train [options]", output);
        Assert.DoesNotContain("AutoGrad.Cli", output);
        Assert.DoesNotContain("testhost", output);
    }

    [Fact]
    public void SameSeedTrainsTheSameModel()
    {
        string Train(string dir)
        {
            var (code, output) = CliRunner.Run("train", "--dataset", "xor", "--layers", "2-3-2", "--activation", "tanh", "--lr", "0.5", "--batch", "4", "--epochs", "50", "--seed", "3", "--output", dir);
            Assert.True(code == 0, output);
            return File.ReadAllText(Path.Combine(dir, "history.csv")).Split('\n').Select(l => string.Join(",", l.Split(',').SkipLast(1))).Aggregate((a, b) => a + "\n" + b);
        }

        var (a, b) = (CliRunner.TempDir(), CliRunner.TempDir());
        Assert.Equal(Train(a), Train(b));
    }

    [Theory]
    [InlineData("unknown dataset 'digits'", "train", "--dataset", "digits")]
    [InlineData("layer sizes 5-3-3 start with 5 inputs, but iris-train has 4 features", "train", "--dataset", "iris", "--layers", "5-3-3")]
    [InlineData("end with 4 outputs, but iris-train has 3 classes", "train", "--dataset", "iris", "--layers", "4-8-4")]
    [InlineData("layer sizes must be positive integers like 784-512-10, got '4-x-3'", "train", "--dataset", "iris", "--layers", "4-x-3")]
    [InlineData("--lr must be a positive number, got NaN", "train", "--dataset", "iris", "--lr", "NaN")]
    [InlineData("unknown activation 'wiggle'", "train", "--dataset", "iris", "--activation", "wiggle")]
    [InlineData("unknown optimizer 'sgdd'", "train", "--dataset", "iris", "--optimizer", "sgdd")]
    [InlineData("--dataset csv needs --csv <file>", "train", "--dataset", "csv")]
    [InlineData("CSV file not found", "train", "--dataset", "csv", "--csv", "/nonexistent/data.csv")]
    [InlineData("--data-dir /nonexistent-mnist does not exist", "train", "--dataset", "mnist", "--data-dir", "/nonexistent-mnist")]
    [InlineData("model file not found", "evaluate", "--model", "/nonexistent/model.safetensors")]
    [InlineData("Cannot parse argument 'abc' for option '--epochs'", "train", "--epochs", "abc")]
    [InlineData("--batch and --epochs must be positive, got 0 and 200", "train", "--dataset", "iris", "--batch", "0")]
    [InlineData("--patience needs a --validation-split to watch", "train", "--dataset", "iris", "--patience", "3")]
    [InlineData("--activation step has no gradient", "train", "--dataset", "iris", "--activation", "step")]
    [InlineData("--target-loss must be a positive number, got NaN", "train", "--dataset", "iris", "--target-loss", "NaN")]
    [InlineData("Unrecognized command or argument '--bogus'", "train", "--bogus")]
    [InlineData("Option '--model' is required", "evaluate")]
    public void BadInputGivesOneClearLineAndANonZeroExitCode(string expected, params string[] args)
    {
        var (code, output) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
        NoStackTrace(output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void EvaluateUsesTheSeedAndLossTheModelWasTrainedWith()
    {
        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--layers", "4-8-3", "--activation", "relu", "--optimizer", "adam", "--lr", "0.01",
            "--batch", "16", "--epochs", "30", "--seed", "7", "--output", dir);
        Assert.True(code == 0, output);
        string TestAccuracy(string text) => text.Split('\n').First(l => l.Contains("accuracy", StringComparison.Ordinal) && !l.Contains("training", StringComparison.Ordinal)).Split('│', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
        var (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", Path.Combine(dir, "model.safetensors"));
        Assert.True(evalCode == 0, evalOutput);
        Assert.Equal(TestAccuracy(output), TestAccuracy(evalOutput));
    }

    [Fact]
    public void TwoLayerSizesGiveALinearOutputLayer()
    {
        var spec = new ModelSpec([3, 1], "sigmoid", "xavier-uniform");
        Assert.Equal(["linear"], spec.Build().Activations.Select(a => a.Name));
        Assert.Equal(["sigmoid", "linear"], new ModelSpec([3, 4, 1], "sigmoid", "xavier-uniform").Build().Activations.Select(a => a.Name));
    }

    [Fact]
    public void LossNamesAreCaseInsensitive()
    {
        var outputs = Tensor.FromArray(new double[,] { { 0.2, 0.9 } });
        var labels = Tensor.FromArray(new[] { 1 });
        Assert.Equal(LossChoice.Parse("mse", true)(outputs, labels).Item(), LossChoice.Parse("MSE", true)(outputs, labels).Item());
    }

    [Fact]
    public void ACorruptModelFileIsOneClearLine()
    {
        var path = Path.Combine(CliRunner.TempDir(), "model.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var (code, output) = CliRunner.Run("evaluate", "--model", path);
        Assert.Equal(1, code);
        Assert.Contains("too short for a safetensors file", output);
        NoStackTrace(output);
    }

    [Fact]
    public void GradcheckOnIrisPassesAndPrintsPerParameterErrors()
    {
        var (code, output) = CliRunner.Run("gradcheck", "--dataset", "iris", "--layers", "4-5-3", "--samples", "6");
        Assert.True(code == 0, output);
        Assert.Contains("0.W", output);
        Assert.Contains("1.b", output);
        Assert.Contains("gradients agree with central differences", output);
    }

    [Fact]
    public void DataVerifyLoadsIris()
    {
        var (code, output) = CliRunner.Run("data", "verify", "--dataset", "iris");
        Assert.True(code == 0, output);
        Assert.Contains("120", output);
        Assert.Contains("30", output);
    }

    [Fact]
    public void PredictRejectsRowsOfTheWrongWidth()
    {
        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("train", "--dataset", "and", "--layers", "2-2-2", "--epochs", "2", "--output", dir);
        Assert.True(code == 0, output);
        var (predictCode, predictOutput) = CliRunner.Run("predict", "--model", Path.Combine(dir, "model.safetensors"), "--input", "1,2,3");
        Assert.Equal(1, predictCode);
        Assert.Contains("row 1 has 3 features; the model takes 2", predictOutput);
    }
}
