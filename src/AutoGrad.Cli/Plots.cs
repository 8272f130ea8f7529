using AutoGrad.Nn.Training;

namespace AutoGrad.Cli;

/// <summary>Training curves as PNG, with ScottPlot.</summary>
internal static class Plots
{
    /// <summary>Writes loss.png and, for classification, accuracy.png into <paramref name="directory"/>; returns the names written.</summary>
    public static List<string> SaveCurves(History history, string directory)
    {
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        Save(Path.Combine(directory, "loss.png"), "Loss", epochs, [("train", history.Epochs.Select(e => e.Loss).ToArray()),
            ("validation", history.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray())]);
        if (!history.Epochs.Any(e => e.Accuracy is not null))
        {
            return ["loss.png"];
        }

        Save(Path.Combine(directory, "accuracy.png"), "Accuracy", epochs, [("train", history.Epochs.Select(e => e.Accuracy ?? double.NaN).ToArray()),
            ("validation", history.Epochs.Select(e => e.ValidationAccuracy ?? double.NaN).ToArray())]);
        return ["loss.png", "accuracy.png"];
    }

    private static void Save(string path, string title, double[] xs, (string Label, double[] Ys)[] series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (label, ys) in series)
        {
            if (ys.All(double.IsNaN))
            {
                continue;
            }

            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = label;
        }

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(title.ToLowerInvariant());
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
    }
}
