using System.Globalization;
using AutoGrad.Nn.Data;

namespace AutoGrad.Nn.Training;

/// <summary>
/// <see cref="Trainer.Fit"/>'s data-parallel part over an <see cref="IDataParallel"/> group: the start-up checks and broadcast,
/// each step's shard, gradient and all-reduce, and the end-of-epoch check that the ranks still hold the same parameters.
/// </summary>
/// <remarks>
/// Each step packs this rank's gradients, then its loss sum, correct count and row count, into one buffer of float64 and
/// sums it with one all-reduce. When every rank has the same number of rows, the gradients are summed as they are and
/// divided by the number of ranks; otherwise (a last, short batch) each is weighted by its row count and the sum divided by
/// the batch's rows, so that the result is the whole batch's mean gradient either way. With one rank the gradient is the
/// single-process one bit for bit; with several it differs from it by round-off only (the batch's rows are summed in a
/// different order), see docs/distributed.md.
/// </remarks>
internal sealed class DataParallelRun
{
    private const int Extras = 3; // loss · rows, correct, rows
    private readonly IDataParallel _group;
    private readonly ModelFunction _model;
    private readonly LossFunction _loss;
    private readonly int _gradientLength;
    private readonly double[] _buffer;
    private readonly Scratch _scratch;
    private Func<TensorTree, Batch, TensorTree>? _compiled;

    private DataParallelRun(IDataParallel group, ModelFunction model, LossFunction loss, TensorTree parameters, bool compile)
    {
        _group = group;
        _model = model;
        _loss = loss;
        _gradientLength = checked((int)parameters.Leaves().Sum(l => (long)l.Value.Size));
        _buffer = new double[_gradientLength + Extras];
        _scratch = new Scratch(parameters.Leaves().Max(l => l.Value.Size));
        if (compile)
        {
            _compiled = Transforms.Jit((TensorTree p, Batch b) =>
            {
                var (value, grads, outputs) = Trainer.Gradients(model, loss, p, b);
                return new TensorTree { { "loss", value }, { "grads", grads }, { "outputs", outputs } };
            });
        }
    }

    /// <summary>This rank.</summary>
    public int Rank => _group.Rank;

    /// <summary>
    /// Checks that every rank runs the same configuration, then replaces <paramref name="parameters"/> and
    /// <paramref name="state"/> by rank 0's (new trees; the ones passed in are not modified).
    /// </summary>
    public static DataParallelRun Start(IDataParallel group, ModelFunction model, LossFunction loss, TrainOptions options, Dataset train,
        Dataset? validation, ref TensorTree parameters, ref TensorTree state)
    {
        if (group.Size < 1 || group.Rank < 0 || group.Rank >= group.Size)
        {
            throw new ArgumentException($"Trainer (data-parallel): the group reports rank {group.Rank} of {group.Size} ranks; a rank must be in [0, size)");
        }

        CheckSameConfiguration(group, options, train, validation, parameters, state);
        if (options.BatchSize % group.Size != 0)
        {
            int below = options.BatchSize - (options.BatchSize % group.Size);
            throw new ArgumentException(
                $"Trainer (data-parallel, rank {group.Rank} of {group.Size}): the batch size {options.BatchSize} is not divisible by the number of ranks {group.Size}; " +
                $"each rank takes an equal share of every batch, so use a multiple of {group.Size}, e.g. {(below > 0 ? $"{below} or " : "")}{below + group.Size}");
        }

        parameters = BroadcastTree(group, parameters);
        state = BroadcastTree(group, state);
        return new DataParallelRun(group, model, loss, parameters, options.Compile);
    }

