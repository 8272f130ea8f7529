using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>
/// Collects a tree's leaves in order, with their paths (for messages and <see cref="Tree.Leaves{T}(T)"/>); passed to
/// <see cref="ITree.Flatten"/>.
/// </summary>
public sealed class TreeWriter
{
    private readonly List<Tensor> _leaves = [];
    private readonly List<string> _paths = [];
    private string _prefix;

    internal TreeWriter(string prefix = "") => _prefix = prefix;

    internal List<Tensor> LeafList => _leaves;

    internal List<string> PathList => _paths;

    /// <summary>
    /// Writes <paramref name="subtree"/>: a tensor, a <see cref="TensorTree"/>, a tuple or array of trees, another
    /// <see cref="ITree"/> value, or null (no leaves). Its leaves' paths start with <paramref name="name"/>, which is
    /// by default the expression passed (<c>W</c> for <c>leaves.Add(W)</c>).
    /// </summary>
    public void Add<T>(T subtree, [CallerArgumentExpression(nameof(subtree))] string name = "")
    {
        string saved = _prefix;
        _prefix = Join(_prefix, Clean(name));
        try
        {
            Tree.FlattenObject(subtree, this);
        }
        finally
        {
            _prefix = saved;
        }
    }

    internal void AddLeaf(Tensor leaf, string relativePath = "")
    {
        _leaves.Add(leaf);
        _paths.Add(Join(_prefix, relativePath));
    }

    internal string Prefix => _prefix;

    internal void Enter(string name, Action body)
    {
        string saved = _prefix;
        _prefix = Join(_prefix, name);
        try
        {
            body();
        }
        finally
        {
            _prefix = saved;
        }
    }

    private static string Clean(string name) => name.StartsWith("this.", StringComparison.Ordinal) ? name[5..] : name;

    internal static string Join(string prefix, string name) =>
        prefix.Length == 0 ? name : name.Length == 0 ? prefix : prefix + "." + name;
}
