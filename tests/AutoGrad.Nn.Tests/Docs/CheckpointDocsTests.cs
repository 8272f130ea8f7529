using System.Text.RegularExpressions;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using Xunit;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// The checkpoint section of the debugging docs, compiled and run: each C# block marked <c>&lt;!-- checkpoint-example-n --&gt;</c>
/// (in whichever docs/*.md holds it) must be, verbatim, the code between the matching CHECKPOINT-n markers below.
/// </summary>
public class CheckpointDocsTests
{
    private static readonly List<string> Printed = [];

    private static class Console
    {
        public static void WriteLine(object? value) => Printed.Add(value?.ToString() ?? "");
    }

    [Fact]
    public void TheCheckpointExamplesRunAsDocumented()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("autograd-docs-").FullName, "checkpoint.safetensors");

        // CHECKPOINT-1-BEGIN
        var iris = Datasets.Iris();
        var net = new Mlp([4, 16, 3], [Activation.Relu, Activation.Linear]);
        var options = new TrainOptions { Epochs = 20, BatchSize = 16, Seed = 1, CheckpointPath = path, CheckpointEvery = 5 };

        // Writes the checkpoint after epochs 5, 10, 15 and 20.
        var result = Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y),
            new Adam(0.01), iris, options);

        // After a crash (here: later, in another process), the same call with the checkpoint goes on after its epoch.
        var checkpoint = Checkpoint.Load(path);
        Console.WriteLine($"resuming after epoch {checkpoint.Epoch}");
        var resumed = Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y),
            new Adam(0.01), iris, options, resumeFrom: checkpoint);
        // CHECKPOINT-1-END
        Assert.Equal(20, checkpoint.Epoch);
        Training.ResumeTests.AssertSameTrees(result.Parameters, resumed.Parameters, "example 1");
        Training.ResumeTests.AssertSameHistory(result.History, resumed.History, "example 1");

        // CHECKPOINT-2-BEGIN
        var five = Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y),
            new Sgd(0.05, momentum: 0.9), iris, options with { Epochs = 5, CheckpointPath = null });
        var ten = Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y),
            new Sgd(0.05, momentum: 0.9), iris, options with { Epochs = 10, CheckpointPath = null }, resumeFrom: five.Checkpoint);
        Console.WriteLine($"epochs {ten.History.Epochs[0].Epoch}–{ten.History.Epochs[^1].Epoch}");
        // CHECKPOINT-2-END
        Assert.Equal("epochs 1–10", Printed[^1]);

        // CHECKPOINT-3-BEGIN
        var model = new Model(new Mlp([4, 16, 3], [Activation.Relu]), new Generator(1))
            .Compile(new Adam(0.01), (o, y) => Loss.CrossEntropy(o, y), "loss", "accuracy");
        model.Fit(iris, epochs: 20, batchSize: 16, seed: 1, checkpointPath: path);

        var again = new Model(new Mlp([4, 16, 3], [Activation.Relu]), new Generator(1))
            .Compile(new Adam(0.01), (o, y) => Loss.CrossEntropy(o, y), "loss", "accuracy")
            .LoadCheckpoint(path);
        var history = again.Fit(iris, epochs: 30, batchSize: 16); // epochs 21 to 30, as if the first Fit had asked for 30
        // CHECKPOINT-3-END
        Assert.Equal(Enumerable.Range(1, 30), history.Epochs.Select(e => e.Epoch));

        // CHECKPOINT-4-BEGIN
        try
        {
            Trainer.Fit((p, x) => net.Apply(p, x), net.Init(new Generator(1)), (o, y) => Loss.CrossEntropy(o, y),
                new Sgd(1e30), iris, new TrainOptions { Epochs = 5, BatchSize = 16 });
        }
        catch (TrainingDivergedException e)
        {
            Console.WriteLine($"diverged at epoch {e.Epoch}, batch {e.Batch}; look at '{e.Parameter}'");
        }
        // CHECKPOINT-4-END
        Assert.Matches("^diverged at epoch 1, batch 2; look at '[01]\\.[Wb]'$", Printed[^1]);
    }

    [Fact]
    public void EveryCheckpointExampleInTheDocsIsTheCodeTheTestRuns()
    {
        var docs = Directory.GetFiles(Path.Combine(RepoRoot(), "docs"), "*.md").Select(File.ReadAllText).ToList();
        var source = File.ReadAllText(Path.Combine(RepoRoot(), "tests", "AutoGrad.Nn.Tests", "Docs", "CheckpointDocsTests.cs"));
        for (int i = 1; i <= 4; i++)
        {
            var blocks = docs.Select(d => Regex.Match(d, $"<!-- checkpoint-example-{i} -->\n```csharp\n(.*?)```", RegexOptions.Singleline)).Where(m => m.Success).ToList();
            Assert.True(blocks.Count == 1, $"checkpoint-example-{i} should be in exactly one docs/*.md, found {blocks.Count}");
            var region = Regex.Match(source, $"// CHECKPOINT-{i}-BEGIN\n(.*?)\n\\s*// CHECKPOINT-{i}-END", RegexOptions.Singleline).Groups[1].Value;
            Assert.Equal(Normalize(region), Normalize(blocks[0].Groups[1].Value));
        }
    }

    private static string Normalize(string s) => string.Join("\n", s.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AutoGrad.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