    /// <summary>
    /// One step's gradient: this rank's contiguous share of the global <paramref name="batch"/>, its loss and gradient, and one
    /// all-reduce. Returns the whole batch's mean loss and gradient, its rows and (for classification) its correct count.
    /// </summary>
    public (double Loss, TensorTree Gradients, int Rows, int Correct) Step(TensorTree parameters, Batch batch, bool classification)
    {
        int rows = batch.X.Shape[0];
        int start = (int)((long)rows * _group.Rank / _group.Size);
        int stop = (int)((long)rows * (_group.Rank + 1) / _group.Size);
        int mine = stop - start;
        bool even = rows % _group.Size == 0;
        var buffer = _buffer.AsSpan();
        buffer.Clear();
        if (mine > 0)
        {
            var shard = start == 0 && stop == rows ? batch : new Batch(batch.X.Slice(0, start, stop), batch.Y.Slice(0, start, stop));
            var (value, grads, outputs) = Gradients(parameters, shard);
            double weight = even ? 1 : mine;
            int offset = 0;
            foreach (var (_, leaf) in grads.Leaves())
            {
                var target = buffer.Slice(offset, leaf.Size);
                leaf.CopyTo(target);
                if (weight != 1)
                {
                    for (int i = 0; i < target.Length; i++)
                    {
                        target[i] *= weight;
                    }
                }

                offset += leaf.Size;
            }

            buffer[_gradientLength] = value.Item() * mine;
            buffer[_gradientLength + 1] = classification ? Math.Round(Metrics.Accuracy(outputs, shard.Y) * mine) : 0;
            buffer[_gradientLength + 2] = mine;
        }

        _group.AllReduceSum(buffer);
        if (buffer[_gradientLength + 2] != rows)
        {
            throw new InvalidOperationException(
                $"Trainer (data-parallel, rank {_group.Rank} of {_group.Size}): the ranks' shards of this batch add up to {buffer[_gradientLength + 2]} rows, not the batch's {rows}; " +
                "the ranks are not drawing the same batches (different data or seeds on different ranks)");
        }

        double divisor = even ? _group.Size : rows;
        var reduced = Unflatten(parameters, buffer[.._gradientLength], divisor, _scratch);
        return (buffer[_gradientLength] / rows, reduced, rows, (int)buffer[_gradientLength + 1]);
    }

    /// <summary>
    /// Checks that every rank holds the same parameters after an epoch (they apply the same update to the same values, so they
    /// do unless an all-reduce gave different ranks different sums); throws naming the first rank that differs.
    /// </summary>
    public void CheckInStep(TensorTree parameters, int epoch)
    {
        Span<long> local = [Fingerprint(parameters)];
        var all = new long[_group.Size];
        _group.AllGather(local, all);
        for (int r = 1; r < all.Length; r++)
        {
            if (all[r] != all[0])
            {
                throw new InvalidOperationException(
                    $"Trainer (data-parallel, rank {_group.Rank} of {_group.Size}): after epoch {epoch} rank {r}'s parameters differ from rank 0's " +
                    $"(fingerprints {all[r]:x16} and {all[0]:x16}); every rank applies the same all-reduced update, so the collective gave different ranks different sums");
            }
        }
    }

    private (Tensor Value, TensorTree Gradients, Tensor Outputs) Gradients(TensorTree parameters, Batch shard)
    {
        if (_compiled is { } compiled)
        {
            try
            {
                var result = compiled(parameters, shard);
                return (result["loss"], result.Subtree("grads"), result["outputs"]);
            }
            catch (JitTraceException)
            {
                _compiled = null; // the model reads values on the host or draws random numbers: it runs uncompiled
            }
        }

        return Trainer.Gradients(_model, _loss, parameters, shard);
    }

    /// <summary>Host buffers for one leaf at a time, reused every step (the tensors made from them take pooled storage).</summary>
    private sealed class Scratch(int length)
    {
        public float[] Floats { get; } = new float[length];

        public double[] Doubles { get; } = new double[length];
    }

    /// <summary>The leaves of <paramref name="like"/>'s structure, shapes, dtypes and device, filled from <paramref name="values"/> / divisor.</summary>
    private static TensorTree Unflatten(TensorTree like, ReadOnlySpan<double> values, double divisor, Scratch? scratch = null)
    {
        var leaves = like.Leaves();
        var result = new Tensor[leaves.Count];
        int offset = 0;
        for (int i = 0; i < leaves.Count; i++)
        {
            var leaf = leaves[i].Value;
            var part = values.Slice(offset, leaf.Size);
            offset += leaf.Size;
            if (leaf.DType == DType.Float32)
            {
                var floats = scratch is null ? new float[part.Length] : scratch.Floats.AsSpan(0, part.Length);
                for (int j = 0; j < floats.Length; j++)
                {
                    floats[j] = (float)(part[j] / divisor);
                }

                result[i] = Tensor.FromSpan(floats, leaf.Shape.ToArray(), leaf.Device);
            }
            else
            {
                var doubles = scratch is null ? new double[part.Length] : scratch.Doubles.AsSpan(0, part.Length);
                for (int j = 0; j < doubles.Length; j++)
                {
                    doubles[j] = part[j] / divisor;
                }

                var t = Tensor.FromSpan(doubles, leaf.Shape.ToArray(), leaf.Device);
                result[i] = leaf.DType == DType.Float64 ? t : t.To(leaf.DType);
            }
        }

        return like.WithLeaves(result);
    }

