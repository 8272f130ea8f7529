using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Serialization;
using Google.Protobuf;
using P = global::Onnx;

namespace AutoGrad.Onnx;

/// <summary>
/// Writes a trained <see cref="Mlp"/> as an ONNX model: each dense layer a <c>Gemm</c> (x·W + b, W stored as [in, out]),
/// each activation the ONNX ops that compute the library's formula (<see cref="OpsFor"/>), optionally an input
/// standardization before the first layer and a softmax output for classifiers (<see cref="OnnxExportOptions"/>).
/// The file is ONNX's protobuf encoding, written by Google.Protobuf from ONNX's own schema, at IR version
/// <see cref="IrVersion"/> and default-domain opset <see cref="Opset"/>.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ai.onnx opset the graph imports: 20, the first with <c>Gelu</c>.</summary>
    public const int Opset = 20;

    /// <summary>The ONNX IR version written: 9, the one that opset 20 came with.</summary>
    public const long IrVersion = 9;

    /// <summary>Exports <paramref name="network"/> with <paramref name="parameters"/> to <paramref name="path"/>, atomically (temp file + rename).</summary>
    public static void Save(Mlp network, TensorTree parameters, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = Build(network, parameters, options);
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

    /// <summary>The ONNX model as bytes (what <see cref="Save"/> writes).</summary>
    public static byte[] ToBytes(Mlp network, TensorTree parameters, OnnxExportOptions? options = null) =>
        Build(network, parameters, options).ToByteArray();

    /// <summary>
    /// The ONNX ops (op types, in order) that an activation becomes, e.g. <c>["Mul", "Sigmoid"]</c> for swish;
    /// empty for linear. Throws <see cref="NotSupportedException"/> for an activation this exporter does not know.
    /// </summary>
    public static IReadOnlyList<string> OpsFor(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var graph = new GraphBuilder(P.TensorProto.Types.DataType.Float);
        graph.Activation(activation, "x", 0);
        return graph.Graph.Node.Select(n => n.OpType).ToArray();
    }

    internal static P.ModelProto Build(Mlp network, TensorTree parameters, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        options ??= new OnnxExportOptions();
        var leaves = parameters.IsLeaf ? [] : parameters.Leaves();
        if (leaves.Count == 0)
        {
            throw new ArgumentException("OnnxExport: the parameter tree is empty; pass the tree that network.Init made (and training updated)", nameof(parameters));
        }

        var sourceType = leaves[0].Value.DType;
        var dtype = options.DType ?? sourceType;
        if (!dtype.IsFloating())
        {
            throw new ArgumentException($"OnnxExport: the graph's dtype must be float32 or float64, got {dtype.Name()}", nameof(options));
        }

        var elem = dtype == DType.Float64 ? P.TensorProto.Types.DataType.Double : P.TensorProto.Types.DataType.Float;
        var graph = new GraphBuilder(elem);
        graph.Graph.Name = options.GraphName;
        int inputs = network.Sizes[0], outputs = network.Sizes[^1];
        graph.Graph.Input.Add(graph.Value(options.InputName, inputs));

        string current = options.InputName;
        if ((options.FeatureMean is null) != (options.FeatureStd is null))
        {
            throw new ArgumentException("OnnxExport: FeatureMean and FeatureStd go together; set both or neither", nameof(options));
        }

        if (options.FeatureMean is { } mean && options.FeatureStd is { } std)
        {
            if (mean.Count != inputs || std.Count != inputs)
            {
                throw new ArgumentException($"OnnxExport: the standardization has {mean.Count} means and {std.Count} standard deviations for the network's {inputs} inputs", nameof(options));
            }

            // As `autograd predict`: (x − mean) / std in float32, a zero std (a constant feature) read as 1.
            var divisor = std.Select(s => s == 0 ? 1f : s).ToArray();
            graph.Initializer("feature_mean", [inputs], mean.ToArray(), null);
            graph.Initializer("feature_std", [inputs], divisor, null);
            current = graph.Node("Sub", [current, "feature_mean"], "standardize/centered");
            current = graph.Node("Div", [current, "feature_std"], "standardize/scaled");
        }

        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            string prefix = i.ToString(CultureInfo.InvariantCulture);
            var w = Parameter(parameters, $"{prefix}.W", [layer.InFeatures, layer.OutFeatures], sourceType, network);
            graph.Initializer($"{prefix}.W", [layer.InFeatures, layer.OutFeatures], null, w);
            List<string> gemmInputs = [current, $"{prefix}.W"];
            if (layer.HasBias)
            {
                var b = Parameter(parameters, $"{prefix}.b", [layer.OutFeatures], sourceType, network);
                graph.Initializer($"{prefix}.b", [layer.OutFeatures], null, b);
                gemmInputs.Add($"{prefix}.b");
            }

            current = graph.Node("Gemm", gemmInputs, $"layer{prefix}/dense");
            current = graph.Activation(network.Activations[i], current, i);
        }

        // The last value computed is the output: rename it (no Identity node).
        var last = graph.Graph.Node[^1];
        last.Output[0] = options.OutputName;
        foreach (var node in graph.Graph.Node.Where(n => n.Input.Contains(current)))
        {
            for (int k = 0; k < node.Input.Count; k++)
            {
                if (node.Input[k] == current)
                {
                    node.Input[k] = options.OutputName;
                }
            }
        }

        graph.Graph.Output.Add(graph.Value(options.OutputName, outputs));
        var model = new P.ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "AutoGrad",
            ProducerVersion = typeof(OnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = network.ToString(),
            Graph = graph.Graph,
        };
        model.OpsetImport.Add(new P.OperatorSetIdProto { Domain = "", Version = Opset });

        if (options.ClassNames is { } classes)
        {
            if (classes.Count != outputs)
            {
                throw new ArgumentException($"OnnxExport: {classes.Count} class names for the network's {outputs} outputs", nameof(options));
            }

            graph.Node("Softmax", [options.OutputName], options.ProbabilitiesName, ("axis", -1L));
            graph.Graph.Output.Add(graph.Value(options.ProbabilitiesName, outputs));
            model.MetadataProps.Add(new P.StringStringEntryProto { Key = "classes", Value = JsonSerializer.Serialize(classes.ToArray()) });
        }

        foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
        {
            model.MetadataProps.Add(new P.StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    private static Tensor Parameter(TensorTree parameters, string path, int[] shape, DType dtype, Mlp network)
    {
        if (!parameters.Contains(path))
        {
            throw new ArgumentException($"OnnxExport: the parameters have no '{path}' for {network}; they hold [{string.Join(", ", parameters.Leaves().Select(l => l.Path))}]", nameof(parameters));
        }

        var value = parameters[path];
        if (value.Shape.ToArray() is var actual && !actual.SequenceEqual(shape))
        {
            throw new ArgumentException($"OnnxExport: parameter '{path}' has shape [{string.Join(", ", actual)}], but {network} needs [{string.Join(", ", shape)}]", nameof(parameters));
        }

        if (value.DType != dtype)
        {
            throw new ArgumentException($"OnnxExport: parameter '{path}' is {value.DType.Name()}, but the others are {dtype.Name()}", nameof(parameters));
        }

        return value;
    }

    /// <summary>Nodes, initializers and value types of one graph, each node output named uniquely.</summary>
    private sealed class GraphBuilder(P.TensorProto.Types.DataType elem)
    {
        public P.GraphProto Graph { get; } = new();

        public P.ValueInfoProto Value(string name, int features)
        {
            var shape = new P.TensorShapeProto();
            shape.Dim.Add(new P.TensorShapeProto.Types.Dimension { DimParam = "batch" });
            shape.Dim.Add(new P.TensorShapeProto.Types.Dimension { DimValue = features });
            return new P.ValueInfoProto
            {
                Name = name,
                Type = new P.TypeProto { TensorType = new P.TypeProto.Types.Tensor { ElemType = (int)elem, Shape = shape } },
            };
        }

        /// <summary>A constant tensor in the graph's element type: from <paramref name="floats"/> or a library tensor.</summary>
        public void Initializer(string name, int[] shape, float[]? floats, Tensor? tensor)
        {
            var proto = new P.TensorProto { Name = name, DataType = (int)elem };
            proto.Dims.AddRange(shape.Select(d => (long)d));
            // raw_data is little-endian, as ONNX requires; every platform .NET runs this library on is little-endian.
            byte[] bytes = elem == P.TensorProto.Types.DataType.Double
                ? MemoryMarshal.AsBytes<double>(floats is null ? tensor!.ToDoubleArray() : Array.ConvertAll(floats, v => (double)v)).ToArray()
                : MemoryMarshal.AsBytes<float>(floats ?? tensor!.ToFloatArray()).ToArray();
            proto.RawData = ByteString.CopyFrom(bytes);
            Graph.Initializer.Add(proto);
        }

        /// <summary>A scalar constant (shape []) in the graph's element type, named uniquely by its value.</summary>
        public string Scalar(double value)
        {
            string name = "const/" + value.ToString("R", CultureInfo.InvariantCulture);
            if (!Graph.Initializer.Any(t => t.Name == name))
            {
                Initializer(name, [], null, Tensor.Scalar(value, elem == P.TensorProto.Types.DataType.Double ? DType.Float64 : DType.Float32));
            }

            return name;
        }

        /// <summary>Adds a node and returns its (unique) output name, <paramref name="name"/>.</summary>
        public string Node(string op, IEnumerable<string> inputs, string name, params (string Key, object Value)[] attributes)
        {
            var node = new P.NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add(name);
            foreach (var (key, value) in attributes)
            {
                node.Attribute.Add(value switch
                {
                    long i => new P.AttributeProto { Name = key, Type = P.AttributeProto.Types.AttributeType.Int, I = i },
                    float f => new P.AttributeProto { Name = key, Type = P.AttributeProto.Types.AttributeType.Float, F = f },
                    string s => new P.AttributeProto { Name = key, Type = P.AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
                    _ => throw new ArgumentException($"attribute {key}: unsupported value {value}"),
                });
            }

            Graph.Node.Add(node);
            return name;
        }

        /// <summary>
        /// The ops computing <paramref name="activation"/> on <paramref name="x"/>; returns the result's name
        /// (<paramref name="x"/> itself for linear). Each formula is the library's (Activation, ScalarMath).
        /// </summary>
        public string Activation(Activation activation, string x, int layer)
        {
            string at = $"layer{layer.ToString(CultureInfo.InvariantCulture)}/";
            var (kind, parameter) = Parse(activation);
            switch (kind)
            {
                case "linear":
                    return x;
                case "sigmoid":
                    return Node("Sigmoid", [x], at + "sigmoid");
                case "tanh":
                    return Node("Tanh", [x], at + "tanh");
                case "relu":
                    return Node("Relu", [x], at + "relu");
                case "swish":
                    // x·σ(x), as the library composes it (ONNX's Swish op is newer than opset 20).
                    return Node("Mul", [x, Node("Sigmoid", [x], at + "swish/sigmoid")], at + "swish");
                case "gelu":
                    // The exact, erf-based GELU: 0.5·x·(1 + erf(x/√2)).
                    return Node("Gelu", [x], at + "gelu", ("approximate", "none"));
                case "softplus" when elem == P.TensorProto.Types.DataType.Double:
                    // ONNX Runtime's CPU provider has no double Softplus: the library's stable form, max(x, 0) + log(1 + e^−|x|).
                    var negAbs = Node("Neg", [Node("Abs", [x], at + "softplus/abs")], at + "softplus/neg");
                    var log = Node("Log", [Node("Add", [Scalar(1), Node("Exp", [negAbs], at + "softplus/exp")], at + "softplus/1p")], at + "softplus/log");
                    return Node("Add", [Node("Max", [x, Scalar(0)], at + "softplus/max"), log], at + "softplus");
                case "softplus":
                    return Node("Softplus", [x], at + "softplus");
                case "exponential":
                    return Node("Exp", [x], at + "exp");
                case "softmax":
                    return Node("Softmax", [x], at + "softmax", ("axis", -1L));
                case "step":
                    // Heaviside with H(0) = 1: 1 where x ≥ 0, else 0 (NaN → 0), as GreaterEqual(x, 0).
                    var ge = Node("GreaterOrEqual", [x, Scalar(0)], at + "step/ge");
                    return Node("Cast", [ge], at + "step", ("to", (long)elem));
                case "leaky-relu" when elem == P.TensorProto.Types.DataType.Double:
                    // No double LeakyRelu in ONNX Runtime's CPU provider: x > 0 ? x : slope·x, with the slope in double.
                    return Node("Where", [Node("Greater", [x, Scalar(0)], at + "leaky-relu/positive"), x, Node("Mul", [x, Scalar(parameter)], at + "leaky-relu/scaled")], at + "leaky-relu");
                case "leaky-relu":
                    return Node("LeakyRelu", [x], at + "leaky-relu", ("alpha", (float)parameter));
                case "elu" when elem == P.TensorProto.Types.DataType.Double:
                    // No double Elu either: x > 0 ? x : α(eˣ − 1), as the library computes it.
                    var expm1 = Node("Sub", [Node("Exp", [x], at + "elu/exp"), Scalar(1)], at + "elu/expm1");
                    return Node("Where", [Node("Greater", [x, Scalar(0)], at + "elu/positive"), x, Node("Mul", [expm1, Scalar(parameter)], at + "elu/scaled")], at + "elu");
                case "elu":
                    return Node("Elu", [x], at + "elu", ("alpha", (float)parameter));
                default:
                    throw new NotSupportedException($"OnnxExport: activation '{activation.Name}' has no ONNX mapping");
            }
        }

        /// <summary>An activation's kind and parameter from its name: "relu", "leaky-relu(0.01)", "elu(1)".</summary>
        private static (string Kind, double Parameter) Parse(Activation activation)
        {
            string name = activation.Name;
            int open = name.IndexOf('(');
            if (open < 0)
            {
                return (name, 0);
            }

            string inner = name[(open + 1)..^1];
            if (!name.EndsWith(')') || !double.TryParse(inner, NumberStyles.Float, CultureInfo.InvariantCulture, out double parameter))
            {
                throw new NotSupportedException($"OnnxExport: activation '{name}' has no ONNX mapping");
            }

            return (name[..open], parameter);
        }
    }
}
