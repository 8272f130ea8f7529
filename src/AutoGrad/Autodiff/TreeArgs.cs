using System.Globalization;

namespace AutoGrad.Autodiff;

/// <summary>
/// The transforms over functions of several arguments of any tree type: which leaves of which arguments are
/// differentiated (by argnums or by a <c>wrt</c> selector), the call rebuilt around traced leaves, and the results
/// rebuilt in the arguments' own types. Messages name the argument by position and the leaf by its path.
/// </summary>
internal static class TreeArgs
{
    /// <summary>The reverse-mode transforms: the loss, the gradient in <paramref name="template"/>'s structure, the aux lowered to plain values.</summary>
    public static (Tensor Value, TGrad Grad, TAux Aux) ValueAndGrad<TGrad, TAux>(
        string name, CallSite site, object?[] args, int[] argnums, Func<object?[], TGrad> template, Func<object?[], (Tensor Loss, TAux Aux)> f)
    {
        var flat = new TreeWriter?[args.Length];
        var positions = new List<(int Arg, int Leaf)>();
        for (int a = 0; a < argnums.Length; a++)
        {
            int k = argnums[a];
            if (k < 0 || k >= args.Length)
            {
                throw site.Error(name, $"argnum {k} is out of range for {args.Length} argument(s)");
            }

            if (Array.IndexOf(argnums, k) != a)
            {
                throw site.Error(name, $"argnums [{string.Join(", ", argnums)}] repeat argument {k}");
            }

            var leaves = FlattenArg(name, site, args, k, flat);
            for (int i = 0; i < leaves.LeafList.Count; i++)
            {
                positions.Add((k, i));
            }
        }

        return Run(name, site, args, flat, positions, template(args), f);
    }

    /// <summary>As <see cref="ValueAndGrad"/>, differentiating the parts of the arguments that <paramref name="wrt"/> returns.</summary>
    public static (Tensor Value, TGrad Grad, TAux Aux) ValueAndGradWrt<TGrad, TAux>(
        string name, CallSite site, object?[] args, Func<object?[], TGrad> wrt, Func<object?[], (Tensor Loss, TAux Aux)> f)
    {
        // The selector runs on stand-ins: one fresh tensor object per leaf, so that each leaf it returns names one
        // argument position even where the caller passed the same tensor twice.
        var flat = new TreeWriter?[args.Length];
        var standIns = new Dictionary<Tensor, (int Arg, int Leaf)>(ReferenceEqualityComparer.Instance);
        var aliased = (object?[])args.Clone();
        for (int k = 0; k < args.Length; k++)
        {
            if (!Tree.IsTree(args[k]))
            {
                continue;
            }

            var leaves = FlattenArg(name, site, args, k, flat);
            var stand = new Tensor[leaves.LeafList.Count];
            for (int i = 0; i < stand.Length; i++)
            {
                stand[i] = Tensor.Scalar(0.0);
                standIns[stand[i]] = (k, i);
            }

            aliased[k] = Tree.Rebuild(args[k], stand);
        }

        var selection = wrt(aliased);
        TreeWriter chosen;
        try
        {
            chosen = Tree.Flatten(selection);
        }
        catch (ArgumentException e)
        {
            throw site.Error(name, $"wrt must return the arguments to differentiate, or parts of them, as a tree: {e.Message}");
        }

        var positions = new List<(int Arg, int Leaf)>();
        for (int i = 0; i < chosen.LeafList.Count; i++)
        {
            if (!standIns.TryGetValue(chosen.LeafList[i], out var position))
            {
                throw site.Error(name, $"wrt returned a tensor at '{Path(chosen.PathList[i])}' that is not one of the arguments' tensors: return the arguments (or their parts) themselves, not values computed from them");
            }

            if (positions.Contains(position))
            {
                throw site.Error(name, $"wrt returns argument {position.Arg}'s leaf '{Path(flat[position.Arg]!.PathList[position.Leaf])}' twice");
            }

            positions.Add(position);
        }

        // The result's template: the selection with the real leaves back in place of the stand-ins.
        var real = positions.Select(p => flat[p.Arg]!.LeafList[p.Leaf]).ToArray();
        return Run(name, site, args, flat, positions, Tree.Rebuild(selection, real), f);
    }

    private static (Tensor Value, TGrad Grad, TAux Aux) Run<TGrad, TAux>(
        string name, CallSite site, object?[] args, TreeWriter?[] flat, List<(int Arg, int Leaf)> positions, TGrad template,
        Func<object?[], (Tensor Loss, TAux Aux)> f)
    {
        var selected = new Tensor[positions.Count];
        for (int j = 0; j < selected.Length; j++)
        {
            var (k, i) = positions[j];
            var leaf = flat[k]!.LeafList[i];
            if (!leaf.DType.IsFloating())
            {
                throw site.Error(name, $"{Describe(k, flat[k]!.PathList[i])} is {leaf.DType.Name()}{leaf.Shape}; only float32/float64 tensors can be differentiated (pass integer data as an argument that is not differentiated)");
            }

            selected[j] = leaf;
        }

        TAux aux = default!;
        var (value, grads) = Reverse.ValueAndGrad(name, site, variables =>
        {
            var (loss, a) = f(Substitute(args, flat, positions, variables));
            aux = a;
            return loss;
        }, selected, null, onExit: trace => aux = Reverse.LowerAux(aux, trace));
        return (value, Tree.Rebuild(template, grads), aux);
    }

    /// <summary>The call's arguments with the leaves at <paramref name="positions"/> replaced by <paramref name="values"/>.</summary>
    public static object?[] Substitute(object?[] args, TreeWriter?[] flat, List<(int Arg, int Leaf)> positions, Tensor[] values)
    {
        var call = (object?[])args.Clone();
        var rebuilt = new Tensor[]?[args.Length];
        for (int j = 0; j < positions.Count; j++)
        {
            var (k, i) = positions[j];
            (rebuilt[k] ??= flat[k]!.LeafList.ToArray())[i] = values[j];
        }

