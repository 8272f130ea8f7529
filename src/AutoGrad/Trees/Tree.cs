using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>
/// Functions over <em>trees</em> (JAX's pytrees): any value built from tensors, <see cref="TensorTree"/>s, value tuples,
/// arrays and lists of trees, and your own types implementing <see cref="ITree{TSelf}"/>; null is a tree with no leaves.
/// The transforms take and return trees, keeping each argument's type and structure: <c>Grad</c> of a function of a
/// <c>(Tensor W, Tensor B)</c> tuple returns a tuple of two gradients.
/// </summary>
/// <example>
/// <code>
/// var p = (W: Tensor.Ones([2, 2]), B: Tensor.Zeros([2]));
/// var g = Transforms.Grad(((Tensor W, Tensor B) q) => (q.W.Sum() + q.B.Sum()) * 2.0)(p);
/// var next = Tree.Zip(p, g, (w, dw) => w - 0.1 * dw);      // a (Tensor W, Tensor B) again
/// </code>
/// </example>
public static class Tree
{
    /// <summary>The leaves of <paramref name="tree"/> in order, with their dotted paths (<c>Item1.W</c>, <c>hidden.b</c>, <c>0</c>).</summary>
    public static IReadOnlyList<(string Path, Tensor Value)> Leaves<T>(T tree)
    {
        var writer = Flatten(tree);
        var result = new (string, Tensor)[writer.LeafList.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (writer.PathList[i], writer.LeafList[i]);
        }

        return result;
    }

    /// <summary>A tree of <paramref name="template"/>'s type and structure whose leaves are <paramref name="leaves"/>, in <see cref="Leaves{T}(T)"/> order.</summary>
    public static T WithLeaves<T>(T template, IReadOnlyList<Tensor> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        int count = Flatten(template).LeafList.Count;
        if (leaves.Count != count)
        {
            throw new ArgumentException($"Tree.WithLeaves: the {Describe(template)} has {count} leaves, got {leaves.Count} tensors.", nameof(leaves));
        }

        return Rebuild(template, leaves);
    }

    /// <summary>A tree of the same type and structure with <paramref name="f"/> applied to every leaf (<c>jax.tree.map</c>).</summary>
    public static T Map<T>(T tree, Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var leaves = Flatten(tree).LeafList;
        var mapped = new Tensor[leaves.Count];
        for (int i = 0; i < mapped.Length; i++)
        {
            mapped[i] = f(leaves[i]);
        }

        return Rebuild(tree, mapped);
    }

    /// <summary>Combines two trees of the same structure leaf by leaf (a parameter update <c>Zip(p, g, (w, dw) => w - lr * dw)</c>).</summary>
    public static T Zip<T>(T first, T second, Func<Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var a = Flatten(first);
        var b = Flatten(second);
        RequireSameStructure("Tree.Zip", a, b);
        var zipped = new Tensor[a.LeafList.Count];
        for (int i = 0; i < zipped.Length; i++)
        {
            zipped[i] = f(a.LeafList[i], b.LeafList[i]);
        }

        return Rebuild(first, zipped);
    }

    /// <summary>True if both trees have the same types, keys and lengths at every node (the leaves' shapes are not compared).</summary>
    public static bool HasSameStructure<T>(T first, T second) => Flatten(first).PathList.SequenceEqual(Flatten(second).PathList) && SameShape(first, second);

    /// <summary>The tree as a <see cref="TensorTree"/> whose leaves are named by their paths (for the optimizers, <c>SafeTensors</c> and <c>Trainer</c>).</summary>
    public static TensorTree ToTensorTree<T>(T tree)
    {
        if (tree is TensorTree t)
        {
            return t;
        }

        var writer = Flatten(tree);
        var result = new TensorTree();
        for (int i = 0; i < writer.LeafList.Count; i++)
        {
            AddAtPath(result, writer.PathList[i], TensorTree.Leaf(writer.LeafList[i]));
        }

        return result;
    }

    /// <summary>Adds <paramref name="node"/> under <paramref name="root"/> at a dotted path (the root's path, "", as "value"), making the interior nodes on the way.</summary>
    internal static void AddAtPath(TensorTree root, string path, TensorTree node)
    {
        var parts = (path.Length == 0 ? "value" : path).Split('.');
        var parent = root;
        for (int p = 0; p < parts.Length - 1; p++)
        {
            if (!parent.Keys.Contains(parts[p]))
            {
                parent.Add(parts[p], new TensorTree());
            }

            parent = parent.Subtree(parts[p]);
        }

        parent.Add(parts[^1], node);
    }

    /// <summary>The inverse of <see cref="ToTensorTree{T}(T)"/>: a value of <paramref name="template"/>'s structure with the leaves of <paramref name="tree"/>.</summary>
    public static T FromTensorTree<T>(T template, TensorTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (template is TensorTree)
        {
            return (T)(object)tree;
        }

        var expected = ToTensorTree(template);
        if (!expected.HasSameStructure(tree))
        {
            throw new ArgumentException(
                $"Tree.FromTensorTree: the tree's leaves [{string.Join(", ", tree.Leaves().Select(l => l.Path))}] are not the {Describe(template)}'s [{string.Join(", ", expected.Leaves().Select(l => l.Path))}]",
                nameof(tree));
        }

        return Rebuild(template, tree.Leaves().Select(l => l.Value).ToArray());
    }

