namespace AutoGrad.Nn.Data;

/// <summary>
/// A dataset held on the host (the arrays passed to the factories are owned by it from then on): n rows of float features, and either integer class labels
/// (classification) or float targets (regression). Tensors are made per batch by <see cref="DataLoader"/>,
/// or for the whole set by <see cref="Features"/> and <see cref="Targets"/>.
/// </summary>
public sealed class Dataset
{
    private readonly float[] _x;
    private readonly int[]? _labels;
    private readonly float[]? _y;
    private readonly int _classCount;

    private Dataset(string name, float[] x, int count, int featureCount, int[]? labels, float[]? y, int targetCount, IReadOnlyList<string>? classNames, int classCount = 0)
    {
        _classCount = classCount;
        Name = name;
        _x = x;
        Count = count;
        FeatureCount = featureCount;
        _labels = labels;
        _y = y;
        TargetCount = targetCount;
        ClassNames = classNames;
    }

    /// <summary>A short name for messages, e.g. <c>mnist-train</c>.</summary>
    public string Name { get; }

    /// <summary>The number of rows.</summary>
    public int Count { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>True when the rows carry class labels rather than float targets.</summary>
    public bool IsClassification => _labels is not null;

    /// <summary>The number of classes (0 for regression).</summary>
    public int ClassCount => _classCount;

    /// <summary>Class names where known (e.g. Iris species), else null.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Target values per row for regression (0 for classification).</summary>
    public int TargetCount { get; }

    /// <summary>A classification dataset: features [count, featureCount] in row-major order and one label per row.</summary>
    public static Dataset Classification(string name, float[] features, int featureCount, int[] labels, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        int count = labels.Length;
        Check(name, features, featureCount, count);
        int classes = classNames?.Count ?? int.MaxValue;
        int bad = Array.FindIndex(labels, l => l < 0 || l >= classes);
        if (bad >= 0)
        {
            throw new ArgumentException($"Dataset '{name}': label {labels[bad]} at row {bad} is outside the {classes} classes");
        }

        int classCount = classNames?.Count ?? (labels.Length == 0 ? 0 : labels.Max() + 1);
        return new Dataset(name, features, count, featureCount, labels, null, 0, classNames, classCount);
    }

    /// <summary>A regression dataset: features [count, featureCount] and targets [count, targetCount], row-major.</summary>
    public static Dataset Regression(string name, float[] features, int featureCount, float[] targets, int targetCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (targetCount <= 0 || targets.Length % targetCount != 0)
        {
            throw new ArgumentException($"Dataset '{name}': {targets.Length} target values do not make rows of {targetCount}");
        }

        int count = targets.Length / targetCount;
        Check(name, features, featureCount, count);
        int badTarget = Array.FindIndex(targets, v => !float.IsFinite(v));
        if (badTarget >= 0)
        {
            throw new ArgumentException($"Dataset '{name}': target value {targets[badTarget]} at row {badTarget / targetCount} is not finite");
        }

        return new Dataset(name, features, count, featureCount, null, targets, targetCount, null);
    }

    private static void Check(string name, float[] features, int featureCount, int count)
    {
        if (featureCount <= 0 || features.Length != (long)count * featureCount)
        {
            throw new ArgumentException($"Dataset '{name}': {features.Length} feature values do not make {count} rows of {featureCount}");
        }

        int bad = Array.FindIndex(features, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ArgumentException($"Dataset '{name}': feature value {features[bad]} at row {bad / featureCount}, column {bad % featureCount} is not finite");
        }
    }

    /// <summary>All features as a tensor [count, featureCount].</summary>
    public Tensor Features(DType dtype = DType.Float32) => Rows(Enumerable.Range(0, Count).ToArray(), dtype).X;

    /// <summary>All labels (int32 [count]) or targets ([count, targetCount]).</summary>
    public Tensor Targets(DType dtype = DType.Float32) => Rows(Enumerable.Range(0, Count).ToArray(), dtype).Y;

    /// <summary>The labels of a classification dataset.</summary>
    public IReadOnlyList<int> Labels => _labels ?? throw new InvalidOperationException($"Dataset '{Name}' is a regression dataset; it has targets, not labels");

    /// <summary>
    /// The rows at <paramref name="indices"/>, as tensors on <paramref name="device"/> (the CPU by default): features
    /// [k, f] and labels int32 [k] or targets [k, t].
    /// </summary>
    public (Tensor X, Tensor Y) Rows(int[] indices, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indices);

        // Gather into a rented array and copy once into the tensor's (pooled) buffer: a fresh batch-sized
        // array per step would be a large-object allocation every step of training.
        int length = indices.Length * FeatureCount;
        var x = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, length));
        Tensor xs;
        try
        {
            for (int r = 0; r < indices.Length; r++)
            {
                int i = indices[r];
                if ((uint)i >= (uint)Count)
                {
                    throw new ArgumentOutOfRangeException(nameof(indices), $"Dataset '{Name}': row {i} is outside 0..{Count - 1}");
                }

                Array.Copy(_x, (long)i * FeatureCount, x, (long)r * FeatureCount, FeatureCount);
            }

            xs = ToTensor(x.AsSpan(0, length), [indices.Length, FeatureCount], dtype, device);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(x);
        }

        if (_labels is not null)
        {
            return (xs, Tensor.FromArray(indices.Select(i => _labels[i]).ToArray(), device: device));
        }

        var y = new float[indices.Length * TargetCount];
        for (int r = 0; r < indices.Length; r++)
        {
            Array.Copy(_y!, (long)indices[r] * TargetCount, y, (long)r * TargetCount, TargetCount);
        }

        return (xs, ToTensor(y, [indices.Length, TargetCount], dtype, device));
    }

    private static Tensor ToTensor(ReadOnlySpan<float> values, int[] shape, DType dtype, Device? device) =>
        dtype == DType.Float32 ? Tensor.FromSpan(values, shape, device) : Tensor.FromArray(values.ToArray().Select(v => (double)v).ToArray(), shape, device);

    /// <summary>A new dataset of the rows at <paramref name="indices"/>.</summary>
    public Dataset Subset(int[] indices, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var x = new float[indices.Length * FeatureCount];
        for (int r = 0; r < indices.Length; r++)
        {
            Array.Copy(_x, (long)indices[r] * FeatureCount, x, (long)r * FeatureCount, FeatureCount);
        }

        name ??= Name;
        if (_labels is not null)
        {
            return new Dataset(name, x, indices.Length, FeatureCount, indices.Select(i => _labels[i]).ToArray(), null, 0, ClassNames, _classCount);
        }

        var y = new float[indices.Length * TargetCount];
        for (int r = 0; r < indices.Length; r++)
        {
            Array.Copy(_y!, (long)indices[r] * TargetCount, y, (long)r * TargetCount, TargetCount);
        }

        return new Dataset(name, x, indices.Length, FeatureCount, null, y, TargetCount, null);
    }

    /// <summary>
    /// Splits off a fraction of the rows (shuffled by <paramref name="generator"/>) as a second set, e.g.
    /// a validation split: returns (remaining rows, split-off rows).
    /// </summary>
    public (Dataset Remaining, Dataset Split) Split(double fraction, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"Dataset '{Name}': the split fraction must be in (0, 1)");
        }

        var order = generator.Permutation(Count);
        int k = (int)Math.Round(Count * fraction);
        if (k == 0 || k == Count)
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"Dataset '{Name}': splitting {fraction} of {Count} rows leaves one side empty");
        }

        return (Subset(order[k..], Name + "-train"), Subset(order[..k], Name + "-split"));
    }

    /// <summary>Per-column mean and standard deviation, for standardizing features.</summary>
    public (float[] Mean, float[] Std) FeatureStatistics()
    {
        var mean = new double[FeatureCount];
        var sq = new double[FeatureCount];
        for (int r = 0; r < Count; r++)
        {
            for (int c = 0; c < FeatureCount; c++)
            {
                double v = _x[(long)r * FeatureCount + c];
                mean[c] += v;
                sq[c] += v * v;
            }
        }

        var m = mean.Select(v => (float)(v / Count)).ToArray();
        var s = sq.Select((v, c) => (float)Math.Sqrt(Math.Max(v / Count - (mean[c] / Count) * (mean[c] / Count), 0))).ToArray();
        return (m, s);
    }

    /// <summary>A copy with every feature column shifted and scaled: (x − mean) / std (std 0 is taken as 1).</summary>
    public Dataset Standardize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != FeatureCount || std.Length != FeatureCount)
        {
            throw new ArgumentException($"Dataset '{Name}': statistics for {mean.Length} columns, the data has {FeatureCount}");
        }

        var x = new float[_x.Length];
        for (int k = 0; k < x.Length; k++)
        {
            int c = k % FeatureCount;
            x[k] = (_x[k] - mean[c]) / (std[c] == 0 ? 1 : std[c]);
        }

        return new Dataset(Name, x, Count, FeatureCount, _labels, _y, TargetCount, ClassNames, _classCount);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Count} rows × {FeatureCount} features, " + (IsClassification ? $"{ClassCount} classes" : $"{TargetCount} target(s)");
}
