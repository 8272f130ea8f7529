using Microsoft.ML.OnnxRuntime;

namespace AutoGrad.Onnx.Tests;

/// <summary>Runs an ONNX model in ONNX Runtime (CPU) on a batch of rows and returns every output, flattened.</summary>
public static class Ort
{
    public static Dictionary<string, float[]> Run(byte[] model, float[] rows, int features)
    {
        using var session = new InferenceSession(model);
        using var x = OrtValue.CreateTensorValueFromMemory(rows, [rows.Length / features, features]);
        var names = session.OutputMetadata.Keys.ToArray();
        using var options = new RunOptions();
        using var results = session.Run(options, [session.InputMetadata.Keys.Single()], [x], names);
        return names.Select((n, i) => (n, results[i].GetTensorDataAsSpan<float>().ToArray())).ToDictionary(p => p.n, p => p.Item2);
    }

    public static Dictionary<string, double[]> Run(byte[] model, double[] rows, int features)
    {
        using var session = new InferenceSession(model);
        using var x = OrtValue.CreateTensorValueFromMemory(rows, [rows.Length / features, features]);
        var names = session.OutputMetadata.Keys.ToArray();
        using var options = new RunOptions();
        using var results = session.Run(options, [session.InputMetadata.Keys.Single()], [x], names);
        return names.Select((n, i) => (n, results[i].GetTensorDataAsSpan<double>().ToArray())).ToDictionary(p => p.n, p => p.Item2);
    }

    public static Dictionary<string, float[]> Run(string path, float[] rows, int features) => Run(File.ReadAllBytes(path), rows, features);

    /// <summary>Asserts |actual − expected| ≤ tolerance·max(1, |expected|) everywhere, naming the first element that is not.</summary>
    public static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= allowed) && !(double.IsNaN(expected[i]) && double.IsNaN(actual[i])))
            {
                Assert.Fail($"{what}: element {i}: ONNX Runtime gave {actual[i]:R}, the library {expected[i]:R} (difference {Math.Abs(actual[i] - expected[i]):E3}, allowed {allowed:E3})");
            }
        }
    }

    public static void Close(float[] expected, float[] actual, double tolerance, string what) =>
        Close(Array.ConvertAll(expected, v => (double)v), Array.ConvertAll(actual, v => (double)v), tolerance, what);
}
