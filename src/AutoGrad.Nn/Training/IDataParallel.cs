namespace AutoGrad.Nn.Training;

/// <summary>
/// The collectives a data-parallel <see cref="Trainer.Fit"/> needs from a group of processes ("ranks") that each run the same
/// program: an all-reduce sum, a broadcast from rank 0 and an all-gather. <c>AutoGrad.Distributed</c>'s <c>MpiGroup</c>
/// implements it on MPI; this library itself never starts processes or moves bytes between them.
/// </summary>
/// <remarks>
/// Set <see cref="TrainOptions.DataParallel"/> to train data-parallel: rank 0's initial parameters and optimizer state are
/// broadcast; every rank draws the same global batches (the same seed gives the single-process run's order) and takes its
/// contiguous share of each one's rows; the gradients, with the batch's loss and correct count appended, are summed with one
/// all-reduce per step and averaged; every rank then applies the same update. Every call is collective: all ranks must make
/// it, in the same order, with buffers of the same length.
/// </remarks>
public interface IDataParallel
{
    /// <summary>This process's index in the group, 0 to <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the group.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by the element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by rank 0's.</summary>
    void Broadcast(Span<double> values);

    /// <summary>Gathers every rank's <paramref name="local"/> (same length on all ranks) into <paramref name="all"/>, rank by rank.</summary>
    void AllGather(ReadOnlySpan<long> local, Span<long> all);
}
