namespace AutoGrad.Nn.Optim;

/// <summary>
/// An optimizer as a pair of pure functions over parameter trees, as in optax: <see cref="Init"/> makes
/// the state for some parameters, <see cref="Update(TensorTree, TensorTree, TensorTree)"/> takes gradients, state and parameters and returns
/// the new parameters and the new state. Nothing is mutated and no state is hidden: the state is an
/// ordinary <see cref="TensorTree"/> that can be inspected, saved and restored.
/// </summary>
public interface IOptimizer
{
    /// <summary>A short name for messages and logs, e.g. <c>adam</c>.</summary>
    string Name { get; }

    /// <summary>The learning rate as a function of the step counter kept in the state.</summary>
    Schedule LearningRate { get; }

    /// <summary>The initial state for <paramref name="parameters"/> (step counter, moment estimates, …).</summary>
    TensorTree Init(TensorTree parameters);

    /// <summary>One step: returns the updated parameters and state. <paramref name="gradients"/> has the parameters' structure.</summary>
    (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters);

    /// <summary>
    /// One step, as <see cref="Update(TensorTree, TensorTree, TensorTree)"/>, from a caller that will not use what
    /// <paramref name="donate"/> names again (a training loop that releases the old parameters and state after each
    /// step): the optimizer may write the new values over those buffers, as JAX's <c>donate_argnums</c>, so an update
    /// touches half the memory and a parameter stays in cache. The donated tensors fail on use afterwards. The default
    /// ignores the offer; the built-in optimizers take it.
    /// </summary>
    (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters, Donation donate) =>
        Update(gradients, state, parameters);
}
