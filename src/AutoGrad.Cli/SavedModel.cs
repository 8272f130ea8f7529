using System.Globalization;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Serialization;

namespace AutoGrad.Cli;

/// <summary>A model saved by <c>autograd train</c>: parameters, network description, class names and feature scaling.</summary>
internal sealed record SavedModel(TensorTree Parameters, ModelSpec Spec, Mlp Network, string? Dataset, string[]? Classes, float[]? Mean, float[]? Std)
{
    public static SavedModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"model file not found: {path} (train one with `autograd train --output <dir>`)");
        }

        var (tree, metadata) = SafeTensors.Load(path);
        var spec = ModelSpec.FromMetadata(metadata, path);
        var net = spec.Build();
        var expected = net.Init(new Generator(0), tree.Leaves()[0].Value.DType);
        if (!expected.HasSameStructure(tree) || expected.Leaves().Zip(tree.Leaves()).Any(p => p.First.Value.Shape != p.Second.Value.Shape))
        {
            throw new CliException($"{path}: the parameters do not match the described network {net}");
        }

        static float[]? Floats(IReadOnlyDictionary<string, string> m, string key) =>
            m.TryGetValue(key, out var v) ? v.Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray() : null;

        return new SavedModel(tree, spec, net, metadata.GetValueOrDefault("dataset"), metadata.GetValueOrDefault("classes")?.Split(','),
            Floats(metadata, "feature_mean"), Floats(metadata, "feature_std"));
    }

    public DType DType => Parameters.Leaves()[0].Value.DType;
}
