using System.Buffers.Binary;
using System.Text;
using AutoGrad.Nn.Serialization;
using Xunit;

namespace AutoGrad.Cli.Tests;

/// <summary>The command line loses nothing and never answers with confidence from a file or a model it cannot trust.</summary>
public sealed class TrustTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void OneErrorLine(int code, string output, string expected)
    {
        Assert.True(code != 0, output);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    private string IrisModel()
    {
        var dir = Path.Combine(_dir, "iris");
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--layers", "4-6-3", "--epochs", "3", "--output", dir);
        Assert.True(code == 0, output);
        return Path.Combine(dir, "model.safetensors");
    }

    /// <summary>A copy of <paramref name="model"/> with one metadata field replaced (or removed, for null) and the parameters mapped.</summary>
    private string Altered(string model, string key, string? value, Func<Tensor, Tensor>? parameters = null)
    {
        var (tree, metadata) = SafeTensors.Load(model);
        var edited = metadata.ToDictionary();
        if (value is null)
        {
            edited.Remove(key);
        }
        else
        {
            edited[key] = value;
        }

        var path = Path.Combine(_dir, $"altered-{Guid.NewGuid():N}.safetensors");
        SafeTensors.Save(path, parameters is null ? tree : tree.Map(parameters), edited);
        return path;
    }

    [Fact]
    public void ClassNamesWithCommasQuotesAndBracketsSurviveTrainEvaluateAndPredict()
    {
        string[] names = ["red, dark", "blue \"sky\"", "[green]", "ünï,code"];
        var csv = new StringBuilder("x,y,label\n");
        var g = new Generator(4);
        for (int i = 0; i < 80; i++)
        {
            int c = i % 4;
            csv.Append($"{c * 3 + g.NextNormal() * 0.1:R},{(c % 2) * 2 + g.NextNormal() * 0.1:R},\"{names[c].Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n");
        }

        var data = Path.Combine(_dir, "awkward.csv");
        File.WriteAllText(data, csv.ToString());
        var outDir = Path.Combine(_dir, "awkward");
        var (code, output) = CliRunner.Run("train", "--dataset", "csv", "--csv", data, "--layers", "2-8-4", "--activation", "tanh", "--optimizer", "adam", "--lr", "0.05",
            "--epochs", "40", "--batch", "8", "--output", outDir);
        Assert.True(code == 0, output);
        var model = Path.Combine(outDir, "model.safetensors");
        Assert.Equal("[\"red, dark\",\"blue \\u0022sky\\u0022\",\"[green]\",\"\\u00FCn\\u00EF,code\"]", SafeTensors.Load(model).Metadata["classes"]);

        var (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", model);
        Assert.True(evalCode == 0, evalOutput);
        Assert.Contains("red, dark", evalOutput);

        // Standardization is stored with the model: raw features in, the class names out, verbatim.
        var (predictCode, predictOutput) = CliRunner.Run("predict", "--model", model, "--input", "0,0", "--input", "3,2", "--input", "9,2");
        Assert.True(predictCode == 0, predictOutput);
        Assert.Contains("red, dark", predictOutput);
        Assert.Contains("blue \"sky\"", predictOutput);
        Assert.Contains("ünï,code", predictOutput);
    }

    [Fact]
    public void EvaluateScoresOtherDataWithTheModelsClassNumberingAndScaling()
    {
        // Two well-separated classes; the training file lists the cats first.
        string Rows(string label, double x, int n) => string.Concat(Enumerable.Range(0, n).Select(i => $"{x + i * 0.01:R},{100 + i:R},{label}\n"));
        var train = Path.Combine(_dir, "pets.csv");
        File.WriteAllText(train, "weight,height,label\n" + Rows("cat", 1, 40) + Rows("dog", 5, 40));
        var outDir = Path.Combine(_dir, "pets");
        var (code, output) = CliRunner.Run("train", "--dataset", "csv", "--csv", train, "--layers", "2-8-2", "--optimizer", "adam", "--lr", "0.05", "--epochs", "30", "--batch", "8", "--output", outDir);
        Assert.True(code == 0, output);
        var model = Path.Combine(outDir, "model.safetensors");

        string Accuracy(string text) => text.Split('\n').First(l => l.Contains("│ accuracy", StringComparison.Ordinal)).Split('│', StringSplitOptions.RemoveEmptyEntries)[1].Trim();

        // The dogs first: the CSV numbers dog 0 and cat 1, the model the other way round.
        var swapped = Path.Combine(_dir, "dogs-first.csv");
        File.WriteAllText(swapped, "weight,height,label\n" + Rows("dog", 5, 40) + Rows("cat", 1, 40));
        var (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", model, "--csv", swapped);
        Assert.True(evalCode == 0, evalOutput);
        Assert.Equal("100.00 %", Accuracy(evalOutput));

        // Dogs only: statistics recomputed from this file would scale the inputs far from what the model learned on.
        var dogs = Path.Combine(_dir, "dogs.csv");
        File.WriteAllText(dogs, "weight,height,label\n" + Rows("dog", 5, 40));
        (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", model, "--csv", dogs);
        Assert.True(evalCode == 0, evalOutput);
        Assert.Equal("100.00 %", Accuracy(evalOutput));

        var birds = Path.Combine(_dir, "birds.csv");
        File.WriteAllText(birds, "weight,height,label\n" + Rows("dog", 5, 20) + Rows("bird", 0.1, 20));
        (evalCode, evalOutput) = CliRunner.Run("evaluate", "--model", model, "--csv", birds);
        OneErrorLine(evalCode, evalOutput, "has the class 'bird', which the model does not know (its classes: 'cat', 'dog')");
    }

    [Fact]
    public void ModelsSavedWithCommaSeparatedListsStillLoad()
    {
        var model = IrisModel();
        var (_, metadata) = SafeTensors.Load(model);
        var mean = System.Text.Json.JsonSerializer.Deserialize<float[]>(metadata["feature_mean"])!;
        var legacy = Altered(model, "classes", "setosa,versicolor,virginica");
        legacy = Altered(legacy, "feature_mean", string.Join(",", mean.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        var (code, output) = CliRunner.Run("predict", "--model", legacy, "--input", "5.1,3.5,1.4,0.2");
        Assert.True(code == 0, output);
        Assert.Matches("setosa|versicolor|virginica", output);
        var (current, currentOutput) = CliRunner.Run("predict", "--model", model, "--input", "5.1,3.5,1.4,0.2");
        Assert.True(current == 0, currentOutput);
        Assert.Equal(currentOutput, output);
    }

    [Theory]
    [InlineData("feature_mean", "[0,NaN,0,0]", "model metadata 'feature_mean' is not a JSON array of numbers")]
    [InlineData("feature_mean", "0,NaN,0,0", "model metadata 'feature_mean' entry 1 is 'NaN', not a finite number")]
    [InlineData("feature_std", "[1,1,1e39,1]", "model metadata 'feature_std' entry 2 is '1e39', not a finite number")]
    [InlineData("feature_std", "[1,1,-1,1]", "model metadata 'feature_std' entry 2 is negative")]
    [InlineData("feature_std", "[1,1,1]", "model metadata 'feature_std' has 3 entries for the network's 4 inputs")]
    [InlineData("feature_std", null, "model metadata 'feature_mean' is present without its partner")]
    [InlineData("activation", "wiggle", "model metadata 'activation' is 'wiggle'; expected a trainable activation")]
    [InlineData("activation", "step", "model metadata 'activation' is 'step'")]
    [InlineData("sizes", "4-x-3", "model metadata 'sizes' is invalid")]
    [InlineData("sizes", "4-7-3", "do not match the described network")]
    [InlineData("sizes", null, "has no model description")]
    [InlineData("init", "magic", "model metadata 'init' is invalid")]
    [InlineData("classes", "[\"a\",\"b\"]", "model metadata 'classes' names 2 classes for the network's 3 outputs")]
    [InlineData("classes", "[\"a\",\"a\",\"b\"]", "model metadata 'classes' repeats a class name")]
    [InlineData("classes", "[\"a\",1,\"b\"]", "model metadata 'classes' is not a JSON array of strings")]
    [InlineData("classes", "[\"a\",null,\"b\"]", "model metadata 'classes' must be a JSON array of strings")]
    [InlineData("dataset", "digits", "model metadata 'dataset' is 'digits'; expected one of")]
    [InlineData("seed", "-1", "model metadata 'seed' is '-1', not a whole number")]
    [InlineData("loss", "hinge", "model metadata 'loss' is 'hinge'")]
    public void BadModelMetadataIsOneClearLineNamingTheField(string key, string? value, string expected)
    {
        var model = Altered(IrisModel(), key, value);
        foreach (var command in new[] { new[] { "evaluate", "--model", model }, ["predict", "--model", model, "--input", "5.1,3.5,1.4,0.2"] })
        {
            var (code, output) = CliRunner.Run(command);
            OneErrorLine(code, output, expected);
            Assert.Contains(Path.GetFileName(model), output);
        }
    }

    [Fact]
    public void AModelWithNonFiniteParametersIsRefusedByEvaluateAndPredict()
    {
        var model = Altered(IrisModel(), "note", "x", t => t.Shape.Rank == 1 && t.Shape[0] == 6 ? t * double.NaN : t);
        foreach (var command in new[] { new[] { "evaluate", "--model", model }, ["predict", "--model", model, "--input", "5.1,3.5,1.4,0.2"] })
        {
            var (code, output) = CliRunner.Run(command);
            OneErrorLine(code, output, "parameter '0.b' has 6 non-finite value(s)");
        }
    }

    [Fact]
    public void IntegerParametersAreRefused()
    {
        var model = Altered(IrisModel(), "note", "x", t => t.Shape.Rank == 1 ? t.To(DType.Int32) : t);
        var (code, output) = CliRunner.Run("evaluate", "--model", model);
        OneErrorLine(code, output, "tensor '0.b' is int32");
    }

    [Fact]
    public void AMisalignedModelFileIsRefusedNotPredictedFrom()
    {
        var model = IrisModel();
        var bytes = File.ReadAllBytes(model);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, BinaryPrimitives.ReadUInt64LittleEndian(bytes) - 2);
        var shifted = Path.Combine(_dir, "shifted.safetensors");
        File.WriteAllBytes(shifted, bytes);
        var (code, output) = CliRunner.Run("predict", "--model", shifted, "--input", "5.1,3.5,1.4,0.2");
        OneErrorLine(code, output, "shifted.safetensors:");
    }

    [Fact]
    public void PredictSaysWhenARowsOutputsAreNotFinite()
    {
        var model = IrisModel();
        var (code, output) = CliRunner.Run("predict", "--model", model, "--input", "3e38,3e38,3e38,3e38", "--input", "5.1,3.5,1.4,0.2");
        Assert.True(code == 0, output);
        Assert.Contains("row(s) gave non-finite outputs", output);
    }

    [Theory]
    [InlineData("file")]
    [InlineData("under-a-file")]
    [InlineData("empty")]
    [InlineData("unwritable")]
    [InlineData("output-is-a-directory")]
    public void TrainChecksItsOutputDirectoryBeforeAnyEpochRuns(string problem)
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "keep me");
        var blocked = Path.Combine(_dir, "blocked");
        Directory.CreateDirectory(Path.Combine(blocked, "history.csv"));
        var (output, expected) = problem switch
        {
            "file" => (file, "is a file, not a directory"),
            "under-a-file" => (Path.Combine(file, "run"), "cannot be created: " + file + " is a file"),
            "empty" => ("", "--output is empty"),
            "unwritable" => ("/proc/autograd-cannot-write-here", "is not writable"),
            _ => (blocked, "holds a directory named history.csv"),
        };
        var (code, text) = CliRunner.Run("train", "--dataset", "iris", "--epochs", "2", "--output", output);
        OneErrorLine(code, text, expected);
        Assert.DoesNotContain("epoch 1", text);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void ARunReplacesTheWholeSetOfOutputsAndCleansUpAfterKilledRuns()
    {
        var outDir = Path.Combine(_dir, "run");
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--epochs", "2", "--output", outDir);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(outDir, "accuracy.png")));

        // What a run killed while writing its outputs leaves: a staging directory of a process that no longer exists.
        using var gone = System.Diagnostics.Process.Start("true")!;
        gone.WaitForExit();
        var stale = Path.Combine(outDir, $".staging-{gone.Id}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "model.safetensors"), "partial");

        // A regression run into the same directory: no accuracy.png of the earlier run may stay beside its model.
        var csv = Path.Combine(_dir, "line.csv");
        File.WriteAllText(csv, "x,y\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i / 10.0},{2 * i / 10.0 + 1}\n")));
        (code, output) = CliRunner.Run("train", "--dataset", "csv", "--csv", csv, "--layers", "1-4-1", "--optimizer", "adam", "--lr", "0.01", "--epochs", "3", "--output", outDir);
        Assert.True(code == 0, output);
        Assert.Equal(["checkpoint.safetensors", "history.csv", "loss.png", "model.safetensors"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order());
        Assert.Equal("1-4-1", SafeTensors.Load(Path.Combine(outDir, "model.safetensors")).Metadata["sizes"]);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(outDir, "history.csv")).Length);
    }

    [Fact]
    public void ACommitInterruptedAfterItsCommitPointIsFinishedByTheNextCommandThatOpensTheDirectory()
    {
        var outDir = Path.Combine(_dir, "interrupted");
        var (code, output) = CliRunner.Run("train", "--dataset", "iris", "--epochs", "2", "--output", outDir);
        Assert.True(code == 0, output);
        var other = Path.Combine(_dir, "other");
        (code, output) = CliRunner.Run("train", "--dataset", "iris", "--layers", "4-5-3", "--epochs", "3", "--output", other);
        Assert.True(code == 0, output);

        // What a run killed right after its commit point leaves: the model already moved into place, the rest still in
        // the commit directory, named after a process that is gone.
        using var gone = System.Diagnostics.Process.Start("true")!;
        gone.WaitForExit();
        var commit = Path.Combine(outDir, $".commit-{gone.Id}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(commit);
        File.Copy(Path.Combine(other, "model.safetensors"), Path.Combine(outDir, "model.safetensors"), overwrite: true);
        File.Copy(Path.Combine(other, "history.csv"), Path.Combine(commit, "history.csv"));
        File.Copy(Path.Combine(other, "loss.png"), Path.Combine(commit, "loss.png"));
        File.WriteAllText(Path.Combine(commit, ".set"), "model.safetensors\nhistory.csv\nloss.png");

        (code, output) = CliRunner.Run("predict", "--model", Path.Combine(outDir, "model.safetensors"), "--input", "5.1,3.5,1.4,0.2");
        Assert.True(code == 0, output);
        Assert.Equal(File.ReadAllText(Path.Combine(other, "history.csv")), File.ReadAllText(Path.Combine(outDir, "history.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(other, "loss.png")), File.ReadAllBytes(Path.Combine(outDir, "loss.png")));
        Assert.False(File.Exists(Path.Combine(outDir, "accuracy.png")), "the committed set has no accuracy.png: the old one is stale");
        Assert.False(Directory.Exists(commit));
    }

    private static byte[] IdxFile(byte type, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        }

        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private string MnistDir(int trainRows, byte labelType = 0x08)
    {
        var dir = Path.Combine(_dir, $"mnist-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        foreach (var (prefix, rows) in new[] { ("train", trainRows), ("t10k", 3) })
        {
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), IdxFile(0x08, [rows, 28, 28], new byte[rows * 784]));
            var labels = labelType == 0x0D
                ? Enumerable.Range(0, rows).SelectMany(i => { var b = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(b, i % 10 + 0.5f); return b; }).ToArray()
                : Enumerable.Range(0, rows).Select(i => (byte)(i % 10)).ToArray();
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), IdxFile(labelType, [rows], labels));
        }

        return dir;
    }

    [Fact]
    public void IdxFilesWithNoRowsOrFractionalLabelsAreRefusedByTrainAndDataVerify()
    {
        var empty = MnistDir(0);
        foreach (var command in new[] { new[] { "train", "--dataset", "mnist", "--data-dir", empty, "--output", Path.Combine(_dir, "o") }, ["data", "verify", "--dataset", "mnist", "--data-dir", empty] })
        {
            var (code, output) = CliRunner.Run(command);
            OneErrorLine(code, output, "holds no images (dimensions [0,28,28]); the data set cannot be empty");
        }

        var floats = MnistDir(5, labelType: 0x0D);
        var (c, o) = CliRunner.Run("data", "verify", "--dataset", "mnist", "--data-dir", floats);
        OneErrorLine(c, o, "stores element type 0x0D; labels must be integers");

        var fine = MnistDir(5);
        (c, o) = CliRunner.Run("data", "verify", "--dataset", "mnist", "--data-dir", fine);
        Assert.True(c == 0, o);
    }
}
