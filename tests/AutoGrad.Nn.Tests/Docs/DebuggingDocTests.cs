using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using Xunit;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// docs/debugging.md, compiled and run: a C# block of the page must be, verbatim (indentation aside), the code between
/// the matching DEBUGGING-name markers below, where it runs with checks on what it computes.
/// </summary>
public class DebuggingDocTests
{
    private static readonly List<string> Printed = [];
    private static readonly Dictionary<string, string> Written = [];

    [Fact]
    public void GraphExportExampleRecordsTheSeedMlpAndItsLoss()
    {
        // DEBUGGING-GRAPH-BEGIN
        var net = new Mlp([784, 512, 10], [Activation.Sigmoid]);   // the seed MLP: sigmoid hidden layer, linear output
        var parameters = net.Init(new Generator(0));
        var batch = new TensorTree { { "x", Tensor.Zeros([1, 784]) }, { "labels", Tensor.Zeros([1], DType.Int32) } };

        ComputationGraph graph = Graph.Record(
            (TensorTree p, TensorTree data) => Loss.CrossEntropy(net.Apply(p, data["x"]), data["labels"]), parameters, batch);
        Console.WriteLine(graph);                       // %6 = MatMulAdd(%4, %0, %1) : float32[1,512], …
        File.WriteAllText("mlp.dot", graph.ToDot());    // then: dot -Tpng mlp.dot -o mlp.png
        // DEBUGGING-GRAPH-END

        Assert.Equal(["MatMulAdd", "Sigmoid", "MatMulAdd", "SoftmaxCrossEntropy", "Sum", "Div"],
            graph.Nodes.Where(n => n.Kind == GraphNodeKind.Op).Select(n => n.Label));
        Assert.Contains("%6 = MatMulAdd(%4, %0, %1) : float32[1,512]\n", Printed.Single());
        Assert.StartsWith("digraph computation {", Written["mlp.dot"]);
        Assert.Contains("n0 [label=\"0.W\\nfloat32[784,512]\"", Written["mlp.dot"]);
        AcceptedByGraphviz(Written["mlp.dot"]);
        AssertShown("GRAPH", "Graph.Record(");
    }

    [Fact]
    public void TheCommandsThatDrewThePicturesAreShownBesideThem()
    {
        var page = ReadPage();
        foreach (var image in new[] { "seed-mlp-graph.png", "seed-mlp-backward.png" })
        {
            Assert.Contains($"](images/{image})", page);
            Assert.Contains($"--output docs/images/{image}", page);
            Assert.True(System.IO.File.Exists(Path.Combine(RepoRoot(), "docs", "images", image)), $"docs/images/{image} is missing");
        }
    }

    /// <summary>The page's C# block containing <paramref name="blockContains"/> equals the test's region between the markers.</summary>
    private static void AssertShown(string marker, string blockContains)
    {
        var source = System.IO.File.ReadAllText(Path.Combine(RepoRoot(), "tests", "AutoGrad.Nn.Tests", "Docs", "DebuggingDocTests.cs"));
        var region = Regex.Match(source, $"// DEBUGGING-{marker}-BEGIN\n(.*?)\n\\s*// DEBUGGING-{marker}-END", RegexOptions.Singleline).Groups[1].Value;
        var block = Regex.Matches(ReadPage(), "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)
            .Single(b => b.Contains(blockContains, StringComparison.Ordinal));
        Assert.Equal(Normalize(region), Normalize(block));
    }

    private static string Normalize(string s) => string.Join("\n", s.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string ReadPage() => System.IO.File.ReadAllText(Path.Combine(RepoRoot(), "docs", "debugging.md"));

    /// <summary>Graphviz's dot must read the text without a complaint; a missing dot fails only in CI, which installs it.</summary>
    private static void AcceptedByGraphviz(string dot)
    {
        var start = new ProcessStartInfo("dot", "-Tsvg")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "Graphviz's dot is not on PATH; CI must install it (see .ci/run).");
            return;
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            process.StandardInput.Write(dot);
            process.StandardInput.Close();
            Assert.True(process.WaitForExit(60_000));
            Assert.True(process.ExitCode == 0 && stderr.Result.Length == 0, $"dot rejected the text: {stderr.Result}");
            Assert.Contains("<svg", stdout.Result);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "AutoGrad.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }

    /// <summary>Stands in for System.Console in the doc's code: keeps what it prints.</summary>
    private static class Console
    {
        public static void WriteLine(object? value) => Printed.Add(value?.ToString() ?? "");
    }

    /// <summary>Stands in for System.IO.File in the doc's code: keeps what it writes instead of writing to the working directory.</summary>
    private static class File
    {
        public static void WriteAllText(string path, string text) => Written[path] = text;
    }
}
