using System.CommandLine;
using System.Globalization;
using AutoGrad.Nn.Training;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary><c>autograd predict</c>: outputs of a saved model for feature rows given on the command line or in a CSV file.</summary>
internal static class PredictCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "A model.safetensors saved by train", Required = true };
        var input = new Option<string[]>("--input", "-i") { Description = "A row of comma-separated features (repeatable)", AllowMultipleArgumentsPerToken = false };
        var csv = new Option<string?>("--csv") { Description = "A CSV file of feature rows (no target column), with a header" };
        var device = DeviceOption.Create();
        var command = new Command("predict", "Predict with a saved model") { model, input, csv, device };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            var onDevice = DeviceOption.Parse(parse.GetValue(device)!);
            var saved = SavedModel.Load(parse.GetValue(model)!);
            saved = saved with { Parameters = saved.Parameters.To(onDevice) };
            var rows = new List<float[]>();
            foreach (var text in parse.GetValue(input) ?? [])
            {
                rows.Add(ParseRow(text, "--input"));
            }

            if (parse.GetValue(csv) is { } path)
            {
                if (!File.Exists(path))
                {
                    throw new CliException($"CSV file not found: {path}");
                }

                rows.AddRange(File.ReadLines(path).Skip(1).Where(l => l.Trim().Length > 0).Select((l, i) => ParseRow(l, $"{path}:{i + 2}")));
            }

            if (rows.Count == 0)
            {
                throw new CliException("give feature rows with --input \"5.1,3.5,1.4,0.2\" or --csv <file>");
            }

            int features = saved.Spec.Sizes[0];
            var bad = rows.FindIndex(r => r.Length != features);
            if (bad >= 0)
            {
                throw new CliException($"row {bad + 1} has {rows[bad].Length} features; the model takes {features}");
            }

            var flat = rows.SelectMany(r => r.Select((v, c) => saved.Mean is null ? v : (v - saved.Mean[c]) / (saved.Std![c] == 0 ? 1 : saved.Std[c]))).ToArray();
            var x = saved.DType == DType.Float64 ? Tensor.FromArray(Array.ConvertAll(flat, v => (double)v), [rows.Count, features], onDevice) : Tensor.FromArray(flat, [rows.Count, features], onDevice);
            var outputs = saved.Network.Apply(saved.Parameters, x);
            var table = new Table().AddColumn("row");
            if (saved.Classes is { } classes)
            {
                var probabilities = outputs.Softmax(-1).ToDoubleArray();
                var predicted = Metrics.PredictedClasses(outputs);
                table.AddColumn("class").AddColumn(new TableColumn("probability").RightAligned());
                for (int r = 0; r < rows.Count; r++)
                {
                    // A NaN output has no arg-max: say so rather than print whichever class the NaN sat in.
                    bool none = predicted[r] == Metrics.NoPrediction;
                    table.AddRow((r + 1).ToString(CultureInfo.InvariantCulture), none ? "(none: the output is NaN)" : Markup.Escape(classes[predicted[r]]),
                        none ? "NaN" : probabilities[r * classes.Length + predicted[r]].ToString("F4", CultureInfo.InvariantCulture));
                }
            }
            else
            {
                var values = outputs.ToDoubleArray();
                int k = outputs.Shape[1];
                table.AddColumn("output");
                for (int r = 0; r < rows.Count; r++)
                {
                    table.AddRow((r + 1).ToString(CultureInfo.InvariantCulture), string.Join(", ", values.Skip(r * k).Take(k).Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
                }
            }

            console.Write(table);
            if (Metrics.NonFiniteRows(outputs) is var nonFinite and > 0)
            {
                console.MarkupLine($"[yellow]warning:[/] {nonFinite} of {rows.Count} row(s) gave non-finite outputs (NaN or ±Inf): extreme inputs, or a model that cannot be trusted on them");
            }

            return 0;
        }));
        AnomalyOption.AddTo(command);
        return command;
    }

    private static float[] ParseRow(string text, string where) => text.Split(',').Select(cell =>
        float.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)
            ? v
            : throw new CliException($"{where}: '{cell.Trim()}' is not a finite number")).ToArray();
}
