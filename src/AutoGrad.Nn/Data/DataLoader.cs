namespace AutoGrad.Nn.Data;

/// <summary>
/// One batch: features [b, f] and labels int32 [b] or targets [b, t]. A tree (<see cref="ITree{TSelf}"/>), so a transform
/// or compiled step takes it as an argument: <c>ValueAndGrad((TensorTree p, Batch b) => ...)(parameters, batch)</c>.
/// </summary>
/// <param name="X">Features.</param>
/// <param name="Y">Labels or targets.</param>
public sealed record Batch(Tensor X, Tensor Y) : ITree<Batch>
{
    /// <inheritdoc/>
    public void Flatten(TreeWriter leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        leaves.Add(X);
        leaves.Add(Y);
    }

    /// <inheritdoc/>
    public Batch Unflatten(TreeReader leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        return new(leaves.Next(X), leaves.Next(Y));
    }
}

/// <summary>
/// Batches over a dataset. With shuffling, each pass draws a fresh permutation from the generator
/// (sampling without replacement), so the same seed gives the same batches run after run.
/// A batch size of 1 is true SGD; a batch size of the whole set is full-batch training.
/// </summary>
public sealed class DataLoader
{
    /// <summary>
    /// Creates a loader; <paramref name="generator"/> is required when <paramref name="shuffle"/> is true. Batches are made
    /// on <paramref name="device"/> (the CPU by default).
    /// </summary>
    public DataLoader(Dataset dataset, int batchSize, bool shuffle = false, Generator? generator = null, bool dropLast = false, DType dtype = DType.Float32,
        Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "DataLoader: the batch size must be positive");
        }

        if (shuffle && generator is null)
        {
            throw new ArgumentException("DataLoader: shuffling needs a seeded generator", nameof(generator));
        }

        Dataset = dataset;
        BatchSize = Math.Min(batchSize, Math.Max(1, dataset.Count));
        Shuffle = shuffle;
        Generator = generator;
        DropLast = dropLast;
        DType = dtype;
        Device = device ?? Device.Cpu;
    }

    /// <summary>The device the batches are made on.</summary>
    public Device Device { get; }

    /// <summary>The data.</summary>
    public Dataset Dataset { get; }

    /// <summary>Rows per batch (the last may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each pass visits the rows in a fresh random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The random source for shuffling.</summary>
    public Generator? Generator { get; }

    /// <summary>Whether a final, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The float dtype of the batches.</summary>
    public DType DType { get; }

    /// <summary>Batches per pass.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>One pass over the data (an epoch).</summary>
    public IEnumerable<Batch> Epoch()
    {
        var order = Shuffle ? Generator!.Permutation(Dataset.Count) : Enumerable.Range(0, Dataset.Count).ToArray();
        for (int b = 0; b < BatchCount; b++)
        {
            int start = b * BatchSize;
            int end = Math.Min(start + BatchSize, Dataset.Count);
            var (x, y) = Dataset.Rows(order[start..end], DType, Device);
            yield return new Batch(x, y);
        }
    }
}
