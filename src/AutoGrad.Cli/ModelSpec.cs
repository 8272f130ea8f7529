using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Init;
using AutoGrad.Nn.Layers;

namespace AutoGrad.Cli;

/// <summary>The network a command builds: layer sizes, hidden activation, output kind, initializer.</summary>
internal sealed record ModelSpec(int[] Sizes, string Activation, string Init)
{
    /// <summary>Default layer sizes per dataset: the seeds' 784-512-10 for MNIST, 4-16-3 for Iris, 2-3-2 for the truth tables.</summary>
    public static int[] DefaultSizes(Dataset data)
    {
        int outputs = data.IsClassification ? data.ClassCount : data.TargetCount;
        int hidden = data.FeatureCount == 784 ? 512 : data.FeatureCount == 2 ? 3 : 16;
        return [data.FeatureCount, hidden, outputs];
    }

    /// <summary>Parses "784-512-10" or "784,512,10".</summary>
    public static int[] ParseSizes(string text)
    {
        var parts = text.Split(['-', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
            {
                throw new CliException($"layer sizes must be positive integers like 784-512-10, got '{text}'");
            }
        }

        if (sizes.Length < 2)
        {
            throw new CliException($"layer sizes need at least an input and an output, got '{text}'");
        }

        return sizes;
    }

    /// <summary>Checks the sizes against the data: inputs equal the features, outputs the classes or targets.</summary>
    public void Validate(Dataset data)
    {
        if (Sizes[0] != data.FeatureCount)
        {
            throw new CliException($"layer sizes {string.Join("-", Sizes)} start with {Sizes[0]} inputs, but {data.Name} has {data.FeatureCount} features");
        }

        int outputs = data.IsClassification ? data.ClassCount : data.TargetCount;
        long parameters = 0;
        for (int i = 0; i + 1 < Sizes.Length; i++)
        {
            parameters += (long)Sizes[i] * Sizes[i + 1] + Sizes[i + 1];
        }

        if (parameters > 200_000_000)
        {
            throw new CliException($"layer sizes {string.Join("-", Sizes)} need {parameters:N0} parameters; that is more than this command will allocate (200 million)");
        }

        if (Sizes[^1] != outputs)
        {
            throw new CliException($"layer sizes {string.Join("-", Sizes)} end with {Sizes[^1]} outputs, but {data.Name} has {outputs} {(data.IsClassification ? "classes" : "targets")}");
        }
    }

    /// <summary>The network: the hidden activation on every hidden layer, a linear output (logits or regression values).</summary>
    public Mlp Build()
    {
        var hidden = Nn.Layers.Activation.Parse(Activation);
        if (hidden == Nn.Layers.Activation.Step)
        {
            throw new CliException("--activation step has no gradient, so a network cannot learn through it; use the perceptron API for threshold units");
        }

        Initializer init = Initializers.Parse(Init);
        var activations = Enumerable.Repeat(hidden, Sizes.Length - 2).Append(Nn.Layers.Activation.Linear).ToArray();
        return new Mlp(Sizes, activations, init);
    }

    /// <summary>Metadata stored beside the parameters so that evaluate and predict can rebuild the model.</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["sizes"] = string.Join("-", Sizes),
        ["activation"] = Activation,
        ["init"] = Init,
    };
}
