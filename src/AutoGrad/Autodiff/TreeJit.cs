using System.Text;

namespace AutoGrad.Autodiff;

/// <summary>
/// <see cref="Transforms.Jit"/> over functions of several trees of any type: the arguments' leaves become one list tree
/// for <see cref="JitFunction"/>, and each argument structure (types and leaf paths) gets its own compiled function,
/// since the structure is part of the signature as in JAX. The output's structure is taken from the traced call and
/// rebuilt around the replayed leaves.
/// </summary>
internal sealed class TreeJit<TOut>(Func<object?[], TOut> f, CallSite site)
{
    // The output's structure, kept with placeholder leaves so that no traced call's tensors stay alive.
    private static readonly Tensor Placeholder = Tensor.Scalar(0.0);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Compiled> _compiled = [];

    public TOut Invoke(object?[] args)
    {
        var leaves = new List<TensorTree>();
        var counts = new int[args.Length];
        var key = new StringBuilder();
        for (int k = 0; k < args.Length; k++)
        {
            if (args[k] is not null && !Tree.IsTree(args[k]))
            {
                throw site.Error("Jit", $"argument {k} is a {Tree.Describe(args[k])}, not a tree of tensors: a compiled function is a function of its tensors (pass a number as a Tensor.Scalar, or close over it to freeze it)");
            }

            var flat = TreeArgs.FlattenArg("Jit", site, args, k, new TreeWriter?[args.Length]);
            counts[k] = flat.LeafList.Count;
            key.Append(k).Append(':').Append(Tree.Describe(args[k])).Append('[').AppendJoin(',', flat.PathList).Append(']');
            foreach (var leaf in flat.LeafList)
            {
                leaves.Add(TensorTree.Leaf(leaf));
            }
        }

        Compiled compiled;
        lock (_gate)
        {
            if (!_compiled.TryGetValue(key.ToString(), out compiled!))
            {
                compiled = new Compiled(f, site, (object?[])args.Clone(), counts);
                _compiled.Add(key.ToString(), compiled);
            }
        }

        var outputs = compiled.Function.Invoke(TensorTree.FromList(leaves));
        return Tree.Rebuild(compiled.Output, outputs.Leaves().Select(l => l.Value).ToArray());
    }

    private sealed class Compiled
    {
        public Compiled(Func<object?[], TOut> f, CallSite site, object?[] templates, int[] counts)
        {
            Function = new JitFunction(inputs =>
            {
                var leaves = inputs.Leaves().Select(l => l.Value).ToArray();
                var call = new object?[templates.Length];
                int next = 0;
                for (int k = 0; k < call.Length; k++)
                {
                    call[k] = Tree.Rebuild(templates[k], leaves[next..(next + counts[k])]);
                    next += counts[k];
                }

                var result = f(call);
                TreeWriter outs;
                try
                {
                    outs = Tree.Flatten(result);
                }
                catch (ArgumentException e)
                {
                    throw site.Error("Jit", $"the function's result: {e.Message}");
                }

                Output = Tree.Rebuild(result, Enumerable.Repeat(Placeholder, outs.LeafList.Count).ToArray());
                return TensorTree.FromList(outs.LeafList.Select((t, o) => TensorTree.Leaf(t ?? throw site.Error("Jit", $"the function's output '{outs.PathList[o]}' is null"))));
            }, site);

            // The argument templates keep the first call's tensors only as structure: replace them with placeholders.
            for (int k = 0; k < templates.Length; k++)
            {
                templates[k] = Tree.Rebuild(templates[k], Enumerable.Repeat(Placeholder, counts[k]).ToArray());
            }
        }

        public JitFunction Function { get; }

        public TOut Output { get; private set; } = default!;
    }
}
