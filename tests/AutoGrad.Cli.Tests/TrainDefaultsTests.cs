using System.Globalization;
using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary>Each built-in dataset trains to a good model with no option but --dataset, and --help says what the defaults are (issue 19).</summary>
public class TrainDefaultsTests
{
    /// <summary>A percentage row of the metrics table, e.g. "last epoch's training accuracy │ 98.33 %".</summary>
    private static double Percent(string output, string metric)
    {
        var row = output.Split('\n').First(l => l.Contains(metric, StringComparison.Ordinal));
        var cell = row.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1];
        return double.Parse(cell.TrimEnd('%', ' '), CultureInfo.InvariantCulture);
    }

    [Fact]
    public void IrisWithNoOtherOptionReachesNinetyFivePercent()
    {
        // Exactly the command a user types: its outputs go to runs/iris under the working directory, removed afterwards.
        string runs = Path.GetFullPath("runs");
        bool runsExisted = Directory.Exists(runs), existed = Directory.Exists(Path.Combine(runs, "iris"));
        try
        {
            var (code, output) = CliRunner.Run("train", "--dataset", "iris");
            Assert.True(code == 0, output);
            Assert.Contains("sgd, lr 0.1, batch 16, 200 epoch(s), seed 0", output);
            double accuracy = Percent(output, "last epoch's training accuracy");
            Assert.True(accuracy >= 95, $"training accuracy {accuracy} %\n{output}");
            Assert.True(Percent(output, "test accuracy") >= 90, output);
        }
        finally
        {
            if (!existed && Directory.Exists(Path.Combine(runs, "iris")))
            {
                Directory.Delete(Path.Combine(runs, "iris"), recursive: true);
            }

            if (!runsExisted && Directory.Exists(runs) && !Directory.EnumerateFileSystemEntries(runs).Any())
            {
                Directory.Delete(runs);
            }
        }
    }

    [Theory]
    [InlineData("xor")]
    [InlineData("and")]
    [InlineData("or")]
    public void TheTruthTablesWithNoTrainingOptionAreLearnedExactly(string dataset)
    {
        var (code, output) = CliRunner.Run("train", "--dataset", dataset, "--output", CliRunner.TempDir());
        Assert.True(code == 0, output);
        Assert.Contains("sgd, lr 2, batch 4, 1000 epoch(s)", output);
        Assert.Equal(100, Percent(output, "last epoch's training accuracy"));
    }

    [Fact]
    public void MnistKeepsItsDefaultsAndCsvTakesThem()
    {
        Assert.Equal(new TrainDefaults(5, 64, 0.1, 1), TrainDefaults.For("mnist"));
        Assert.Equal(new TrainDefaults(5, 64, 0.1, 1), TrainDefaults.For("CSV"));
    }

    [Fact]
    public void HelpShowsEachDatasetsDefaults()
    {
        var (code, output) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        string text = string.Join(" ", output.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)); // unwrapped
        Assert.Contains("Epoch limit (default: 5 for mnist/csv, 200 for iris, 1000 for xor/and/or)", text);
        Assert.Contains("Batch size, 1 = true SGD (default: 64 for mnist/csv, 16 for iris, 4 for xor/and/or)", text);
        Assert.Contains("Learning rate (default with sgd: 0.1 for mnist/csv/iris, 2 for xor/and/or; with another optimizer, its own: 0.001 for adam", text);
        Assert.Contains("(default: 1 for mnist/csv, 10 for iris, 100 for xor/and/or)", text);
    }

    [Fact]
    public void AnotherOptimizerWithoutLrTakesItsOwnDefaultRate()
    {
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--optimizer", "adam", "--epochs", "1", "--output", CliRunner.TempDir());
        Assert.True(code == 0, output);
        Assert.Contains("adam, lr 0.001, batch 16, 1 epoch(s)", output);
    }

    [Fact]
    public void ARunRecordsTheDefaultsItUsedSoThatTheyCanBeGivenOnResume()
    {
        var dir = CliRunner.TempDir();
        var (code, output) = CliRunner.Run("train", "--dataset", "xor", "--epochs", "20", "--output", dir);
        Assert.True(code == 0, output);
        (code, output) = CliRunner.Run("train", "--dataset", "xor", "--epochs", "40", "--lr", "2", "--batch", "4", "--resume", dir);
        Assert.True(code == 0, output);
        Assert.Contains("resuming after epoch 20", output);
        (code, output) = CliRunner.Run("train", "--dataset", "xor", "--epochs", "40", "--lr", "0.5", "--resume", dir);
        Assert.NotEqual(0, code);
        Assert.Contains("the checkpoint's run has --lr 2, this command has --lr 0.5", output);
    }
}