    /// <summary>The leaves and paths of <paramref name="tree"/>, with paths starting at <paramref name="prefix"/>.</summary>
    internal static TreeWriter Flatten<T>(T tree, string prefix = "")
    {
        var writer = new TreeWriter(prefix);
        FlattenObject(tree, writer);
        return writer;
    }

    internal static T Rebuild<T>(T template, IReadOnlyList<Tensor> leaves)
    {
        var reader = new TreeReader(leaves);
        var result = reader.Next(template);
        if (reader.Position != leaves.Count)
        {
            throw new InvalidOperationException($"Tree: the {Describe(template)} read {reader.Position} of its {leaves.Count} leaves back; check that Unflatten reads its parts as Flatten writes them.");
        }

        return result;
    }

    /// <summary>True for the kinds of value the library flattens (checked at the top level only).</summary>
    internal static bool IsTree(object? value) => value switch
    {
        null or Tensor or TensorTree or ITree => true,
        Array a => a.Rank == 1,
        _ => IsTuple(value) || IsList(value),
    };

    /// <summary>The type of <paramref name="value"/> as a message names it.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "null tree",
        Tensor => "tensor",
        TensorTree => "TensorTree",
        _ => TypeName(value.GetType()),
    };

    internal static void RequireSameStructure(string op, TreeWriter a, TreeWriter b)
    {
        if (!a.PathList.SequenceEqual(b.PathList))
        {
            throw new ArgumentException($"{op}: the trees differ in structure: [{string.Join(", ", a.PathList)}] vs [{string.Join(", ", b.PathList)}]");
        }
    }

    internal static void FlattenObject(object? value, TreeWriter writer)
    {
        switch (value)
        {
            case null:
                return;
            case Tensor t:
                writer.AddLeaf(t);
                return;
            case TensorTree tree:
                foreach (var (path, leaf) in tree.Leaves())
                {
                    writer.AddLeaf(leaf, path);
                }

                return;
            case ITree custom:
                custom.Flatten(writer);
                return;
            case Tensor[] tensors:
                for (int i = 0; i < tensors.Length; i++)
                {
                    writer.AddLeaf(tensors[i] ?? throw NullLeaf(writer, i), Index(i));
                }

                return;
            case Array array when array.Rank == 1:
                for (int i = 0; i < array.Length; i++)
                {
                    var item = array.GetValue(i);
                    writer.Enter(Index(i), () => FlattenObject(item, writer));
                }

                return;
            case ITuple tuple when IsTuple(value):
                for (int i = 0; i < tuple.Length; i++)
                {
                    var item = tuple[i];
                    writer.Enter("Item" + (i + 1).ToString(CultureInfo.InvariantCulture), () => FlattenObject(item, writer));
                }

                return;
            case IList list when IsList(value):
                for (int i = 0; i < list.Count; i++)
                {
                    var item = list[i];
                    writer.Enter(Index(i), () => FlattenObject(item, writer));
                }

                return;
            default:
                throw new ArgumentException(
                    $"{(writer.Prefix.Length == 0 ? "the value" : writer.Prefix)} is a {TypeName(value.GetType())}, which is not a tree: trees are tensors, TensorTrees, " +
                    "value tuples, arrays and lists of trees, and types implementing ITree<T> (pass other values as arguments that are not differentiated)");
        }
    }

    internal static object? RebuildObject(object? template, TreeReader reader)
    {
        switch (template)
        {
            case null:
                return null;
            case Tensor:
                return reader.NextLeaf();
            case TensorTree tree:
                return tree.WithLeaves(reader.Take(tree.LeafCount));
            case ITree custom:
                return custom.UnflattenObject(reader);
            case Tensor[] tensors:
                return reader.Take(tensors.Length).ToArray();
            case Array array when array.Rank == 1:
                var rebuilt = Array.CreateInstance(array.GetType().GetElementType()!, array.Length);
                for (int i = 0; i < array.Length; i++)
                {
                    rebuilt.SetValue(RebuildObject(array.GetValue(i), reader), i);
                }

                return rebuilt;
            case ITuple tuple when IsTuple(template):
                var items = new object?[tuple.Length];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = RebuildObject(tuple[i], reader);
                }

                return Activator.CreateInstance(template.GetType(), items);
            case IList list when IsList(template):
                var copy = (IList)Activator.CreateInstance(template.GetType(), list.Count)!;
                foreach (var item in list)
                {
                    copy.Add(RebuildObject(item, reader));
                }

                return copy;
            default:
                throw new ArgumentException($"a {TypeName(template.GetType())} is not a tree");
        }
    }

    // Value tuples and System.Tuple of up to seven elements (an eighth nests the rest, which is left out).
    private static bool IsTuple(object value)
    {
        var type = value.GetType();
        if (value is not ITuple tuple || !type.IsGenericType || tuple.Length > 7)
        {
            return false;
        }

        string name = type.Namespace + "." + type.Name;
        return name.StartsWith("System.ValueTuple`", StringComparison.Ordinal) || name.StartsWith("System.Tuple`", StringComparison.Ordinal);
    }

    private static bool IsList(object value) =>
        value.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(List<>);

    private static bool SameShape(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        _ => a.GetType() == b.GetType(),
    };

    private static ArgumentException NullLeaf(TreeWriter writer, int i) =>
        new($"{TreeWriter.Join(writer.Prefix, Index(i))} is null; a tensor array's elements must be tensors");

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);

    private static string TypeName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
    }
}
