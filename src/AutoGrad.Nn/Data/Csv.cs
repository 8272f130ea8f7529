using System.Globalization;

namespace AutoGrad.Nn.Data;

/// <summary>Loads a dataset from a comma-separated file: numeric feature columns and one target column.</summary>
public static class Csv
{
    /// <summary>
    /// Reads <paramref name="path"/>. The target is the column named <paramref name="target"/> (header
    /// name or 0-based index; default the last column). If any target value is not a number the set is a
    /// classification set with classes in order of first appearance, otherwise a regression set — unless
    /// <paramref name="classification"/> says otherwise (integer targets 0..k−1 as classes).
    /// </summary>
    public static Dataset Load(string path, string? target = null, bool? classification = null, bool hasHeader = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CSV file not found: {path}", path);
        }

        return Parse(File.ReadAllLines(path), Path.GetFileNameWithoutExtension(path), target, classification, hasHeader, path);
    }

    /// <summary>Splits one CSV line into trimmed fields, honouring double quotes (RFC 4180: "a,b" and "" inside quotes).</summary>
    internal static string[] SplitFields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString().Trim());
        return fields.ToArray();
    }

    /// <summary>Parses CSV lines (see <see cref="Load"/>); <paramref name="source"/> names them in messages.</summary>
    public static Dataset Parse(IEnumerable<string> lines, string name, string? target = null, bool? classification = null, bool hasHeader = true, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(lines);
        source ??= name;
        var rows = lines.Select((l, i) => (Line: i + 1, Cells: SplitFields(l)))
            .Where(r => !(r.Cells.Length == 1 && r.Cells[0].Length == 0))
            .ToList();
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"{source}: empty CSV");
        }

        string[] header = hasHeader ? rows[0].Cells : Enumerable.Range(0, rows[0].Cells.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var data = hasHeader ? rows.Skip(1).ToList() : rows;
        int columns = header.Length;
        if (columns < 2)
        {
            throw new InvalidDataException($"{source}: needs at least one feature column and a target column");
        }

        int t = target is null ? columns - 1 :
            Array.IndexOf(header, target) is int named and >= 0 ? named :
            int.TryParse(target, out int index) && index >= 0 && index < columns ? index :
            throw new ArgumentException($"{source}: no column '{target}' (columns: {string.Join(", ", header)})", nameof(target));
        foreach (var (line, cells) in data)
        {
            if (cells.Length != columns)
            {
                throw new InvalidDataException($"{source}:{line}: {cells.Length} values, the header has {columns}");
            }
        }

        if (data.Count == 0)
        {
            throw new InvalidDataException($"{source}: no data rows");
        }

        var features = new float[data.Count * (columns - 1)];
        for (int r = 0; r < data.Count; r++)
        {
            int k = 0;
            for (int c = 0; c < columns; c++)
            {
                if (c == t)
                {
                    continue;
                }

                if (!float.TryParse(data[r].Cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                {
                    throw new InvalidDataException($"{source}:{data[r].Line}: column '{header[c]}' has '{data[r].Cells[c]}', not a finite number");
                }

                features[r * (columns - 1) + k++] = v;
            }
        }

        var targets = data.Select(d => d.Cells[t]).ToArray();
        var isNumber = targets.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x)).ToArray();
        bool numeric = isNumber.All(b => b);
        int firstText = Array.IndexOf(isNumber, false), firstNumber = Array.IndexOf(isNumber, true);
        if (!numeric && firstNumber >= 0 && classification != true)
        {
            // A mostly numeric column with a stray text cell ("", NA, inf) is an error, not hundreds of classes.
            throw new InvalidDataException($"{source}:{data[firstText].Line}: target column '{header[t]}' has '{targets[firstText]}' among numbers (row {data[firstNumber].Line} has '{targets[firstNumber]}'); fix the cell, or pass classification to treat every value as a class name");
        }

        bool isClassification = classification ?? !numeric;
        if (isClassification && numeric)
        {
            int fractional = Array.FindIndex(targets, v => double.Parse(v, CultureInfo.InvariantCulture) is var d && d != Math.Floor(d));
            if (fractional >= 0)
            {
                throw new InvalidDataException($"{source}:{data[fractional].Line}: class label '{targets[fractional]}' is not a whole number");
            }
        }

        if (isClassification)
        {
            var classes = numeric
                ? targets.Select(v => (int)double.Parse(v, CultureInfo.InvariantCulture)).Distinct().OrderBy(v => v).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToList()
                : targets.Distinct().ToList();
            var labels = targets.Select(v => numeric ? classes.IndexOf(((int)double.Parse(v, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture)) : classes.IndexOf(v)).ToArray();
            return Dataset.Classification(name, features, columns - 1, labels, classes);
        }

        var y = targets.Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        int overflow = Array.FindIndex(y, v => !float.IsFinite(v));
        if (overflow >= 0)
        {
            throw new InvalidDataException($"{source}:{data[overflow].Line}: target '{targets[overflow]}' is not finite in float32");
        }

        return Dataset.Regression(name, features, columns - 1, y, 1);
    }
}
