using System.Globalization;
using Spectre.Console;

namespace AutoGrad.Cli;

/// <summary>Tables for the terminal: metrics and confusion matrices.</summary>
internal static class Reports
{
    public static Table Metrics(string title, IEnumerable<(string Name, string Value)> rows)
    {
        var table = new Table().Title(title).AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in rows)
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(value));
        }

        return table;
    }

    public static Table Confusion(int[,] matrix, IReadOnlyList<string>? names)
    {
        int k = matrix.GetLength(0);
        string Name(int i) => names is not null && i < names.Count ? names[i] : i.ToString(CultureInfo.InvariantCulture);
        var table = new Table().Title("confusion matrix (rows: true, columns: predicted)").AddColumn("");
        for (int j = 0; j < k; j++)
        {
            table.AddColumn(new TableColumn(Markup.Escape(Name(j))).RightAligned());
        }

        for (int i = 0; i < k; i++)
        {
            var cells = new List<string> { $"[bold]{Markup.Escape(Name(i))}[/]" };
            for (int j = 0; j < k; j++)
            {
                string v = matrix[i, j].ToString(CultureInfo.InvariantCulture);
                cells.Add(i == j ? $"[green]{v}[/]" : matrix[i, j] == 0 ? $"[grey]{v}[/]" : v);
            }

            table.AddRow(cells.ToArray());
        }

        return table;
    }

    public static string Pct(double? v) => v is null ? "–" : (100 * v.Value).ToString("F2", CultureInfo.InvariantCulture) + " %";

    public static string Num(double? v) => v?.ToString("G5", CultureInfo.InvariantCulture) ?? "–";
}
