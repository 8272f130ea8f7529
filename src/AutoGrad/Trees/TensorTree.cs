using System.Collections;
using System.Text;

namespace AutoGrad;

/// <summary>
/// A named, nestable collection of tensors — a model's parameters, an optimizer's state, a gradient —
/// in the spirit of JAX's pytrees. A node is either a leaf holding one tensor or an ordered map from
/// names to child nodes. Transforms take and return trees of the same structure, so
/// <c>Grad(loss)(params)</c> hands back gradients laid out exactly as the parameters.
/// </summary>
/// <example>
/// <code>
/// var p = new TensorTree
/// {
///     { "hidden", new TensorTree { { "W", w1 }, { "b", b1 } } },
///     { "out", new TensorTree { { "W", w2 }, { "b", b2 } } },
/// };
/// Tensor w = p["hidden.W"];
/// </code>
/// </example>
public sealed class TensorTree : IEnumerable<KeyValuePair<string, TensorTree>>
{
    private readonly Tensor? _leaf;
    private readonly List<KeyValuePair<string, TensorTree>>? _children;

    /// <summary>An empty interior node; add children with <see cref="Add(string, Tensor)"/> or a collection initializer.</summary>
    public TensorTree() => _children = [];

    private TensorTree(Tensor leaf) => _leaf = leaf;

    /// <summary>A leaf holding one tensor.</summary>
    public static TensorTree Leaf(Tensor value) => new(value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>An interior node whose children are named "0", "1", … in order.</summary>
    public static TensorTree FromList(IEnumerable<TensorTree> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var tree = new TensorTree();
        int i = 0;
        foreach (var item in items)
        {
            tree.Add((i++).ToString(System.Globalization.CultureInfo.InvariantCulture), item);
        }

        return tree;
    }

    /// <summary>True for a leaf (one tensor), false for an interior node.</summary>
    public bool IsLeaf => _leaf is not null;

    /// <summary>The tensor of a leaf.</summary>
    public Tensor Value => _leaf ?? throw new InvalidOperationException("TensorTree: this node is not a leaf; index it by name.");

    /// <summary>The names of an interior node's children, in insertion order (empty for a leaf).</summary>
    public IReadOnlyList<string> Keys => _children?.Select(c => c.Key).ToArray() ?? [];

    /// <summary>The number of leaves under this node.</summary>
    public int LeafCount => IsLeaf ? 1 : _children!.Sum(c => c.Value.LeafCount);

    /// <summary>Adds a leaf child.</summary>
    public void Add(string key, Tensor value) => Add(key, Leaf(value));

    /// <summary>Adds a subtree child.</summary>
    public void Add(string key, TensorTree value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_children is null)
        {
            throw new InvalidOperationException("TensorTree: cannot add children to a leaf.");
        }

        if (string.IsNullOrEmpty(key) || key.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"TensorTree: key '{key}' must be non-empty and contain no '.' (dots separate path parts).", nameof(key));
        }

        foreach (var child in _children)
        {
            if (child.Key == key)
            {
                throw new ArgumentException($"TensorTree: key '{key}' is already present.", nameof(key));
            }
        }

