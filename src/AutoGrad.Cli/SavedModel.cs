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
        if (tree.LeafCount == 0)
        {
            throw new CliException($"{path} holds no tensors");
        }

        var spec = ModelSpec.FromMetadata(metadata, path);
        var net = spec.Build();
        var expected = net.Init(new Generator(0), tree.Leaves()[0].Value.DType);
        if (!expected.HasSameStructure(tree) || expected.Leaves().Zip(tree.Leaves()).Any(p => p.First.Value.Shape != p.Second.Value.Shape))
        {
            throw new CliException($"{path}: the parameters do not match the described network {net}");
        }

        static float[]? Floats(IReadOnlyDictionary<string, string> m, string key) =>
            m.TryGetValue(key, out var v) ? v.Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray() : null;

        var classes = metadata.GetValueOrDefault("classes")?.Split(',');
        var (mean, std) = (Floats(metadata, "feature_mean"), Floats(metadata, "feature_std"));
        if (classes is not null && classes.Length != spec.Sizes[^1])
        {
            throw new CliException($"{path}: {classes.Length} class names for {spec.Sizes[^1]} outputs");
        }

        if ((mean is null) != (std is null) || (mean is not null && (mean.Length != spec.Sizes[0] || std!.Length != spec.Sizes[0])))
        {
            throw new CliException($"{path}: the feature statistics do not match the {spec.Sizes[0]} inputs");
        }

        return new SavedModel(tree, spec, net, metadata.GetValueOrDefault("dataset"), classes, mean, std)
        {
            Metadata = metadata,
        };
    }

    public DType DType => Parameters.Leaves()[0].Value.DType;

    /// <summary>Everything train recorded: seed, loss, CSV target and path, dataset.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
