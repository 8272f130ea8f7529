using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary>
/// <c>autograd gradcheck</c>: the gradient of a model's loss on real data, by <c>Grad</c>, against central
/// differences in float64, parameter by parameter.
/// </summary>
internal static class GradCheckCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "mnist, iris, xor, and, or or csv", DefaultValueFactory = _ => "iris" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory with the four MNIST IDX files" };
        var csv = new Option<string?>("--csv") { Description = "CSV file for --dataset csv" };
        var target = new Option<string?>("--target") { Description = "Target column of the CSV file" };
        var layers = new Option<string?>("--layers", "-l") { Description = "Layer sizes (default depends on the dataset; keep them small: every parameter is perturbed)" };
        var activation = new Option<string>("--activation", "-a") { Description = "Hidden activation", DefaultValueFactory = _ => "tanh" };
        var loss = new Option<string>("--loss") { Description = "Loss (see train)", DefaultValueFactory = _ => "auto" };
        var samples = new Option<int>("--samples", "-n") { Description = "Training rows in the checked batch", DefaultValueFactory = _ => 8 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL, Description = "Seed for the parameters" };
        var command = new Command("gradcheck", "Check a model's gradients on real data against finite differences") { dataset, dataDir, csv, target, layers, activation, loss, samples, seed };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            int n = parse.GetValue(samples);
            if (n <= 0)
            {
                throw new CliException($"--samples must be positive, got {n}");
            }

            var source = DataSource.Load(parse.GetValue(dataset)!, parse.GetValue(dataDir), parse.GetValue(csv), parse.GetValue(target), parse.GetValue(seed), n, 1, new ConsoleLog(console));
            var spec = new ModelSpec(parse.GetValue(layers) is { } text ? ModelSpec.ParseSizes(text) : ModelSpec.DefaultSizes(source.Train) is var d && d[0] == 784 ? [784, 16, 10] : d,
                parse.GetValue(activation)!, "xavier-uniform");
            spec.Validate(source.Train);
            var net = spec.Build();
            var lossFn = LossChoice.Parse(parse.GetValue(loss)!, source.Train.IsClassification);
            var p = net.Init(new Generator(parse.GetValue(seed)), DType.Float64);
            var (x, y) = source.Train.Rows(Enumerable.Range(0, source.Train.Count).ToArray(), DType.Float64);
            var leaves = p.Leaves();
            console.MarkupLine($"checking [bold]{Markup.Escape(net.ToString())}[/] on {source.Train.Count} rows of {Markup.Escape(source.Name)} (float64, {leaves.Sum(l => l.Value.Size):N0} parameters)…");
            var result = Numerical.GradCheck(ws => lossFn(net.Apply(p.WithLeaves(ws), x), y), leaves.Select(l => l.Value).ToArray());
            var table = new Table().AddColumn("parameter").AddColumn("shape").AddColumn(new TableColumn("max abs error").RightAligned())
                .AddColumn(new TableColumn("max rel error").RightAligned()).AddColumn("worst entry").AddColumn("");
            foreach (var r in result.Inputs)
            {
                table.AddRow(Markup.Escape(leaves[r.Input].Path), Markup.Escape(r.Shape.ToString()), r.MaxAbsError.ToString("E2", CultureInfo.InvariantCulture),
                    r.MaxRelError.ToString("E2", CultureInfo.InvariantCulture), Markup.Escape($"[{string.Join(",", r.WorstInputIndex)}]"),
                    r.Passed ? "[green]ok[/]" : "[red]FAIL[/]");
            }

            console.Write(table);
            console.MarkupLine(result.Passed ? "[green]gradients agree with central differences[/] (atol 1e-5, rtol 1e-3)" : "[red]gradient check failed[/]");
            return result.Passed ? 0 : 3;
        }));
        return command;
    }
}
