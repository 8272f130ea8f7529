using AutoGrad.Nn.Data;

namespace AutoGrad.Cli;

/// <summary>The training and test sets a command works on, resolved from --dataset and its companions.</summary>
internal sealed record DataSource(string Name, Dataset Train, Dataset Test, float[]? Mean, float[]? Std)
{
    public static readonly string[] Names = ["mnist", "iris", "xor", "and", "or", "csv"];

    /// <summary>
    /// Loads a dataset by name. MNIST comes from --data-dir or is fetched into the cache; Iris and CSV are
    /// split 80/20 with the seed and standardized with the training split's statistics; the truth tables
    /// are their own test sets.
    /// </summary>
    public static DataSource Load(string name, string? dataDir, string? csvPath, string? target, ulong seed, int? limitTrain, int? limitTest, TextWriter log, bool? classification = null)
    {
        DataSource source = name.ToLowerInvariant() switch
        {
            "mnist" => Mnist(dataDir, log),
            "iris" => Split("iris", Datasets.Iris(), seed),
            "xor" => new DataSource("xor", Datasets.Xor(), Datasets.Xor(), null, null),
            "and" => new DataSource("and", Datasets.And(), Datasets.And(), null, null),
            "or" => new DataSource("or", Datasets.Or(), Datasets.Or(), null, null),
            "csv" => Split("csv", LoadCsv(csvPath, target, classification), seed),
            _ => throw new CliException($"unknown dataset '{name}'; choose one of: {string.Join(", ", Names)}"),
        };

        return source with { Train = Limit(source.Train, limitTrain, "--limit-train"), Test = Limit(source.Test, limitTest, "--limit-test") };
    }

    private static DataSource Mnist(string? dataDir, TextWriter log)
    {
        string dir = dataDir ?? Nn.Data.Mnist.Fetch(log: log);
        if (!Directory.Exists(dir))
        {
            throw new CliException($"--data-dir {dir} does not exist");
        }

        var (train, test) = Nn.Data.Mnist.Load(dir);
        return new DataSource("mnist", train, test, null, null);
    }

    private static Dataset LoadCsv(string? path, string? target, bool? classification)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new CliException("--dataset csv needs --csv <file>");
        }

        return Csv.Load(path, target, classification);
    }

    private static DataSource Split(string name, Dataset all, ulong seed)
    {
        var (train, test) = all.Split(0.2, new Generator(seed ^ 0x5EED));
        var (mean, std) = train.FeatureStatistics();
        return new DataSource(name, train.Standardize(mean, std), test.Standardize(mean, std), mean, std);
    }

    private static Dataset Limit(Dataset data, int? limit, string option)
    {
        if (limit is null)
        {
            return data;
        }

        if (limit <= 0)
        {
            throw new CliException($"{option} must be positive, got {limit}");
        }

        return limit >= data.Count ? data : data.Subset(Enumerable.Range(0, limit.Value).ToArray());
    }
}