    /// <summary>Rank 0's values of <paramref name="tree"/> on every rank, as a new tree (float32, float64 and int32 leaves go through float64 exactly).</summary>
    private static TensorTree BroadcastTree(IDataParallel group, TensorTree tree)
    {
        var leaves = tree.Leaves();
        var buffer = new double[leaves.Sum(l => (long)l.Value.Size)];
        int offset = 0;
        foreach (var (_, leaf) in leaves)
        {
            var values = leaf.ToDoubleArray();
            values.CopyTo(buffer, offset);
            offset += values.Length;
        }

        group.Broadcast(buffer);
        return Unflatten(tree, buffer, 1);
    }

    /// <summary>
    /// All-gathers the settings that must agree (the options that shape the batches and the update, the data's size, the
    /// parameters' and optimizer state's layout) and throws, naming the setting, the ranks and their values, if any differs.
    /// </summary>
    private static void CheckSameConfiguration(IDataParallel group, TrainOptions options, Dataset train, Dataset? validation, TensorTree parameters, TensorTree state)
    {
        (string Name, long Value)[] settings =
        [
            ("TrainOptions.BatchSize", options.BatchSize),
            ("TrainOptions.Seed", unchecked((long)options.Seed)),
            ("TrainOptions.Epochs", options.Epochs),
            ("TrainOptions.Shuffle", options.Shuffle ? 1 : 0),
            ("TrainOptions.ValidationSplit (bits)", BitConverter.DoubleToInt64Bits(options.ValidationSplit)),
            ("TrainOptions.ClipGradientNorm (bits)", options.ClipGradientNorm is { } c ? BitConverter.DoubleToInt64Bits(c) : -1),
            ("TrainOptions.Patience", options.Patience ?? -1),
            ("TrainOptions.DType", options.DType is { } d ? (long)d : -1),
            ("training rows", train.Count),
            ("validation rows", validation?.Count ?? -1),
            ("parameter tensors", parameters.LeafCount),
            ("parameter elements", parameters.Leaves().Sum(l => (long)l.Value.Size)),
            ("parameter layout (paths, shapes, dtypes; hash)", LayoutHash(parameters)),
            ("optimizer state layout (paths, shapes, dtypes; hash)", LayoutHash(state)),
        ];
        var local = settings.Select(s => s.Value).ToArray();
        var all = new long[local.Length * group.Size];
        group.AllGather(local, all);
        for (int r = 1; r < group.Size; r++)
        {
            for (int i = 0; i < settings.Length; i++)
            {
                long zero = all[i], other = all[(r * settings.Length) + i];
                if (zero != other)
                {
                    throw new ArgumentException(
                        $"Trainer (data-parallel, rank {group.Rank} of {group.Size}): the ranks run different configurations: {settings[i].Name} is " +
                        $"{zero.ToString(CultureInfo.InvariantCulture)} on rank 0 but {other.ToString(CultureInfo.InvariantCulture)} on rank {r}; " +
                        "every rank must run the same model, data and options");
                }
            }
        }
    }

    private static long LayoutHash(TensorTree tree)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var (path, leaf) in tree.Leaves())
        {
            foreach (char ch in $"{path}:{leaf.DType.Name()}{leaf.Shape};")
            {
                hash = (hash ^ ch) * 1099511628211UL;
            }
        }

        return unchecked((long)hash);
    }

    private static long Fingerprint(TensorTree tree)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var (_, leaf) in tree.Leaves())
        {
            foreach (double v in leaf.ToDoubleArray())
            {
                hash = (hash ^ (ulong)BitConverter.DoubleToInt64Bits(v)) * 1099511628211UL;
            }
        }

        return unchecked((long)hash);
    }
}
