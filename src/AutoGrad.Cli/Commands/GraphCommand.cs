using AutoGrad.Nn.Serialization;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary>
/// <c>autograd graph</c>: the graph of ops of a network's training loss (or of the network alone), as Graphviz DOT, or
/// rendered to SVG or PNG by Graphviz's <c>dot</c>. The network is a saved model or a fresh one of given layer sizes
/// (by default the seeds' 784-512-10 sigmoid MNIST network), drawn for a batch of zeros.
/// </summary>
internal static class GraphCommand
{
    private static readonly string[] Formats = ["dot", "svg", "png"];

    public static Command Create(IAnsiConsole console)
    {
        var model = new Option<string?>("--model", "-m") { Description = "A model.safetensors saved by train (default: a fresh network of --layers)" };
        var layers = new Option<string?>("--layers", "-l") { Description = "Layer sizes of a fresh network (default 784-512-10, the seeds' MNIST network)" };
        var activation = new Option<string?>("--activation", "-a") { Description = "Hidden activation of a fresh network (default sigmoid): " + string.Join(", ", Nn.Layers.Activation.Names) };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or float64, for a fresh network (default float32)" };
        var loss = new Option<string>("--loss")
        {
            Description = "The loss drawn after the network: auto (what train uses: cross-entropy on class labels, or the saved model's loss), any name train's --loss takes (cross-entropy, mse, sparse_categorical_crossentropy, …), or none for the network alone",
            DefaultValueFactory = _ => "auto",
        };
        var batch = new Option<int>("--batch", "-b") { Description = "Rows in the drawn batch (of zeros; only the shapes show)", DefaultValueFactory = _ => 1 };
        var backward = new Option<bool>("--backward") { Description = "Also draw the backward pass: the ops that compute the gradients" };
        var format = new Option<string?>("--format", "-f") { Description = "dot, svg or png (default: from --output's extension, else dot); svg and png are rendered by Graphviz's dot" };
        var output = new Option<string?>("--output", "-o") { Description = "Output file (default graph.<format>); - writes the DOT text to standard output" };
        var dot = new Option<string?>("--dot") { Description = $"Graphviz's dot executable (default: ${Graphviz.EnvironmentVariable}, else dot on PATH)" };
        var command = new Command("graph", "Draw the graph of ops of a network and its loss (Graphviz DOT, SVG or PNG)")
        {
            model, layers, activation, dtype, loss, batch, backward, format, output, dot,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string? outputPath = parse.GetValue(output);
            string fmt = (parse.GetValue(format) ?? FormatOf(outputPath) ?? "dot").ToLowerInvariant();
            if (!Formats.Contains(fmt))
            {
                throw new CliException($"--format must be dot, svg or png, got '{parse.GetValue(format)}'");
            }

            outputPath ??= "graph." + fmt;
            if (outputPath == "-" && fmt != "dot")
            {
                throw new CliException($"--output - writes DOT text only; give a file name for --format {fmt}");
            }

            int rows = parse.GetValue(batch);
            if (rows <= 0)
            {
                throw new CliException($"--batch must be positive, got {rows}");
            }

            // Before any work: rendering needs dot, and saying so late would waste the user's time.
            string? dotExecutable = fmt == "dot" ? null
                : Graphviz.Find(parse.GetValue(dot) ?? Environment.GetEnvironmentVariable(Graphviz.EnvironmentVariable), Environment.GetEnvironmentVariable("PATH"), fmt);

            var (net, parameters, classification, trainedLoss) = parse.GetValue(model) is { } path
                ? Saved(path, parse.GetValue(layers), parse.GetValue(activation), parse.GetValue(dtype))
                : Fresh(parse.GetValue(layers) ?? "784-512-10", parse.GetValue(activation) ?? "sigmoid", parse.GetValue(dtype) ?? "float32");
            string lossName = parse.GetValue(loss)!.ToLowerInvariant();
            if (lossName == "auto")
            {
                lossName = trainedLoss is null or "auto" ? (classification ? "cross-entropy" : "mse") : trainedLoss.ToLowerInvariant();
            }

            var d = parameters.Leaves()[0].Value.DType;
            var inputs = new TensorTree { { "x", Tensor.Zeros([rows, net.Sizes[0]], d) } };
            string title;
            ComputationGraph graph;
            bool drawBackward = parse.GetValue(backward);
            if (lossName == "none")
            {
                title = $"{net}, batch of {rows}";
                graph = Graph.Record((p, data) => net.Apply(p, data["x"]), parameters, inputs, drawBackward);
            }
            else
            {
                var lossFn = LossChoice.Parse(lossName, classification);
                string targets = classification ? "labels" : "targets";
                inputs.Add(targets, classification ? Tensor.Zeros([rows], DType.Int32) : Tensor.Zeros([rows, net.Sizes[^1]], d));
                title = $"{net}, {lossName} loss, batch of {rows}";
                graph = Graph.Record((p, data) => lossFn(net.Apply(p, data["x"]), data[targets]), parameters, inputs, drawBackward);
            }

            string text = graph.ToDot(title + (drawBackward ? ", forward and backward" : ""));
            if (outputPath == "-")
            {
                console.Profile.Out.Writer.Write(text); // raw: the console would wrap long lines
                console.Profile.Out.Writer.Flush();
                return 0;
            }

            if (dotExecutable is null)
            {
                AtomicFile.WriteAllText(outputPath, text);
            }
            else
            {
                AtomicFile.WriteVia(outputPath, temp => Graphviz.Render(dotExecutable, text, fmt, temp));
            }

            int backwardOps = graph.Nodes.Count(n => n.IsBackward);
            console.MarkupLine($"wrote [bold]{Markup.Escape(outputPath)}[/]: {Markup.Escape(title)}; " +
                $"{graph.OpCount - backwardOps} forward ops{(drawBackward ? $", {backwardOps} backward ops" : "")}");
            return 0;
        }));
        return command;
    }

    private static string? FormatOf(string? path) => Path.GetExtension(path ?? "").ToLowerInvariant() switch
    {
        ".svg" => "svg",
        ".png" => "png",
        ".dot" or ".gv" => "dot",
        _ => null,
    };

    private static (Nn.Layers.Mlp Net, TensorTree Parameters, bool Classification, string? Loss) Saved(string path, string? layers, string? activation, string? dtype)
    {
        if (layers is not null || activation is not null || dtype is not null)
        {
            throw new CliException("--model describes its own network; leave out --layers, --activation and --dtype");
        }

        var saved = SavedModel.Load(path);

        // Every built-in dataset is a classification set; only a CSV one may be a regression, and train records which.
        bool classification = !(saved.Metadata.TryGetValue("csv_classification", out var c) && c == "false");
        return (saved.Network, saved.Parameters, classification, saved.Metadata.GetValueOrDefault("loss"));
    }

    private static (Nn.Layers.Mlp Net, TensorTree Parameters, bool Classification, string? Loss) Fresh(string layers, string activation, string dtype)
    {
        var spec = new ModelSpec(ModelSpec.ParseSizes(layers), activation, "xavier-uniform");
        long count = 0;
        for (int i = 0; i + 1 < spec.Sizes.Length; i++)
        {
            count += (long)spec.Sizes[i] * spec.Sizes[i + 1] + spec.Sizes[i + 1];
        }

        if (count > 200_000_000)
        {
            throw new CliException($"layer sizes {layers} need {count.ToString("N0", CultureInfo.InvariantCulture)} parameters; that is more than this command will allocate (200 million)");
        }

        var net = spec.Build();
        return (net, net.Init(new Generator(0), Options.ParseDType(dtype)), true, null);
    }
}
