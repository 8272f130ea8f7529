using System.Globalization;
using System.Text;
using System.Text.Json;
using AutoGrad.Nn.Serialization;

namespace AutoGrad.Nn.Training;

/// <summary>
/// The checkpoint file: one safetensors file, so that a checkpoint is written by one rename and read by any safetensors
/// tool. Tensors: <c>params.*</c>, <c>opt.*</c>, and <c>best.*</c> when early stopping's best parameters are not the
/// current ones. String metadata: <c>format</c>, <c>format_version</c>, <c>state</c> (JSON: epoch, generator words,
/// counters, options, optimizer, data fingerprints, caller metadata) and <c>history</c> (JSON: the epochs' metrics).
/// Numbers are written so that they read back bit for bit: integers as JSON integers, doubles in their shortest
/// round-trip form, and NaN and ±∞ as the strings "NaN", "Infinity", "-Infinity".
/// </summary>
internal static class CheckpointFile
{
    private const string ParamsKey = "params";
    private const string OptKey = "opt";
    private const string BestKey = "best";

    public static void Save(string path, Checkpoint checkpoint)
    {
        var tree = new TensorTree { { ParamsKey, checkpoint.Parameters } };
        if (checkpoint.OptimizerState.LeafCount > 0)
        {
            tree.Add(OptKey, checkpoint.OptimizerState);
        }

        if (!ReferenceEquals(checkpoint.BestParameters, checkpoint.Parameters))
        {
            tree.Add(BestKey, checkpoint.BestParameters);
        }

        var metadata = new Dictionary<string, string>
        {
            ["format"] = Checkpoint.Format,
            ["format_version"] = Checkpoint.FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["state"] = Json(w => WriteState(w, checkpoint)),
            ["history"] = Json(w => WriteHistory(w, checkpoint.History)),
        };
        SafeTensors.Save(path, tree, metadata);
    }

    public static Checkpoint Load(string path)
    {
        var (tree, metadata) = SafeTensors.Load(path);
        if (!metadata.TryGetValue("format", out var format) || format != Checkpoint.Format)
        {
            throw new InvalidDataException($"{path}: not an AutoGrad checkpoint (its metadata has no 'format' = '{Checkpoint.Format}'); a model file holds parameters only");
        }

        string version = metadata.TryGetValue("format_version", out var v) ? v : "(none)";
        if (version != Checkpoint.FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException($"{path}: checkpoint format_version {version} is not supported (this build reads version {Checkpoint.FormatVersion})");
        }

        if (!tree.Keys.Contains(ParamsKey))
        {
            throw new InvalidDataException($"{path}: the checkpoint has no '{ParamsKey}.*' tensors");
        }

        var parameters = tree.Subtree(ParamsKey);
        var optimizerState = tree.Keys.Contains(OptKey) ? tree.Subtree(OptKey) : new TensorTree();
        var best = tree.Keys.Contains(BestKey) ? tree.Subtree(BestKey) : parameters;
        var state = new Reader(path, "state", Metadata(path, metadata, "state"));
        var history = ReadHistory(new Reader(path, "history", Metadata(path, metadata, "history")));
        var root = state.Root;
        var generator = state.Object(root, "generator");
        var data = state.Object(root, "data");
        string trainingData = state.String(data, "training");
        string? validationData = state.StringOrNull(data, "validation");
        var contents = new CheckpointContents(
            Epoch: state.Int(root, "epoch", min: 0),
            Parameters: parameters,
            OptimizerState: optimizerState,
            BestParameters: best,
            BestValidationLoss: state.Double(root, "best_validation_loss"),
            EpochsSinceBest: state.Int(root, "epochs_since_best", min: 0),
            Shuffle: new GeneratorState(
                state.UInt64(generator, "seed"), state.UInt64(generator, "s0"), state.UInt64(generator, "s1"), state.UInt64(generator, "s2"),
                state.UInt64(generator, "s3"), state.DoubleOrNull(generator, "spare_normal")),
            History: history,
            FirstLoss: state.DoubleOrNull(root, "first_loss"),
            Options: ReadOptions(state, state.Object(root, "options"), ReadMetadata(state, root)),
            Optimizer: state.String(root, "optimizer"));
        if (contents.History.Epochs.Count != contents.Epoch)
        {
            throw new InvalidDataException($"{path}: the checkpoint is at epoch {contents.Epoch} but its history has {contents.History.Epochs.Count} epoch(s)");
        }

        try
        {
            Generator.FromState(contents.Shuffle);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: checkpoint field 'state.generator' is not a generator state ({e.Message})");
        }

        return new Checkpoint(contents, new Lazy<string>(trainingData), new Lazy<string?>(validationData), path);
    }

    private static string Metadata(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var json) ? json : throw new InvalidDataException($"{path}: the checkpoint's metadata has no '{key}'");

