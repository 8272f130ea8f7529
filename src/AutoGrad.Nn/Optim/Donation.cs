namespace AutoGrad.Nn.Optim;

/// <summary>
/// What a caller of <see cref="IOptimizer.Update(TensorTree, TensorTree, TensorTree, Donation)"/> gives up: trees it
/// will not use again, whose buffers the optimizer may overwrite with the new values (<see cref="Tensor.Donate"/>).
/// </summary>
[Flags]
public enum Donation
{
    /// <summary>Nothing: the old parameters and state stay valid.</summary>
    None = 0,

    /// <summary>The old parameters: each new parameter may be written over its old value's buffer.</summary>
    Parameters = 1,

    /// <summary>The old optimizer state (moments, accumulators); the step counter is always a fresh tensor.</summary>
    State = 2,
}