        for (int k = 0; k < args.Length; k++)
        {
            if (rebuilt[k] is { } leaves)
            {
                call[k] = Tree.Rebuild(args[k], leaves);
            }
        }

        return call;
    }

    /// <summary>Argument <paramref name="k"/>'s leaves, flattened once per call; an error naming it when it is not a tree.</summary>
    public static TreeWriter FlattenArg(string name, CallSite site, object?[] args, int k, TreeWriter?[] flat)
    {
        if (flat[k] is { } done)
        {
            return done;
        }

        try
        {
            flat[k] = Tree.Flatten(args[k]);
        }
        catch (ArgumentException e)
        {
            throw site.Error(name, $"argument {k}: {e.Message}");
        }

        for (int i = 0; i < flat[k]!.LeafList.Count; i++)
        {
            if (flat[k]!.LeafList[i] is null)
            {
                throw site.Error(name, $"{Describe(k, flat[k]!.PathList[i])} is null");
            }
        }

        return flat[k]!;
    }

    /// <summary>"argument 1" or "argument 1, leaf 'hidden.W'".</summary>
    public static string Describe(int arg, string path) =>
        path.Length == 0 ? $"argument {arg.ToString(CultureInfo.InvariantCulture)}" : $"argument {arg.ToString(CultureInfo.InvariantCulture)}, leaf '{path}'";

    private static string Path(string path) => path.Length == 0 ? "(root)" : path;

    /// <summary>The value and pullback of a function of several trees with a tree output (JAX <c>vjp</c>): every argument is differentiated.</summary>
    public static (TOut Value, Func<TOut, TIn> Pullback) Vjp<TIn, TOut>(CallSite site, object?[] args, TIn inputs, Func<object?[], TOut> f)
    {
        var flat = new TreeWriter?[args.Length];
        var positions = new List<(int Arg, int Leaf)>();
        var xs = new List<Tensor>();
        for (int k = 0; k < args.Length; k++)
        {
            var leaves = FlattenArg("Vjp", site, args, k, flat);
            for (int i = 0; i < leaves.LeafList.Count; i++)
            {
                positions.Add((k, i));
                xs.Add(leaves.LeafList[i]);
            }
        }

        TOut output = default!;
        TreeWriter outLeaves = null!;
        var (values, pullback) = Reverse.VjpMany(site, variables =>
        {
            output = f(Substitute(args, flat, positions, variables));
            try
            {
                outLeaves = Tree.Flatten(output);
            }
            catch (ArgumentException e)
            {
                throw site.Error("Vjp", $"the function's result: {e.Message}");
            }

            return outLeaves.LeafList.Select((t, o) => t ?? throw site.Error("Vjp", $"the function's output '{Path(outLeaves.PathList[o])}' is null")).ToArray();
        }, xs.ToArray(), o => outLeaves.PathList[o].Length == 0 ? "" : $" of output '{outLeaves.PathList[o]}'");
        var value = Tree.Rebuild(output, values);
        return (value, cotangent =>
        {
            TreeWriter given;
            try
            {
                given = Tree.Flatten(cotangent);
            }
            catch (ArgumentException e)
            {
                throw site.Error("Vjp", $"the cotangent: {e.Message}");
            }

            if (!given.PathList.SequenceEqual(outLeaves.PathList))
            {
                throw site.Error("Vjp", $"the cotangent must have the output's structure [{string.Join(", ", outLeaves.PathList)}], got [{string.Join(", ", given.PathList)}]");
            }

            return Tree.Rebuild(inputs, pullback(given.LeafList.ToArray()));
        });
    }

    /// <summary>Forward mode over a function of several trees with a tree output (JAX <c>jvp</c>): values and tangents in the output's structure.</summary>
    public static (TOut Value, TOut Tangent) Jvp<TOut>(CallSite site, object?[] primals, object?[] tangents, Func<object?[], TOut> f)
    {
        var flat = new TreeWriter?[primals.Length];
        var flatTangents = new TreeWriter?[tangents.Length];
        var positions = new List<(int Arg, int Leaf)>();
        var xs = new List<Tensor>();
        var ts = new List<Tensor>();
        var names = new List<string>();
        for (int k = 0; k < primals.Length; k++)
        {
            var leaves = FlattenArg("Jvp", site, primals, k, flat);
            var tangent = FlattenArg("Jvp", site, tangents, k, flatTangents);
            if (!leaves.PathList.SequenceEqual(tangent.PathList))
            {
                throw site.Error("Jvp", $"the tangent of argument {k} must have its structure [{string.Join(", ", leaves.PathList)}], got [{string.Join(", ", tangent.PathList)}]");
            }

            for (int i = 0; i < leaves.LeafList.Count; i++)
            {
                positions.Add((k, i));
                xs.Add(leaves.LeafList[i]);
                ts.Add(tangent.LeafList[i]);
                names.Add(Describe(k, leaves.PathList[i]));
            }
        }

        TOut output = default!;
        var (values, outTangents) = Forward.JvpMany(site, duals =>
        {
            output = f(Substitute(primals, flat, positions, duals));
            TreeWriter outLeaves;
            try
            {
                outLeaves = Tree.Flatten(output);
            }
            catch (ArgumentException e)
            {
                throw site.Error("Jvp", $"the function's result: {e.Message}");
            }

            return outLeaves.LeafList.ToArray();
        }, xs.ToArray(), ts.ToArray(), i => names[i]);
        return (Tree.Rebuild(output, values), Tree.Rebuild(output, outTangents));
    }
}
