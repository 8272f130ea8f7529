using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace AutoGrad.Distributed.Tests;

/// <summary><c>mpiexec -n 2 autograd train --distributed</c> end to end, on the embedded Iris data (offline).</summary>
public sealed class CliDistributedTests : IDisposable
{
    private const string Train = "train --dataset iris --layers 4-16-3 --activation tanh --optimizer adam --lr 0.01 --batch 16 --epochs 6 --dtype float64 --seed 3";
    private readonly string _dir = Directory.CreateTempSubdirectory("autograd-mpi-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Cli => $"{MpiRunner.DotnetHost} {Path.Combine(AppContext.BaseDirectory, "AutoGrad.Cli.dll")}";

    [MpiFact]
    public void TwoRanks_TrainLikeOneProcess_AndOnlyRankZeroPrintsAndWrites()
    {
        string distributed = Path.Combine(_dir, "two"), single = Path.Combine(_dir, "one");
        var run = MpiRunner.Run(2, Cli, $"{Train} --distributed --output {distributed}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("data-parallel on 2 rank(s) (rank 0: pid", run.Output);
        Assert.Single(Occurrences(run.Output, "test accuracy"));
        Assert.Single(Occurrences(run.Output, "saved "));
        foreach (var file in new[] { "model.safetensors", "history.csv", "loss.png", "accuracy.png", "checkpoint.safetensors" })
        {
            Assert.True(File.Exists(Path.Combine(distributed, file)), $"{file} missing\n{run}");
        }

        var (code, output) = RunSingle($"{Train} --output {single}");
        Assert.True(code == 0, output);

        // history.csv: epoch, loss, accuracy, … per line; float64 data-parallel against one process, to round-off.
        var two = File.ReadAllLines(Path.Combine(distributed, "history.csv"));
        var one = File.ReadAllLines(Path.Combine(single, "history.csv"));
        Assert.Equal(one.Length, two.Length);
        Assert.Equal(one[0], two[0]);
        for (int i = 1; i < one.Length; i++)
        {
            var a = one[i].Split(',');
            var b = two[i].Split(',');
            for (int j = 1; j < 3; j++) // the loss and the accuracy (seconds differ)
            {
                double x = double.Parse(a[j], CultureInfo.InvariantCulture), y = double.Parse(b[j], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(x - y) <= 1e-12 * Math.Max(1, Math.Abs(x)), $"history line {i} column {j}: one process {x}, two ranks {y}");
            }
        }
    }

    [MpiFact]
    public void BatchNotDivisibleByTheRanks_EndsTheJobWithTheReason()
    {
        var run = MpiRunner.Run(2, Cli, $"{Train.Replace("--batch 16", "--batch 15", StringComparison.Ordinal)} --distributed --output {_dir}", timeoutSeconds: 60);
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("the batch size 15 is not divisible by the number of ranks 2", run.Errors);
        Assert.Contains("of 2 failed (exit code 1); ending all 2 ranks (MPI_Abort)", run.Errors);
        Assert.False(File.Exists(Path.Combine(_dir, "model.safetensors")));
    }

    private static IEnumerable<int> Occurrences(string text, string what)
    {
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            yield return at;
        }
    }

    private static (int Code, string Output) RunSingle(string arguments)
    {
        var start = new ProcessStartInfo(MpiRunner.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AutoGrad.Cli.dll"));
        foreach (var part in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(part);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
