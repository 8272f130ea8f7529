using System.Globalization;
using AutoGrad.Cli;
using AutoGrad.Nn.Data;

namespace AutoGrad.Onnx.Tests;

/// <summary>
/// <c>autograd export</c> end to end: models trained by <c>autograd train</c> on Iris and MNIST, exported, loaded in ONNX
/// Runtime and fed raw rows; its outputs match the library's predictions (as <c>autograd predict</c> computes them) to 1e-5.
/// </summary>
public sealed class CliExportTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The library's outputs for raw rows, computed as <c>autograd predict</c> does: standardized, then the network.</summary>
    private static (float[] Outputs, float[] Probabilities) Library(string modelPath, float[] raw)
    {
        var saved = SavedModel.Load(modelPath);
        int features = saved.Spec.Sizes[0];
        var x = raw.Select((v, k) => saved.Mean is null ? v : (v - saved.Mean[k % features]) / (saved.Std![k % features] == 0 ? 1 : saved.Std[k % features])).ToArray();
        var outputs = saved.Network.Apply(saved.Parameters, Tensor.FromArray(x, [raw.Length / features, features]));
        return (outputs.ToFloatArray(), outputs.Softmax(-1).ToFloatArray());
    }

    private string Train(params string[] args)
    {
        string output = Path.Combine(_dir, "run-" + Guid.NewGuid().ToString("N"));
        var (code, text) = CliRunner.Run(["train", .. args, "--output", output]);
        Assert.True(code == 0, text);
        return Path.Combine(output, "model.safetensors");
    }

    [Fact]
    public void IrisModelExportedByTheCliPredictsRawRowsAsTheLibrary()
    {
        string model = Train("--dataset", "iris", "--epochs", "30", "--activation", "tanh", "--seed", "3");
        string onnx = Path.Combine(_dir, "iris.onnx");
        var (code, text) = CliRunner.Run("export", "--model", model, "--onnx", onnx);
        Assert.True(code == 0, text);
        Assert.Contains("Exported Mlp(4-16-3; tanh, linear;", text);
        Assert.Contains("standardized inside the graph", text);
        Assert.Contains("'probabilities'", text);

        var iris = Datasets.Iris();
        var raw = iris.Features().ToFloatArray(); // unstandardized: the graph standardizes
        var ort = Ort.Run(onnx, raw, 4);
        var (outputs, probabilities) = Library(model, raw);
        Ort.Close(outputs, ort["output"], 1e-5, "iris logits");
        Ort.Close(probabilities, ort["probabilities"], 1e-5, "iris probabilities");

        // The class and probability that `autograd predict` prints for a few rows are ONNX Runtime's too.
        var saved = SavedModel.Load(model);
        foreach (int row in new[] { 0, 60, 120 })
        {
            var cells = raw.Skip(row * 4).Take(4).Select(v => v.ToString("R", CultureInfo.InvariantCulture));
            var (predictCode, predicted) = CliRunner.Run("predict", "--model", model, "--input", string.Join(",", cells));
            Assert.True(predictCode == 0, predicted);
            var p = ort["probabilities"].Skip(row * 3).Take(3).ToArray();
            int best = Array.IndexOf(p, p.Max());
            Assert.Contains(saved.Classes![best], predicted);
            Assert.Contains(p[best].ToString("F4", CultureInfo.InvariantCulture), predicted);
        }
    }

    [Fact]
    public void MnistModelExportedByTheCliPredictsTestRowsAsTheLibrary()
    {
        string model = Train("--dataset", "mnist", "--layers", "784-32-10", "--activation", "gelu", "--epochs", "1", "--limit-train", "2000", "--limit-test", "100");
        string onnx = Path.Combine(_dir, "mnist.onnx");
        var (code, text) = CliRunner.Run("export", "-m", model, "-o", onnx);
        Assert.True(code == 0, text);
        Assert.DoesNotContain("standardized", text); // MNIST's pixels go in as loaded, scaled to [0, 1]

        var (_, test) = Mnist.Load(Mnist.Fetch());
        var rows = test.Subset([.. Enumerable.Range(0, 200)]).Features().ToFloatArray();
        var ort = Ort.Run(onnx, rows, 784);
        var (outputs, probabilities) = Library(model, rows);
        Ort.Close(outputs, ort["output"], 1e-5, "mnist logits");
        Ort.Close(probabilities, ort["probabilities"], 1e-5, "mnist probabilities");
    }

    [Fact]
    public void AFloat64ModelExportsInItsDtypeOrAsFloat32()
    {
        string model = Train("--dataset", "iris", "--epochs", "5", "--activation", "elu", "--dtype", "float64");
        string onnx = Path.Combine(_dir, "f64.onnx");
        var (code, text) = CliRunner.Run("export", "--model", model, "--onnx", onnx);
        Assert.True(code == 0, text);
        Assert.Contains("float64", text);
        var raw = Datasets.Iris().Features().ToFloatArray();
        var saved = SavedModel.Load(model);
        var standardized = raw.Select((v, k) => (double)((v - saved.Mean![k % 4]) / saved.Std![k % 4])).ToArray();
        var expected = saved.Network.Apply(saved.Parameters, Tensor.FromArray(standardized, [150, 4])).ToDoubleArray();
        // In double the graph standardizes in double, predict in float32 before widening: equal to about float precision.
        Ort.Close(expected, Ort.Run(File.ReadAllBytes(onnx), Array.ConvertAll(raw, v => (double)v), 4)["output"], 1e-5, "float64 export");

        (code, text) = CliRunner.Run("export", "--model", model, "--onnx", onnx, "--dtype", "float32");
        Assert.True(code == 0, text);
        Assert.Contains("float32", text);
        Ort.Close(Array.ConvertAll(expected, v => (float)v), Ort.Run(onnx, raw, 4)["output"], 1e-5, "float64 model as float32");
    }

    [Fact]
    public void ExportReplacesAnExistingFileAndLeavesNoTemporaries()
    {
        string model = Train("--dataset", "xor", "--epochs", "2");
        string target = Path.Combine(_dir, "out");
        Directory.CreateDirectory(target);
        string onnx = Path.Combine(target, "xor.onnx");
        File.WriteAllText(onnx, "old");
        var (code, text) = CliRunner.Run("export", "--model", model, "--onnx", onnx);
        Assert.True(code == 0, text);
        Assert.Equal(["xor.onnx"], Directory.GetFiles(target).Select(Path.GetFileName));
        var ort = Ort.Run(onnx, [0, 0, 0, 1, 1, 0, 1, 1], 2);
        Assert.Equal(8, ort["output"].Length);
    }

    [Fact]
    public void ClearErrors()
    {
        string model = Train("--dataset", "xor", "--epochs", "1");
        string missing = Path.Combine(_dir, "none.safetensors");
        var cases = new (string[] Args, string Message)[]
        {
            (["export", "--model", model], "--onnx"),
            (["export", "--onnx", Path.Combine(_dir, "a.onnx")], "--model"),
            (["export", "--model", missing, "--onnx", Path.Combine(_dir, "a.onnx")], "model file not found"),
            (["export", "--model", model, "--onnx", Path.Combine(_dir, "no-such-dir", "a.onnx")], "does not exist"),
            (["export", "--model", model, "--onnx", _dir], "is a directory"),
            (["export", "--model", model, "--onnx", Path.Combine(_dir, "a.onnx"), "--dtype", "float16"], "--dtype must be float32 or float64"),
        };
        foreach (var (args, message) in cases)
        {
            var (code, text) = CliRunner.Run(args);
            Assert.True(code == 1, $"{string.Join(" ", args)} exited {code}: {text}");
            Assert.Contains("error:", text);
            Assert.Contains(message, text);
            Assert.Single(text.Trim().Split('\n'));
        }

        string notAModel = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(notAModel, "not a safetensors file");
        var (c, t) = CliRunner.Run("export", "--model", notAModel, "--onnx", Path.Combine(_dir, "b.onnx"));
        Assert.Equal(1, c);
        Assert.StartsWith("error:", t.Trim());
        Assert.False(File.Exists(Path.Combine(_dir, "b.onnx")));
    }

    [Fact]
    public void HelpListsExport()
    {
        var (code, text) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("export", text);
        (code, text) = CliRunner.Run("export", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--onnx", text);
    }
}
