using System.Globalization;
using AutoGrad.Nn.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace AutoGrad.Distributed.Tests;

/// <summary>
/// Data-parallel training under <c>mpiexec</c> against the single-process run on the same global batches. The ranks sum
/// each batch's rows in a different order from the single process (each its own share, then the all-reduce), so the
/// results agree to float64 round-off, not bitwise: the tolerance is 1e-12 relative on every parameter and epoch loss.
/// </summary>
public sealed class DataParallelTrainingTests(ITestOutputHelper log) : IDisposable
{
    /// <summary>Relative tolerance (on max(|a|, |b|, 1)) for float64 results after a few epochs: round-off, amplified a little by training.</summary>
    private const double Tolerance = 1e-12;
    private readonly string _dir = Directory.CreateTempSubdirectory("autograd-mpi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [MpiTheory]
    [InlineData("sgd", 2, true)]
    [InlineData("sgd", 2, false)]
    [InlineData("momentum", 2, true)]
    [InlineData("adam", 2, true)]
    [InlineData("adam", 3, false)]
    public void Ranks_TrainAsOneProcessOnTheSameGlobalBatches(string optimizer, int ranks, bool compile)
    {
        // 150 rows in batches of 12 (divisible by 2 and 3): twelve full batches and a last one of 6.
        var scenario = new Scenario(optimizer, Rows: 150, Batch: 12, Epochs: 4, Compile: compile);
        AssertSameAsSingleProcess(scenario, ranks);
    }

    [MpiTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void OneRank_IsTheSingleProcessRunBitForBit(bool compile)
    {
        // One rank's share is the whole batch and the all-reduce adds nothing: the same operations in the same order.
        AssertSameAsSingleProcess(new Scenario("adam", Rows: 150, Batch: 12, Epochs: 3, Compile: compile), ranks: 1, tolerance: 0);
    }

    [MpiFact]
    public void ThreeRanks_ShareAShortLastBatchUnevenly_AndStillMatch()
    {
        // 148 rows in batches of 6 on 3 ranks: the last batch has 4 rows, shared 1, 1, 2; the gradients are then weighted by rows.
        AssertSameAsSingleProcess(new Scenario("sgd", Rows: 148, Batch: 6, Epochs: 3), ranks: 3);
    }

    [MpiFact]
    public void Model_TrainsDataParallelThroughItsDataParallelProperty()
    {
        AssertSameAsSingleProcess(new Scenario("adam", Rows: 150, Batch: 10, Epochs: 3, UseModel: true), ranks: 2);
    }

    [MpiFact]
    public void ValidationSplit_IsDrawnTheSameOnEveryRank()
    {
        AssertSameAsSingleProcess(new Scenario("adam", Rows: 150, Batch: 8, Epochs: 3, ValidationSplit: 0.2), ranks: 2);
    }

    [MpiFact]
    public void RankThatThrows_EndsTheJob_NamingTheRank()
    {
        var run = Train(new Scenario(Epochs: 50), 2, "--fail-rank 1 --fail-epoch 2 --fail-mode throw", timeoutSeconds: 60);
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 1 of 2: InvalidOperationException: injected failure at epoch 2", run.Errors + run.Output);
        Assert.DoesNotContain("rank 0 of 2: done", run.Output);
    }

    [MpiFact]
    public void RankThatIsKilled_EndsTheJob_NamingTheRank()
    {
        var run = Train(new Scenario(Epochs: 50), 2, "--fail-rank 1 --fail-epoch 2 --fail-mode kill", timeoutSeconds: 60);
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 1: killing myself at epoch 2", run.Errors + run.Output);
        // MPICH names the killed process by pid ("BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES / PID 4243 RUNNING AT
        // host"); rank 0's start-up line ties that pid to rank 1.
        var pid = System.Text.RegularExpressions.Regex.Match(run.Output, @"rank 1: pid (\d+)").Groups[1].Value;
        Assert.NotEqual("", pid);
        Assert.Contains($"PID {pid} RUNNING AT", run.Errors + run.Output);
        Assert.Contains("Killed (signal 9)", run.Errors + run.Output);
        Assert.DoesNotContain("rank 0 of 2: done", run.Output);
    }

    [MpiTheory]
    [InlineData("--rank1-seed 8", "TrainOptions.Seed is 7 on rank 0 but 8 on rank 1")]
    [InlineData("--rank1-hidden 8", "parameter elements is 131 on rank 0 but 67 on rank 1")]
    [InlineData("--rank1-batch 10", "TrainOptions.BatchSize is 12 on rank 0 but 10 on rank 1")]
    public void RanksWithDifferentConfigurations_AreRefusedAtStart(string difference, string message)
    {
        var run = Train(new Scenario(), 2, difference, timeoutSeconds: 60);
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Errors);
    }

    [MpiFact]
    public void BatchSizeNotDivisibleByTheRanks_IsRefusedAtStart()
    {
        var run = Train(new Scenario(Batch: 10), 3, "", timeoutSeconds: 60);
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("the batch size 10 is not divisible by the number of ranks 3", run.Errors);
        Assert.Contains("use a multiple of 3, e.g. 9 or 12", run.Errors);
    }

    private void AssertSameAsSingleProcess(Scenario scenario, int ranks, double tolerance = Tolerance)
    {
        var run = Train(scenario, ranks, "");
        Assert.True(run.ExitCode == 0, run.ToString());
        var reference = scenario.Fit(group: null);
        var (parameters, _) = SafeTensors.Load(Path.Combine(_dir, "params.safetensors"));
        var history = File.ReadAllLines(Path.Combine(_dir, "history.txt"));

        double worst = 0;
        var expected = reference.Parameters.Leaves();
        var actual = parameters.Leaves();
        Assert.Equal(expected.Select(l => l.Path), actual.Select(l => l.Path));
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i].Value.ToDoubleArray();
            var a = actual[i].Value.ToDoubleArray();
            Assert.Equal(e.Length, a.Length);
            for (int j = 0; j < e.Length; j++)
            {
                worst = Math.Max(worst, Math.Abs(e[j] - a[j]) / Math.Max(1, Math.Max(Math.Abs(e[j]), Math.Abs(a[j]))));
            }
        }

        Assert.Equal(reference.History.Epochs.Count, history.Length);
        for (int i = 0; i < history.Length; i++)
        {
            var fields = history[i].Split(' ');
            var metrics = reference.History.Epochs[i];
            worst = Math.Max(worst, Math.Abs(double.Parse(fields[0], CultureInfo.InvariantCulture) - metrics.Loss) / Math.Max(1, metrics.Loss));
            Assert.Equal(metrics.Accuracy, double.Parse(fields[1], CultureInfo.InvariantCulture));
            if (metrics.ValidationLoss is { } v)
            {
                worst = Math.Max(worst, Math.Abs(double.Parse(fields[2], CultureInfo.InvariantCulture) - v) / Math.Max(1, v));
            }
        }

        log.WriteLine($"{scenario} on {ranks} ranks: largest relative difference from the single-process run {worst:E2} ({run.Elapsed.TotalSeconds:F1} s)");
        Assert.True(worst <= tolerance, $"{ranks} ranks differ from one process by {worst:E2} (relative), above {tolerance:E0}\n{run}");
    }

    private MpiRun Train(Scenario scenario, int ranks, string extra, int timeoutSeconds = 120) =>
        MpiRunner.Run(ranks, MpiRunner.RankProgram, $"train --out {_dir} {scenario.Arguments} {extra}", timeoutSeconds);
}
