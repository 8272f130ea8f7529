using System.Text.RegularExpressions;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Tests.Docs;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>Model.Fit prints one Keras-style line per epoch unless verbose is false (issue 19).</summary>
public class ModelVerboseTests
{
    private static Model IrisModel(params string[] metrics) =>
        new Model(new Mlp([4, 8, 3], [Activation.Relu]), new Generator(1)).Compile(new GradientDescent(0.1), (o, y) => Loss.CrossEntropy(o, y), metrics);

    private static readonly Regex FullLine = new(@"^Epoch (\d+)/3 - loss: \d+\.\d{4} - accuracy: [01]\.\d{4} - val_loss: \d+\.\d{4} - val_accuracy: [01]\.\d{4} - (\d+ms|\d+\.\ds)$");

    private static string[] Lines(StringWriter writer) => writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void FitPrintsOneLinePerEpochWithLossAccuracyValidationAndTime()
    {
        var output = new StringWriter();
        var history = IrisModel("loss", "accuracy").Fit(Datasets.Iris(), epochs: 3, batchSize: 16, validationSplit: 0.2, seed: 1, output: output);

        var lines = Lines(output);
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            var match = FullLine.Match(lines[i]);
            Assert.True(match.Success, $"line {i + 1} is not Keras-like: '{lines[i]}'");
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value);
            Assert.Contains($"loss: {history.Epochs[i].Loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} ", lines[i]);
        }
    }

    /// <summary>One process posing as rank <paramref name="rank"/> of two whose other rank mirrors it (sums double, gathers repeat).</summary>
    private sealed class MirroredPair(int rank) : IDataParallel
    {
        public int Rank => rank;

        public int Size => 2;

        public void AllReduceSum(Span<double> values)
        {
            foreach (ref double v in values)
            {
                v *= 2;
            }
        }

        public void Broadcast(Span<double> values)
        {
        }

        public void AllGather(ReadOnlySpan<long> local, Span<long> all)
        {
            local.CopyTo(all);
            local.CopyTo(all[local.Length..]);
        }
    }

    [Fact]
    public void InADataParallelRunOnlyRankZeroPrints()
    {
        foreach (var (rank, expected) in new[] { (0, 2), (1, 0) })
        {
            var output = new StringWriter();
            var model = IrisModel("accuracy");
            model.DataParallel = new MirroredPair(rank);
            model.Fit(Datasets.Iris(), epochs: 2, batchSize: 16, seed: 1, output: output);
            Assert.Equal(expected, Lines(output).Length);
        }
    }

    [Fact]
    public void AccuracyIsPrintedOnlyWhenCompiledAsAMetric()
    {
        var output = new StringWriter();
        IrisModel().Fit(Datasets.Iris(), epochs: 2, batchSize: 16, seed: 1, output: output);
        var lines = Lines(output);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^Epoch \d/2 - loss: \d+\.\d{4} - (\d+ms|\d+\.\ds)$", l));
    }

    [Fact]
    public void VerboseFalsePrintsNothing()
    {
        var output = new StringWriter();
        var history = IrisModel("accuracy").Fit(Datasets.Iris(), epochs: 2, seed: 1, verbose: false, output: output);
        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void AnEarlyStopIsReportedAfterTheLastEpochLine()
    {
        var output = new StringWriter();
        var model = new Model(new Mlp([4, 8, 3], [Activation.Relu]), new Generator(1)).Compile(new GradientDescent(0.5), (o, y) => Loss.CrossEntropy(o, y), "accuracy");
        var history = model.Fit(Datasets.Iris(), epochs: 200, batchSize: 16, validationSplit: 0.3, seed: 1, patience: 1, output: output);
        Assert.True(history.StoppedEarly);
        var lines = Lines(output);
        Assert.Equal(history.Epochs.Count + 1, lines.Length);
        Assert.Equal($"Epoch {history.Epochs.Count}: {history.StopReason}", lines[^1]);
    }

    [Fact]
    public void EpochLinesAreCultureIndependent()
    {
        var culture = Thread.CurrentThread.CurrentCulture;
        var comma = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ","; // as de-DE writes numbers (the tests run in invariant-globalization mode)
        Thread.CurrentThread.CurrentCulture = comma;
        try
        {
            Assert.Equal("Epoch 2/5 - loss: 0.1235 - accuracy: 0.5000 - val_loss: 1.0000 - val_accuracy: 0.2500 - 1.5s",
                Model.EpochLine(new EpochMetrics(2, 0.12345, 0.5, 1.0, 0.25, 0.1, 1.5), 5, accuracy: true));
            Assert.Equal("Epoch 2/5 - loss: 0.1235 - 12ms", Model.EpochLine(new EpochMetrics(2, 0.12345, 0.5, null, null, 0.1, 0.012), 5, accuracy: false));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = culture;
        }
    }
}

/// <summary>Without a writer, the lines go to Console.Out: these tests swap the console, so they run alone.</summary>
[Collection(nameof(DocProgramsCollection))]
public class ModelConsoleTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FitWritesToTheConsoleByDefaultAndNotWhenQuiet(bool verbose)
    {
        var console = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            new Model(new Mlp([2, 3, 2], [Activation.Tanh]), new Generator(1)).Compile(new GradientDescent(0.5), (o, y) => Loss.CrossEntropy(o, y), "accuracy")
                .Fit(Datasets.Xor(), epochs: 2, batchSize: 4, verbose: verbose);
        }
        finally
        {
            Console.SetOut(console);
        }

        var lines = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(verbose ? 2 : 0, lines.Length);
        if (verbose)
        {
            Assert.StartsWith("Epoch 1/2 - loss: ", lines[0]);
            Assert.Contains(" - accuracy: ", lines[1]);
        }
    }
}
