using System.Diagnostics;
using AutoGrad.Nn.Serialization;
using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary>
/// <c>autograd train --resume</c>: a run killed with SIGKILL mid-training and resumed from its checkpoint ends with the
/// uninterrupted run's model and history; a checkpoint of another run is refused in one line naming the option.
/// </summary>
public class ResumeCliTests
{
    // Iris, one checkpoint every 5 epochs: the kill lands between checkpoints, mid-epoch, nearly always.
    private static readonly string[] Run =
        ["train", "--dataset", "iris", "--layers", "4-32-3", "--activation", "relu", "--optimizer", "adam", "--lr", "0.005", "--batch", "4", "--epochs", "300", "--seed", "2", "--checkpoint-every", "5"];

    private static string[] With(params string[] more) => [.. Run, .. more];

    /// <summary>Each tensor of a model file as its raw bits, by name.</summary>
    private static Dictionary<string, long[]> ModelBits(string dir)
    {
        var (tree, _) = SafeTensors.Load(Path.Combine(dir, "model.safetensors"));
        return tree.Leaves().ToDictionary(l => l.Path, l => l.Value.ToFloatArray().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray());
    }

    /// <summary>history.csv without its last column, the wall time.</summary>
    private static string[] HistoryWithoutSeconds(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "history.csv")).Select(l => string.Join(",", l.Split(',').SkipLast(1))).ToArray();

    private static void AssertSameModelAndHistory(string expectedDir, string actualDir)
    {
        var (expected, actual) = (ModelBits(expectedDir), ModelBits(actualDir));
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, bits) in expected)
        {
            Assert.True(bits.SequenceEqual(actual[name]), $"parameter '{name}' differs");
        }

        Assert.Equal(HistoryWithoutSeconds(expectedDir), HistoryWithoutSeconds(actualDir));
    }

    [Fact]
    public void ARunKilledMidTrainingAndResumedEndsAsTheUninterruptedRun()
    {
        var whole = CliRunner.TempDir();
        var (code, output) = CliRunner.Run(With("--output", whole));
        Assert.True(code == 0, output);

        // The same run as a real process, killed with SIGKILL once it has written a checkpoint and is training on.
        var killed = CliRunner.TempDir();
        string checkpoint = Path.Combine(killed, "checkpoint.safetensors");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AutoGrad.Cli.dll"));
        foreach (var arg in With("--output", killed))
        {
            start.ArgumentList.Add(arg);
        }

        var log = new System.Text.StringBuilder();
        using (var child = Process.Start(start)!)
        {
            child.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } }; // drained, so the child never blocks on a full pipe
            child.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(2);
            }

            Thread.Sleep(7); // into the next epochs: a checkpoint comes every 5 epochs of about 3 ms
            Assert.True(!child.HasExited, $"the run ended before it could be killed (exit code {(child.HasExited ? child.ExitCode : 0)}):\n{log}");
            child.Kill(); // SIGKILL: no finally blocks, no flushing
            child.WaitForExit();
        }

        Assert.False(File.Exists(Path.Combine(killed, "model.safetensors")), "the killed run should not have finished");
        var saved = Nn.Training.Checkpoint.Load(checkpoint); // whole: the previous checkpoint or the new one, never a torn file
        Assert.InRange(saved.Epoch, 5, 295);
        Assert.Equal(0, saved.Epoch % 5);

        var (resumedCode, resumedOutput) = CliRunner.Run(With("--resume", killed));
        Assert.True(resumedCode == 0, resumedOutput);
        Assert.Contains($"resuming after epoch {saved.Epoch}", resumedOutput);
        AssertSameModelAndHistory(whole, killed);
        Directory.Delete(whole, true);
        Directory.Delete(killed, true);
    }

    [Fact]
    public void ACompletedRunCanBeExtendedWhenItsScheduleIsConstant()
    {
        string[] xor = ["train", "--dataset", "xor", "--layers", "2-4-2", "--activation", "tanh", "--optimizer", "momentum", "--lr", "0.1", "--batch", "2", "--seed", "4"];
        var (whole, part) = (CliRunner.TempDir(), CliRunner.TempDir());
        Assert.Equal(0, CliRunner.Run([.. xor, "--epochs", "40", "--output", whole]).ExitCode);
        Assert.Equal(0, CliRunner.Run([.. xor, "--epochs", "15", "--output", part]).ExitCode);
        var (code, output) = CliRunner.Run([.. xor, "--epochs", "40", "--resume", part]);
        Assert.True(code == 0, output);
        AssertSameModelAndHistory(whole, part);
    }

    [Theory]
    [InlineData("--resume: the checkpoint's run has --batch 4, this command has --batch 8", "constant", "--batch", "8")]
    [InlineData("--resume: the checkpoint's run has --seed 2, this command has --seed 3", "constant", "--seed", "3")]
    [InlineData("--resume: the checkpoint's run has --dtype float32, this command has --dtype float64", "constant", "--dtype", "float64")]
    [InlineData("--resume: the checkpoint's run has --optimizer adam, this command has --optimizer sgd", "constant", "--optimizer", "sgd")]
    [InlineData("--resume: the checkpoint's run has --layers 4-32-3, this command has --layers 4-16-3", "constant", "--layers", "4-16-3")]
    [InlineData("--resume: the checkpoint's run has --epochs 3, this command has --epochs 4", "cosine", "--epochs", "4")]
    public void ResumingWithOtherOptionsIsOneClearLineNamingTheOption(string expected, string schedule, string option, string value)
    {
        var dir = CliRunner.TempDir();
        string[] run = [.. Run.Select(a => a == "300" ? "3" : a), "--dtype", "float32", "--schedule", schedule];
        var (trained, trainOutput) = CliRunner.Run([.. run, "--output", dir]);
        Assert.True(trained == 0, trainOutput);

        var changed = run.ToArray();
        changed[Array.IndexOf(changed, option) + 1] = value;
        var (code, output) = CliRunner.Run([.. changed, "--resume", dir]);
        Assert.Equal(1, code);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void ACheckpointIsWrittenByDefaultAndNoneWithCheckpointEveryZero()
    {
        string[] and = ["train", "--dataset", "and", "--layers", "2-2-2", "--epochs", "2"];
        var (on, off) = (CliRunner.TempDir(), CliRunner.TempDir());
        Assert.Equal(0, CliRunner.Run([.. and, "--output", on]).ExitCode);
        Assert.Equal(2, Nn.Training.Checkpoint.Load(Path.Combine(on, "checkpoint.safetensors")).Epoch);
        Assert.Equal(0, CliRunner.Run([.. and, "--output", off, "--checkpoint-every", "0"]).ExitCode);
        Assert.False(File.Exists(Path.Combine(off, "checkpoint.safetensors")));
        var (code, output) = CliRunner.Run([.. and, "--output", off, "--checkpoint-every", "-1"]);
        Assert.Equal(1, code);
        Assert.Contains("--checkpoint-every must be 0 (never) or positive, got -1", output);
    }

    [Fact]
    public void ALearningRateOf1e30IsReportedAsDivergenceNamingTheParameter()
    {
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--lr", "1e30", "--output", CliRunner.TempDir());
        Assert.Equal(1, code);
        Assert.Contains("error: Training diverged at epoch 1, batch 2: the loss ", output);
        Assert.Matches("the largest gradient is that of '[01]\\.[Wb]'", output);
        Assert.DoesNotContain("   at ", output);
    }
}
