using AutoGrad.Nn.Training;

namespace AutoGrad.Cli;

/// <summary>Training curves as PNG, with ScottPlot, written atomically.</summary>
internal static class Plots
{
    public static void SaveCurves(History history, string lossPath, string accuracyPath)
    {
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        Save(lossPath, "Loss", epochs, [("train", history.Epochs.Select(e => e.Loss).ToArray()),
            ("validation", history.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray())]);
        if (history.Epochs.Any(e => e.Accuracy is not null))
        {
            Save(accuracyPath, "Accuracy", epochs, [("train", history.Epochs.Select(e => e.Accuracy ?? double.NaN).ToArray()),
                ("validation", history.Epochs.Select(e => e.ValidationAccuracy ?? double.NaN).ToArray())]);
        }
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
        Files.WriteAtomically(path, temp => plot.SavePng(temp, 800, 500));
    }
}
