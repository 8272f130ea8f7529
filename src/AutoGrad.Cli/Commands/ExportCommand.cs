using System.CommandLine;
using AutoGrad.Onnx;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary>
/// <c>autograd export</c>: a saved model as an ONNX file. The graph takes raw feature rows, as <c>predict</c> does: the
/// model's input standardization (Iris, CSV) is part of it, and a classifier gets a probabilities output beside its logits.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "A model.safetensors saved by train", Required = true };
        var onnx = new Option<string>("--onnx", "-o") { Description = "The ONNX file to write (replaced atomically if it exists)", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or float64 (default: the model's)" };
        var command = new Command("export", "Export a saved model as an ONNX file (opset 20), for ONNX Runtime and other tools") { model, onnx, dtype };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string target = parse.GetValue(onnx)!;
            if (target.Trim().Length == 0)
            {
                throw new CliException("--onnx needs a file name, e.g. model.onnx");
            }

            if (Directory.Exists(target))
            {
                throw new CliException($"--onnx {target} is a directory; give a file name, e.g. {Path.Combine(target, "model.onnx")}");
            }

            string? parent = Path.GetDirectoryName(Path.GetFullPath(target));
            if (parent is not null && !Directory.Exists(parent))
            {
                throw new CliException($"--onnx {target}: the directory {parent} does not exist");
            }

            DType? exportType = parse.GetValue(dtype) is { } text ? Options.ParseDType(text) : null;
            var saved = SavedModel.Load(parse.GetValue(model)!);
            var metadata = new Dictionary<string, string>();
            foreach (var key in new[] { "dataset", "sizes", "activation", "loss", "target" })
            {
                if (saved.Metadata.TryGetValue(key, out var value))
                {
                    metadata[key] = value;
                }
            }

            var options = new OnnxExportOptions
            {
                FeatureMean = saved.Mean,
                FeatureStd = saved.Std,
                ClassNames = saved.Classes,
                DType = exportType,
                Metadata = metadata,
            };
            OnnxExport.Save(saved.Network, saved.Parameters, target, options);

            var dims = $"[batch, {saved.Spec.Sizes[0]}]";
            console.MarkupLine($"Exported {Markup.Escape(saved.Network.ToString())} to [bold]{Markup.Escape(target)}[/] (ONNX opset {OnnxExport.Opset}, {(exportType ?? saved.DType).Name()})");
            console.WriteLine($"  input  '{options.InputName}' {dims}: raw features{(saved.Mean is null ? "" : ", standardized inside the graph with the model's training statistics")}");
            console.WriteLine($"  output '{options.OutputName}' [batch, {saved.Spec.Sizes[^1]}]: {(saved.Classes is null ? "the network's outputs" : "logits")}");
            if (saved.Classes is not null)
            {
                console.WriteLine($"  output '{options.ProbabilitiesName}' [batch, {saved.Spec.Sizes[^1]}]: softmax of the logits; class names in metadata 'classes'");
            }

            return 0;
        }));
        return command;
    }
}
