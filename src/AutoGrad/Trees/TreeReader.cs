namespace AutoGrad;

/// <summary>Hands out a flattened tree's leaves in order, to rebuild values of the same structure; passed to <see cref="ITree{TSelf}.Unflatten"/>.</summary>
public sealed class TreeReader
{
    private readonly IReadOnlyList<Tensor> _leaves;
    private int _next;

    internal TreeReader(IReadOnlyList<Tensor> leaves, int start = 0)
    {
        _leaves = leaves;
        _next = start;
    }

    internal int Position => _next;

    /// <summary>
    /// A value with <paramref name="template"/>'s structure (its type, keys, lengths and non-tensor fields) whose tensors
    /// are the next leaves, as many as <paramref name="template"/> has.
    /// </summary>
    public T Next<T>(T template) => (T)Tree.RebuildObject(template, this)!;

    internal Tensor NextLeaf() => _next < _leaves.Count
        ? _leaves[_next++]
        : throw new InvalidOperationException($"TreeReader: the tree asked for more than the {_leaves.Count} leaves it wrote; check that Unflatten reads its parts as Flatten writes them.");

    internal IReadOnlyList<Tensor> Take(int count)
    {
        if (_next + count > _leaves.Count)
        {
            throw new InvalidOperationException($"TreeReader: the tree asked for more than the {_leaves.Count} leaves it wrote; check that Unflatten reads its parts as Flatten writes them.");
        }

        var slice = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            slice[i] = _leaves[_next++];
        }

        return slice;
    }
}