    private static void WriteState(Utf8JsonWriter w, Checkpoint c)
    {
        w.WriteStartObject();
        w.WriteNumber("epoch", c.Epoch);
        w.WriteStartObject("generator");
        w.WriteNumber("seed", c.Shuffle.Seed);
        w.WriteNumber("s0", c.Shuffle.S0);
        w.WriteNumber("s1", c.Shuffle.S1);
        w.WriteNumber("s2", c.Shuffle.S2);
        w.WriteNumber("s3", c.Shuffle.S3);
        WriteDouble(w, "spare_normal", c.Shuffle.SpareNormal);
        w.WriteEndObject();
        WriteDouble(w, "best_validation_loss", c.BestValidationLoss);
        w.WriteNumber("epochs_since_best", c.EpochsSinceBest);
        WriteDouble(w, "first_loss", c.FirstLoss);
        w.WriteString("optimizer", c.Optimizer);
        w.WriteStartObject("data");
        w.WriteString("training", c.TrainingData);
        w.WriteString("validation", c.ValidationData); // JSON null when there is none

        w.WriteEndObject();
        var o = c.Options;
        w.WriteStartObject("options");
        w.WriteNumber("epochs", o.Epochs);
        w.WriteNumber("batch_size", o.BatchSize);
        w.WriteBoolean("shuffle", o.Shuffle);
        w.WriteNumber("seed", o.Seed);
        WriteDouble(w, "validation_split", o.ValidationSplit);
        WriteDouble(w, "target_loss", o.TargetLoss);
        WriteInt(w, "patience", o.Patience);
        WriteDouble(w, "clip_gradient_norm", o.ClipGradientNorm);
        w.WriteString("dtype", o.DType?.Name());
        w.WriteBoolean("compile", o.Compile);
        WriteDouble(w, "divergence_factor", o.DivergenceFactor);
        w.WriteNumber("checkpoint_every", o.CheckpointEvery);
        w.WriteString("checkpoint_path", o.CheckpointPath); // JSON null when there is none

        w.WriteEndObject();
        w.WriteStartObject("metadata");
        foreach (var (key, value) in c.Metadata)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteHistory(Utf8JsonWriter w, History history)
    {
        w.WriteStartObject();
        if (history.StoppedEarly)
        {
            w.WriteString("stop_reason", history.StopReason);
        }
        else
        {
            w.WriteNull("stop_reason");
        }

        w.WriteStartArray("epochs");
        foreach (var e in history.Epochs)
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", e.Epoch);
            WriteDouble(w, "loss", e.Loss);
            WriteDouble(w, "accuracy", e.Accuracy);
            WriteDouble(w, "val_loss", e.ValidationLoss);
            WriteDouble(w, "val_accuracy", e.ValidationAccuracy);
            WriteDouble(w, "learning_rate", e.LearningRate);
            WriteDouble(w, "seconds", e.Seconds);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static History ReadHistory(Reader r)
    {
        var history = new History();
        int expected = 1;
        foreach (var e in r.Array(r.Root, "epochs"))
        {
            int epoch = r.Int(e, "epoch", min: 1);
            if (epoch != expected++)
            {
                throw r.Bad(e, $"has epoch {epoch}, expected {expected - 1} (epochs are numbered 1, 2, … in order)");
            }

            history.Add(new EpochMetrics(epoch, r.Double(e, "loss"), r.DoubleOrNull(e, "accuracy"), r.DoubleOrNull(e, "val_loss"),
                r.DoubleOrNull(e, "val_accuracy"), r.DoubleOrNull(e, "learning_rate"), r.Double(e, "seconds")));
        }

        if (r.StringOrNull(r.Root, "stop_reason") is { } reason)
        {
            history.Stop(reason);
        }

        return history;
    }

    private static TrainOptions ReadOptions(Reader r, Node o, IReadOnlyDictionary<string, string> metadata)
    {
        string dtype = r.String(o, "dtype");
        var options = new TrainOptions
        {
            Epochs = r.Int(o, "epochs", min: 1),
            BatchSize = r.Int(o, "batch_size", min: 1),
            Shuffle = r.Bool(o, "shuffle"),
            Seed = r.UInt64(o, "seed"),
            ValidationSplit = r.Double(o, "validation_split"),
            TargetLoss = r.DoubleOrNull(o, "target_loss"),
            Patience = r.IntOrNull(o, "patience", min: 1),
            ClipGradientNorm = r.DoubleOrNull(o, "clip_gradient_norm"),
            DType = dtype switch
            {
                "float32" => DType.Float32,
                "float64" => DType.Float64,
                _ => throw r.Bad(o, $"has dtype '{dtype}', expected float32 or float64"),
            },
            Compile = r.Bool(o, "compile"),
            DivergenceFactor = r.DoubleOrNull(o, "divergence_factor"),
            CheckpointEvery = r.Int(o, "checkpoint_every", min: 1),
            CheckpointPath = r.StringOrNull(o, "checkpoint_path"),
            CheckpointMetadata = metadata,
        };
        return options;
    }

    private static Dictionary<string, string> ReadMetadata(Reader r, Node root)
    {
        var metadata = new Dictionary<string, string>();
        foreach (var (name, value) in r.Properties(r.Object(root, "metadata")))
        {
            metadata[name] = r.String(value);
        }

        return metadata;
    }

    private static void WriteDouble(Utf8JsonWriter w, string name, double? value)
    {
        switch (value)
        {
            case null:
                w.WriteNull(name);
                break;
            case { } v when double.IsFinite(v):
                w.WriteNumber(name, v); // the shortest form that round-trips: the same bits when read back
                break;
            case { } v:
                w.WriteString(name, double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
                break;
        }
    }

    private static void WriteInt(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A JSON value and its dotted path in the metadata entry, for messages.</summary>
    private readonly record struct Node(JsonElement Element, string Path);

    /// <summary>Reads the JSON of one metadata entry; every missing or malformed field is an InvalidDataException naming it.</summary>
    private sealed class Reader
    {
        private readonly string _path;

        public Reader(string path, string entry, string json)
        {
            _path = path;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(json);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: the checkpoint's '{entry}' metadata is not valid JSON ({e.Message})");
            }

            if (Serialization.SafeTensorsHeader.FirstBadString(System.Text.Encoding.UTF8.GetBytes(json)) is { } bad)
            {
                throw new InvalidDataException($"{path}: the checkpoint's '{entry}' metadata holds the string {bad}, an escaped lone surrogate (not valid UTF-16)");
            }

            Root = new Node(root, entry);
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(Root, "is not a JSON object");
            }
        }

        public Node Root { get; }

        public InvalidDataException Bad(Node field, string problem) => new($"{_path}: checkpoint field '{field.Path}' {problem}");

        public Node Object(Node parent, string name) => Get(parent, name, JsonValueKind.Object, "an object");

        public IEnumerable<Node> Array(Node parent, string name)
        {
            var array = Get(parent, name, JsonValueKind.Array, "an array");
            return array.Element.EnumerateArray().Select((e, i) => new Node(e, $"{array.Path}[{i}]"));
        }

        public IEnumerable<(string Name, Node Value)> Properties(Node node) =>
            node.Element.EnumerateObject().Select(p => (p.Name, new Node(p.Value, $"{node.Path}.{p.Name}")));

        public string String(Node parent, string name) => String(Get(parent, name, JsonValueKind.String, "a string"));

        public string String(Node node) => node.Element.ValueKind == JsonValueKind.String ? node.Element.GetString()! : throw Bad(node, "must be a string");

        public string? StringOrNull(Node parent, string name) => IsNull(parent, name) ? null : String(parent, name);

        public bool Bool(Node parent, string name)
        {
            var e = Field(parent, name);
            return e.Element.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad(e, "must be true or false"),
            };
        }

        public int Int(Node parent, string name, int min)
        {
            var e = Get(parent, name, JsonValueKind.Number, "a number");
            return e.Element.TryGetInt32(out int v) && v >= min ? v : throw Bad(e, $"must be an integer ≥ {min}, got {e.Element.GetRawText()}");
        }

        public int? IntOrNull(Node parent, string name, int min) => IsNull(parent, name) ? null : Int(parent, name, min);

        public ulong UInt64(Node parent, string name)
        {
            var e = Get(parent, name, JsonValueKind.Number, "a number");
            return e.Element.TryGetUInt64(out ulong v) ? v : throw Bad(e, $"must be an integer in 0..2^64−1, got {e.Element.GetRawText()}");
        }

        public double Double(Node parent, string name)
        {
            var e = Field(parent, name);
            return e.Element.ValueKind switch
            {
                JsonValueKind.Number when e.Element.TryGetDouble(out double v) => v,
                JsonValueKind.String => e.Element.GetString() switch
                {
                    "NaN" => double.NaN,
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    var text => throw Bad(e, $"must be a number, \"NaN\", \"Infinity\" or \"-Infinity\", got \"{text}\""),
                },
                _ => throw Bad(e, $"must be a number, got {e.Element.GetRawText()}"),
            };
        }

        public double? DoubleOrNull(Node parent, string name) => IsNull(parent, name) ? null : Double(parent, name);

        private bool IsNull(Node parent, string name) => Field(parent, name).Element.ValueKind == JsonValueKind.Null;

        private Node Get(Node parent, string name, JsonValueKind kind, string what)
        {
            var e = Field(parent, name);
            return e.Element.ValueKind == kind ? e : throw Bad(e, $"must be {what}, got {e.Element.ValueKind.ToString().ToLowerInvariant()}");
        }

        private Node Field(Node parent, string name) =>
            parent.Element.TryGetProperty(name, out var e) ? new Node(e, $"{parent.Path}.{name}") : throw Bad(new Node(default, $"{parent.Path}.{name}"), "is missing");
    }
}
