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
    /// <remarks>
    /// <c>scaling</c> is a saved model's feature statistics: the data is then standardized with these instead of statistics
    /// recomputed from it, so that a model sees its inputs scaled as in training, whatever data it is evaluated on.
    /// </remarks>
    public static DataSource Load(string name, string? dataDir, string? csvPath, string? target, ulong seed, int? limitTrain, int? limitTest, TextWriter log,
        bool? classification = null, (float[] Mean, float[] Std)? scaling = null)
    {
        DataSource source = name.ToLowerInvariant() switch
        {
            "mnist" => Mnist(dataDir, log),
            "iris" => Split("iris", Datasets.Iris(), seed, scaling),
            "xor" => new DataSource("xor", Datasets.Xor(), Datasets.Xor(), null, null),
            "and" => new DataSource("and", Datasets.And(), Datasets.And(), null, null),
            "or" => new DataSource("or", Datasets.Or(), Datasets.Or(), null, null),
            "csv" => Split("csv", LoadCsv(csvPath, target, classification), seed, scaling),
            _ => throw new CliException($"unknown dataset '{name}'; choose one of: {string.Join(", ", Names)}"),
        };

        if (source.Mean is null && scaling is { } given)
        {
            if (given.Mean.Length != source.Train.FeatureCount)
            {
                throw new CliException($"the model standardizes {given.Mean.Length} features, but {source.Train.Name} has {source.Train.FeatureCount}");
            }

            source = new DataSource(source.Name, source.Train.Standardize(given.Mean, given.Std), source.Test.Standardize(given.Mean, given.Std), given.Mean, given.Std);
        }

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

    private static DataSource Split(string name, Dataset all, ulong seed, (float[] Mean, float[] Std)? scaling)
    {
        var (train, test) = all.Split(0.2, new Generator(seed ^ 0x5EED));
        if (scaling is { } given && given.Mean.Length != train.FeatureCount)
        {
            throw new CliException($"the model standardizes {given.Mean.Length} features, but {all.Name} has {train.FeatureCount}");
        }

        var (mean, std) = scaling ?? train.FeatureStatistics();
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
