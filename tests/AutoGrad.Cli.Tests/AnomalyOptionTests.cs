using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary><c>--detect-anomaly</c>: the first op that produces a NaN or an infinity stops the command with one line naming it.</summary>
public class AnomalyOptionTests
{
    private static string[] ErrorLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).ToArray();

    [Fact]
    public void TrainWithAHugeLearningRate_StopsAtTheOpThatOverflowed()
    {
        var dir = CliRunner.TempDir();
        string[] args = ["train", "--dataset", "iris", "--layers", "4-16-3", "--activation", "relu", "--lr", "1e30", "--epochs", "2", "--output", dir];

        var (code, output) = CliRunner.Run([.. args, "--detect-anomaly"]);

        Assert.Equal(1, code);
        var line = Assert.Single(ErrorLines(output));
        // The second step's output layer overflows: named with the op, the phase, the line that applied the model and the shapes.
        Assert.Matches(@"^error: MatMulAdd forward at \w+\.cs:\d+: produced -Inf at element \d+ of its float32\[\d+,3\] result, from inputs float32\[\d+,16\], float32\[16,3\], float32\[3\] \(all finite\)$", line.Trim());
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.DoesNotContain("at AutoGrad.", output); // no stack trace

        // Without the flag the same run goes on past that op.
        var (_, plain) = CliRunner.Run([.. args, "--output", CliRunner.TempDir()]);
        Assert.DoesNotContain("MatMulAdd forward", plain);
    }

    [Fact]
    public void EvaluateAndPredict_TakeTheFlag_AndPredictNamesTheOpThatMadeANaN()
    {
        var dir = CliRunner.TempDir();
        var (trainCode, trainOutput) = CliRunner.Run("train", "--dataset", "iris", "--layers", "4-8-3", "--activation", "relu", "--optimizer", "adam",
            "--lr", "0.01", "--batch", "16", "--epochs", "3", "--output", dir, "--detect-anomaly");
        Assert.True(trainCode == 0, trainOutput);
        var model = Path.Combine(dir, "model.safetensors");

        var (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", model, "--detect-anomaly");
        Assert.True(evalCode == 0, evalOutput);
        var (predictCode, predictOutput) = CliRunner.Run("predict", "--model", model, "--input", "5.1,3.5,1.4,0.2", "--detect-anomaly");
        Assert.True(predictCode == 0, predictOutput);

        // Standardized, 3e38 is +Inf before any op runs; the first layer turns ∞ − ∞ into a NaN.
        var (code, output) = CliRunner.Run("predict", "--model", model, "--input", "3e38,3e38,3e38,3e38", "--detect-anomaly");
        Assert.Equal(1, code);
        Assert.Matches(@"^error: MatMulAdd forward at \w+\.cs:\d+: produced NaN at element \d+ of its float32\[1,8\] result, from inputs float32\[1,4\], float32\[4,8\], float32\[8\] \(no NaN among them\)$",
            Assert.Single(ErrorLines(output)).Trim());
    }
}
