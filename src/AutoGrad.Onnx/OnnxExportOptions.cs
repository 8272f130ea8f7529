namespace AutoGrad.Onnx;

/// <summary>What <see cref="OnnxExport"/> writes beside the network itself.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The graph input's name; its shape is [batch, inputs] with a symbolic batch size.</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name: the network's output, [batch, outputs].</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>
    /// Per-feature means of an input standardization that the graph applies before the first layer,
    /// (x − mean) / std, a std of 0 read as 1 (as <c>autograd predict</c> does). Set with <see cref="FeatureStd"/>, or neither.
    /// </summary>
    public IReadOnlyList<float>? FeatureMean { get; init; }

    /// <summary>Per-feature standard deviations of the input standardization; see <see cref="FeatureMean"/>.</summary>
    public IReadOnlyList<float>? FeatureStd { get; init; }

    /// <summary>
    /// Class names of a classifier whose output is logits: the graph gets a second output,
    /// <see cref="ProbabilitiesName"/> (softmax over the last axis), and the names are stored as metadata "classes" (a JSON array).
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The name of the probabilities output added for <see cref="ClassNames"/>.</summary>
    public string ProbabilitiesName { get; init; } = "probabilities";

    /// <summary>
    /// The element type of the exported graph (inputs, weights, outputs); null keeps the parameters' dtype.
    /// <see cref="DType.Float32"/> exports a float64 model for runtimes whose kernels are float-only.
    /// </summary>
    public DType? DType { get; init; }

    /// <summary>Free-form key/value pairs stored in the model's metadata_props (e.g. the dataset name).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The graph's name.</summary>
    public string GraphName { get; init; } = "autograd_mlp";
}
