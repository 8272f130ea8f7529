using System.CommandLine;
using System.Globalization;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Training;
using Spectre.Console;

namespace AutoGrad.Cli.Commands;

/// <summary><c>autograd evaluate</c>: test metrics and confusion matrix of a saved model.</summary>
internal static class EvaluateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "A model.safetensors saved by train", Required = true };
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Dataset (default: the one the model was trained on)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory with the four MNIST IDX files" };
        var csv = new Option<string?>("--csv") { Description = "CSV file for --dataset csv" };
        var target = new Option<string?>("--target") { Description = "Target column of the CSV file" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed fixing the Iris/CSV test split (default: the one the model was trained with)" };
        var limitTest = new Option<int?>("--limit-test") { Description = "Use only the first N test rows" };
        var device = DeviceOption.Create();
        var command = new Command("evaluate", "Evaluate a saved model on a test set") { model, dataset, dataDir, csv, target, seed, limitTest, device };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            var onDevice = DeviceOption.Parse(parse.GetValue(device)!);
            var saved = SavedModel.Load(parse.GetValue(model)!);
            saved = saved with { Parameters = saved.Parameters.To(onDevice) };
            string name = parse.GetValue(dataset) ?? saved.Dataset ?? throw new CliException("the model does not say which dataset it was trained on; pass --dataset");
            var m = saved.Metadata;
            ulong s = parse.GetValue(seed) ?? (m.TryGetValue("seed", out var seedText) && ulong.TryParse(seedText, CultureInfo.InvariantCulture, out var v) ? v : 0UL);
            bool? classes = m.TryGetValue("csv_classification", out var c) ? c == "true" : null;
            var source = DataSource.Load(name, parse.GetValue(dataDir), parse.GetValue(csv) ?? m.GetValueOrDefault("csv"), parse.GetValue(target) ?? m.GetValueOrDefault("target"), s,
                null, parse.GetValue(limitTest), new ConsoleLog(console), classes, saved.Mean is null ? null : (saved.Mean, saved.Std!));
            source = source with { Test = InModelClasses(saved, source.Test) };
            saved.Spec.Validate(source.Test);
            var loss = LossChoice.Parse(m.GetValueOrDefault("loss", "auto"), source.Test.IsClassification);
            var (testLoss, accuracy) = Trainer.Evaluate((p, x) => saved.Network.Apply(p, x), saved.Parameters, (o, y) => loss(o, y), source.Test, saved.DType);
            var outputs = Trainer.Predict((p, x) => saved.Network.Apply(p, x), saved.Parameters, source.Test, saved.DType);
            int nonFinite = Metrics.NonFiniteRows(outputs);
            console.Write(Reports.Metrics($"{saved.Network} on {source.Test.Name}",
            [
                ("rows", source.Test.Count.ToString(CultureInfo.InvariantCulture)),
                ("loss", Reports.Num(testLoss)),
                ("accuracy", Reports.Pct(accuracy)),
                .. nonFinite > 0 ? [("rows with non-finite outputs (counted as wrong)", nonFinite.ToString(CultureInfo.InvariantCulture))] : Array.Empty<(string, string)>(),
            ]));
            if (source.Test.IsClassification)
            {
                console.Write(Reports.Confusion(Metrics.ConfusionMatrix(outputs, source.Test.Targets(), source.Test.ClassCount), source.Test.ClassNames));
            }

            return 0;
        }));
        AnomalyOption.AddTo(command);
        return command;
    }

    /// <summary>
    /// The test set with its labels numbered as the model numbers its classes: a CSV's classes are numbered in the order
    /// they first appear, so the same classes in another file (or a file with only some of them) would otherwise be
    /// scored against the wrong outputs.
    /// </summary>
    private static Dataset InModelClasses(SavedModel saved, Dataset test)
    {
        if (saved.Classes is not { } classes)
        {
            return test;
        }

        if (!test.IsClassification)
        {
            throw new CliException($"the model classifies into {classes.Length} classes, but {test.Name} has numeric targets; pass --classification data or the model's dataset");
        }

        if (test.ClassNames is not { } names || names.SequenceEqual(classes))
        {
            return test;
        }

        var index = new int[names.Count];
        for (int c = 0; c < names.Count; c++)
        {
            index[c] = Array.IndexOf(classes, names[c]);
            if (index[c] < 0)
            {
                throw new CliException($"{test.Name} has the class '{names[c]}', which the model does not know (its classes: {string.Join(", ", classes.Select(n => $"'{n}'"))})");
            }
        }

        var labels = test.Labels.Select(l => index[l]).ToArray();
        return Dataset.Classification(test.Name, test.Features().ToFloatArray(), test.FeatureCount, labels, classes);
    }
}