        _children.Add(new(key, value));
    }

    /// <summary>The tensor at a dotted path such as <c>"hidden.W"</c>; the path must end at a leaf.</summary>
    public Tensor this[string path]
    {
        get
        {
            var node = Subtree(path);
            return node.IsLeaf ? node.Value : throw new KeyNotFoundException($"TensorTree: '{path}' is a subtree with keys [{string.Join(", ", node.Keys)}], not a tensor; use Subtree(\"{path}\").");
        }
    }

    /// <summary>The node at a dotted path.</summary>
    public TensorTree Subtree(string path)
    {
        ArgumentNullException.ThrowIfNull(path);

        // Segment by segment over spans: a training step looks up its trees every step, so this allocates nothing.
        var node = this;
        int start = 0;
        while (true)
        {
            int dot = path.IndexOf('.', start);
            var part = dot < 0 ? path.AsSpan(start) : path.AsSpan(start, dot - start);
            var child = node.ChildNamed(part);
            if (child is null)
            {
                string walked = start == 0 ? "the root" : $"'{path[..(start - 1)]}'";
                string keys = node.IsLeaf ? "it is a leaf" : $"keys: {string.Join(", ", node.Keys)}";
                throw new KeyNotFoundException($"TensorTree: no '{part}' under {walked} ({keys}).");
            }

            node = child;
            if (dot < 0)
            {
                return node;
            }

            start = dot + 1;
        }
    }

    private TensorTree? ChildNamed(ReadOnlySpan<char> key)
    {
        if (_children is not null)
        {
            foreach (var child in _children)
            {
                if (key.SequenceEqual(child.Key))
                {
                    return child.Value;
                }
            }
        }

        return null;
    }

    /// <summary>True if a path exists.</summary>
    public bool Contains(string path)
    {
        try
        {
            Subtree(path);
            return true;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>All leaves depth-first in insertion order, with their dotted paths.</summary>
    public IReadOnlyList<(string Path, Tensor Value)> Leaves()
    {
        var result = new List<(string, Tensor)>();
        Collect(this, "", result);
        return result;
    }

    private static void Collect(TensorTree node, string prefix, List<(string, Tensor)> into)
    {
        if (node.IsLeaf)
        {
            into.Add((prefix, node._leaf!));
            return;
        }

        foreach (var (key, child) in node._children!)
        {
            Collect(child, prefix.Length == 0 ? key : prefix + "." + key, into);
        }
    }

    /// <summary>
    /// Donates every leaf (<see cref="Tensor.Donate"/>): the next op or compiled function (<see cref="Transforms.Jit"/>)
    /// that can write its result over a leaf's buffer may do so, after which that leaf fails on use. For a training
    /// loop's old parameters and optimizer state, which it replaces every step.
    /// </summary>
    /// <returns>This tree, for chaining.</returns>
    public TensorTree Donate()
    {
        ForEachLeaf(0, static (leaf, _) => leaf.Donate());
        return this;
    }

    /// <summary>Calls <paramref name="action"/> on each leaf in order, building no paths (for the library's hot paths).</summary>
    internal void ForEachLeaf<TState>(TState state, Action<Tensor, TState> action)
    {
        if (_leaf is not null)
        {
            action(_leaf, state);
            return;
        }

        foreach (var child in _children!)
        {
            child.Value.ForEachLeaf(state, action);
        }
    }

    /// <summary>The number of children of an interior node (0 for a leaf); with <see cref="ChildKey"/> and <see cref="Child"/>, a walk that allocates nothing.</summary>
    internal int ChildCount => _children?.Count ?? 0;

    /// <summary>The name of child <paramref name="index"/>.</summary>
    internal string ChildKey(int index) => _children![index].Key;

    /// <summary>Child <paramref name="index"/>.</summary>
    internal TensorTree Child(int index) => _children![index].Value;

    /// <summary>An empty interior node with room for <paramref name="capacity"/> children, for copying the structure of a checked tree.</summary>
    internal static TensorTree Interior(int capacity) => new(capacity);

    /// <summary>Adds a child to a node made by <see cref="Interior"/>, without re-checking the key.</summary>
    internal void AddUnchecked(string key, TensorTree child) => _children!.Add(new(key, child));

    private TensorTree(int capacity) => _children = new(capacity);

    /// <summary>Replaces child <paramref name="index"/> (its key kept): for a call tree reused from call to call.</summary>
    internal void ReplaceChild(int index, TensorTree child) => _children![index] = new(_children[index].Key, child);

    /// <summary>
    /// The tree with every leaf on <paramref name="device"/> (parameters and optimizer state alike), as
    /// <see cref="Tensor.To(Device, string, int)"/> moves one tensor; leaves already there are kept as they are.
    /// </summary>
    public TensorTree To(Device device, [System.Runtime.CompilerServices.CallerFilePath] string file = "", [System.Runtime.CompilerServices.CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        return Map(t => Ops.ToDevicePrimitive.Apply(t, device, site));
    }

    /// <summary>A tree of the same structure with <paramref name="f"/> applied to every leaf.</summary>
    public TensorTree Map(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Map((_, t) => f(t));
    }

    /// <summary>A tree of the same structure with <paramref name="f"/>(path, leaf) applied to every leaf.</summary>
    public TensorTree Map(Func<string, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return MapNode(this, "", f);
    }

    private static TensorTree MapNode(TensorTree node, string prefix, Func<string, Tensor, Tensor> f)
    {
        if (node.IsLeaf)
        {
            return Leaf(f(prefix, node._leaf!));
        }

        var result = new TensorTree();
        foreach (var (key, child) in node._children!)
        {
            result.Add(key, MapNode(child, prefix.Length == 0 ? key : prefix + "." + key, f));
        }

        return result;
    }

    /// <summary>Combines two trees of the same structure leaf by leaf.</summary>
    public TensorTree Zip(TensorTree other, Func<Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(f);
        RequireSameStructure(other, "Zip");
        var b = other.Leaves();
        int i = 0;
        return Map(t => f(t, b[i++].Value));
    }

    /// <summary>True if both trees have the same keys in the same order at every node.</summary>
    public bool HasSameStructure(TensorTree other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (IsLeaf || other.IsLeaf)
        {
            return IsLeaf == other.IsLeaf;
        }

        if (_children!.Count != other._children!.Count)
        {
            return false;
        }

        for (int i = 0; i < _children.Count; i++)
        {
            if (_children[i].Key != other._children[i].Key || !_children[i].Value.HasSameStructure(other._children[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    internal void RequireSameStructure(TensorTree other, string op)
    {
        if (!HasSameStructure(other))
        {
            throw new ArgumentException($"TensorTree.{op}: the trees differ in structure: [{string.Join(", ", Leaves().Select(l => l.Path))}] vs [{string.Join(", ", other.Leaves().Select(l => l.Path))}]");
        }
    }

    /// <summary>A tree of this structure whose leaves are <paramref name="leaves"/>, in <see cref="Leaves"/> order.</summary>
    public TensorTree WithLeaves(IReadOnlyList<Tensor> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count != LeafCount)
        {
            throw new ArgumentException($"TensorTree.WithLeaves: the tree has {LeafCount} leaves, got {leaves.Count} tensors.");
        }

        int i = 0;
        return Map(_ => leaves[i++]);
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, TensorTree>> GetEnumerator() =>
        (_children ?? []).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One line per leaf: path, dtype and shape.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("TensorTree {");
        foreach (var (path, t) in Leaves())
        {
            sb.Append("\n  ").Append(path.Length == 0 ? "(leaf)" : path).Append(": ").Append(t.DType.Name()).Append(t.Shape);
        }

        return sb.Append(LeafCount == 0 ? "}" : "\n}").ToString();
    }
}
