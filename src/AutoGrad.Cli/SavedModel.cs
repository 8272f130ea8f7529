using System.Globalization;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Serialization;

namespace AutoGrad.Cli;

/// <summary>A model saved by <c>autograd train</c>: parameters, network description, class names and feature scaling.</summary>
internal sealed record SavedModel(TensorTree Parameters, ModelSpec Spec, Mlp Network, string? Dataset, string[]? Classes, float[]? Mean, float[]? Std)
{
    /// <summary>
    /// Loads and checks a model: the file (<see cref="SafeTensors.Load"/>), then every metadata field the commands read,
    /// then the parameters against the described network. Anything wrong is one <see cref="InvalidDataException"/> naming
    /// the file and the field or tensor; parameters that are not finite are refused too, since every output would be NaN.
    /// </summary>
    public static SavedModel Load(string path)
    {
        // A train run killed while committing its outputs here is finished first, so the model matches its history.
        RunOutputs.Recover(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            throw new CliException($"model file not found: {path} (train one with `autograd train --output <dir>`)");
        }

        var (tree, metadata) = SafeTensors.Load(path);
        if (tree.IsLeaf || tree.LeafCount == 0)
        {
            throw new InvalidDataException($"{path} holds no parameter tree{(tree.IsLeaf ? " (a single tensor)" : "")}; was it saved by `autograd train`?");
        }

        var leaves = tree.Leaves();
        var dtype = leaves[0].Value.DType;
        foreach (var (name, value) in leaves)
        {
            if (value.DType != dtype || !value.DType.IsFloating())
            {
                throw new InvalidDataException($"{path}: tensor '{name}' is {value.DType.Name()}; a model's parameters share one float dtype ({leaves[0].Path} is {dtype.Name()})");
            }
        }

        var spec = ModelMetadata.Spec(path, metadata);
        var net = spec.Build();
        var expected = net.Init(new Generator(0), dtype);
        if (!expected.HasSameStructure(tree) || expected.Leaves().Zip(leaves).Any(p => p.First.Value.Shape != p.Second.Value.Shape))
        {
            throw new InvalidDataException($"{path}: the parameters [{string.Join(", ", leaves.Select(l => $"{l.Path} {l.Value.Shape}"))}] do not match the described network {net}");
        }

        foreach (var (name, value) in leaves)
        {
            int bad = value.ToDoubleArray().Count(v => !double.IsFinite(v));
            if (bad > 0)
            {
                throw new InvalidDataException($"{path}: parameter '{name}' has {bad} non-finite value(s) (NaN or ±Inf), so every prediction would be NaN; did the training run diverge?");
            }
        }

        var classes = ModelMetadata.Strings(path, metadata, "classes");
        if (classes is not null && classes.Length != spec.Sizes[^1])
        {
            throw ModelMetadata.Bad(path, "classes", $"names {classes.Length} classes for the network's {spec.Sizes[^1]} outputs");
        }

        if (classes is not null && classes.Distinct(StringComparer.Ordinal).Count() != classes.Length)
        {
            throw ModelMetadata.Bad(path, "classes", "repeats a class name");
        }

        var mean = ModelMetadata.Floats(path, metadata, "feature_mean");
        var std = ModelMetadata.Floats(path, metadata, "feature_std");
        if ((mean is null) != (std is null))
        {
            throw ModelMetadata.Bad(path, mean is null ? "feature_std" : "feature_mean", "is present without its partner (feature_mean and feature_std go together)");
        }

        foreach (var (key, values) in new[] { ("feature_mean", mean), ("feature_std", std) })
        {
            if (values is not null && values.Length != spec.Sizes[0])
            {
                throw ModelMetadata.Bad(path, key, $"has {values.Length} entries for the network's {spec.Sizes[0]} inputs");
            }
        }

        if (std is not null && Array.FindIndex(std, s => s < 0) is var negative and >= 0)
        {
            throw ModelMetadata.Bad(path, "feature_std", $"entry {negative} is negative ({std[negative].ToString(CultureInfo.InvariantCulture)})");
        }

        ModelMetadata.OneOf(path, metadata, "dataset", DataSource.Names);
        ModelMetadata.OneOf(path, metadata, "csv_classification", ["true", "false"]);
        if (metadata.TryGetValue("seed", out var seed) && !ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw ModelMetadata.Bad(path, "seed", $"is '{seed}', not a whole number");
        }

        ModelMetadata.OneOf(path, metadata, "loss", LossChoice.Names);

        return new SavedModel(tree, spec, net, metadata.GetValueOrDefault("dataset"), classes, mean, std)
        {
            Metadata = metadata,
        };
    }

    public DType DType => Parameters.Leaves()[0].Value.DType;

    /// <summary>Everything train recorded: seed, loss, CSV target and path, dataset.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
