namespace AutoGrad.Nn.Optim;

/// <summary>
/// The optimizers over parameters of any tree type (a tuple <c>(W, b)</c>, an array, your own <see cref="ITree{TSelf}"/>
/// record), as optax takes any pytree: the parameters and gradients travel as <see cref="TensorTree"/>s named by their
/// paths (<see cref="Tree.ToTensorTree{T}(T)"/>) and the new parameters come back in their own type.
/// </summary>
public static class OptimizerTrees
{
    /// <summary>The optimizer's initial state for <paramref name="parameters"/>, a tree of any type.</summary>
    public static TensorTree Init<TParams>(this IOptimizer optimizer, TParams parameters)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer.Init(Tree.ToTensorTree(parameters));
    }

    /// <summary>One step over parameters of any tree type: the new parameters, of that type, and the new state.</summary>
    public static (TParams Parameters, TensorTree State) Update<TParams>(this IOptimizer optimizer, TParams gradients, TensorTree state, TParams parameters)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var (next, nextState) = optimizer.Update(Tree.ToTensorTree(gradients), state, Tree.ToTensorTree(parameters));
        return (Tree.FromTensorTree(parameters, next), nextState);
    }
}
