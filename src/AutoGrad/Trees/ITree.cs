namespace AutoGrad;

/// <summary>
/// A type of yours that the transforms treat like a tuple of its tensors (a JAX pytree node): <c>Grad</c> returns a
/// gradient of the same type, <c>Jit</c> takes and returns it, <see cref="Tree"/>'s functions map over it.
/// Implement <see cref="ITree{TSelf}"/>; this non-generic base lets the library reach it from generic code.
/// </summary>
public interface ITree
{
    /// <summary>Writes this value's subtrees (tensors, trees, tuples, arrays, other <see cref="ITree"/> values) in a fixed order.</summary>
    void Flatten(TreeWriter leaves);

    /// <summary>A value of this structure built from the next leaves of <paramref name="leaves"/>.</summary>
    object UnflattenObject(TreeReader leaves);
}

/// <summary>
/// A record or class of yours that holds tensors and that transforms differentiate, compile and map over as a whole.
/// Two methods say how: <see cref="ITree.Flatten"/> writes the parts in a fixed order and <see cref="Unflatten"/> builds a
/// new value from the same parts read back in that order. No reflection is involved.
/// </summary>
/// <example>
/// <code>
/// public sealed record Layer(Tensor W, Tensor B) : ITree&lt;Layer&gt;
/// {
///     public void Flatten(TreeWriter leaves) { leaves.Add(W); leaves.Add(B); }
///     public Layer Unflatten(TreeReader leaves) => new(leaves.Next(W), leaves.Next(B));
/// }
/// </code>
/// </example>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface ITree<TSelf> : ITree
    where TSelf : ITree<TSelf>
{
    /// <summary>
    /// A value of this structure whose tensors are the next leaves of <paramref name="leaves"/>: call
    /// <see cref="TreeReader.Next{T}(T)"/> on each part, in <see cref="ITree.Flatten"/>'s order. Non-tensor fields
    /// (sizes, names, flags) are copied from this value: they are structure, not data.
    /// </summary>
    TSelf Unflatten(TreeReader leaves);

    object ITree.UnflattenObject(TreeReader leaves) => Unflatten(leaves);
}
