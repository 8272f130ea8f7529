using System.Globalization;
using System.Text.Json;
using AutoGrad.Nn.Layers;

namespace AutoGrad.Cli;

/// <summary>
/// The string metadata that <c>train</c> stores beside a model's parameters, written and read with one set of rules:
/// lists (class names, feature statistics) are JSON arrays, so a class name may hold commas, quotes or any other
/// text; every value read back is checked, and a bad one is an <see cref="InvalidDataException"/> naming the file
/// and the metadata field.
/// </summary>
internal static class ModelMetadata
{
    public static string Json(IEnumerable<string> values) => JsonSerializer.Serialize(values.ToArray());

    public static string Json(IEnumerable<float> values) => JsonSerializer.Serialize(values.ToArray());

    public static InvalidDataException Bad(string path, string key, string detail) =>
        new($"{path}: model metadata '{key}' {detail}");

    /// <summary>A list of strings: a JSON array, or the comma-separated form of models saved before lists were JSON.</summary>
    public static string[]? Strings(string path, IReadOnlyDictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            return null;
        }

        if (!text.StartsWith('['))
        {
            return text.Split(','); // the earlier format, which cannot hold a comma in a name
        }

        try
        {
            var values = JsonSerializer.Deserialize<string?[]>(text);
            if (values is null || values.Any(v => v is null))
            {
                throw Bad(path, key, "must be a JSON array of strings");
            }

            return values!;
        }
        catch (JsonException e)
        {
            throw Bad(path, key, $"is not a JSON array of strings ({e.Message})");
        }
    }

    /// <summary>A list of finite numbers: a JSON array, or the earlier comma-separated form.</summary>
    public static float[]? Floats(string path, IReadOnlyDictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            return null;
        }

        string[] cells;
        if (text.StartsWith('['))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind != JsonValueKind.Array)
                {
                    throw Bad(path, key, "must be a JSON array of numbers");
                }

                cells = doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetRawText() : throw Bad(path, key, $"must hold numbers, got {e.GetRawText()}")).ToArray();
            }
            catch (JsonException e)
            {
                throw Bad(path, key, $"is not a JSON array of numbers ({e.Message})");
            }
        }
        else
        {
            cells = text.Split(',');
        }

        var values = new float[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            if (!float.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                throw Bad(path, key, $"entry {i} is '{cells[i]}', not a finite number (a model with it would predict NaN)");
            }
        }

        return values;
    }

    /// <summary>A value that must be one of <paramref name="allowed"/> (compared without case) when present.</summary>
    public static string? OneOf(string path, IReadOnlyDictionary<string, string> metadata, string key, IEnumerable<string> allowed)
    {
        if (!metadata.TryGetValue(key, out var value))
        {
            return null;
        }

        var names = allowed.ToArray();
        return names.Contains(value.ToLowerInvariant()) ? value : throw Bad(path, key, $"is '{value}'; expected one of {string.Join(", ", names)}");
    }

    /// <summary>Layer sizes, hidden activation and initializer, each checked.</summary>
    public static ModelSpec Spec(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("sizes", out var sizesText) || !metadata.TryGetValue("activation", out var activation))
        {
            throw new InvalidDataException($"{path} has no model description (metadata 'sizes' and 'activation'); was it saved by `autograd train`?");
        }

        int[] sizes;
        try
        {
            sizes = ModelSpec.ParseSizes(sizesText);
        }
        catch (CliException e)
        {
            throw Bad(path, "sizes", $"is invalid: {e.Message}");
        }

        bool known;
        try
        {
            known = Activation.Parse(activation) != Activation.Step;
        }
        catch (ArgumentException)
        {
            known = false;
        }

        if (!known)
        {
            throw Bad(path, "activation", $"is '{activation}'; expected a trainable activation: {string.Join(", ", Activation.Names.Where(n => n != "step"))}");
        }

        string init = metadata.GetValueOrDefault("init", "xavier-uniform");
        try
        {
            Nn.Init.Initializers.Parse(init);
        }
        catch (ArgumentException e)
        {
            throw Bad(path, "init", $"is invalid: {e.Message}");
        }

        return new ModelSpec(sizes, activation, init);
    }
}
