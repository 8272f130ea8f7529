namespace AutoGrad.Autodiff;

/// <summary>The machinery behind the reverse-mode transforms: open a trace, run, pull back, close.</summary>
internal static class Reverse
{
    public static (Tensor Value, Tensor[] Grads) ValueAndGrad(
        string name, CallSite site, Func<Tensor[], Tensor> f, Tensor[] xs, int[]? argnums, Action<Trace>? onExit = null)
    {
        ArgumentNullException.ThrowIfNull(xs);
        var chosen = ResolveArgnums(name, site, xs, argnums);
        var (trace, y, variables) = Run(name, site, f, xs, chosen);
        onExit?.Invoke(trace);
        RequireScalar(name, site, y);
        var grads = trace.Backward(y, Tensor.OnesLike(Lower(y, trace)), variables);
        return (Lower(y, trace), grads);
    }

    public static (Tensor Value, TensorTree Grad) TreeValueAndGrad(string name, CallSite site, Func<TensorTree, Tensor> f, TensorTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var leaves = tree.Leaves().Select(l => l.Value).ToArray();
        var (value, grads) = ValueAndGrad(name, site, xs => f(tree.WithLeaves(xs)), leaves, null);
        return (value, tree.WithLeaves(grads));
    }

    public static (Tensor Value, TensorTree Grad, TAux Aux) TreeValueAndGradWithAux<TAux>(
        string name, CallSite site, Func<TensorTree, (Tensor Loss, TAux Aux)> f, TensorTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        TAux aux = default!;
        var leaves = tree.Leaves().Select(l => l.Value).ToArray();
        var (value, grads) = ValueAndGrad(name, site, xs =>
        {
            var (loss, a) = f(tree.WithLeaves(xs));
            aux = a;
            return loss;
        }, leaves, null, onExit: trace => aux = LowerAux(aux, trace));
        return (value, tree.WithLeaves(grads), aux);
    }

    public static (Tensor Value, Func<Tensor, Tensor[]> Pullback) Vjp(CallSite site, Func<Tensor[], Tensor> f, Tensor[] xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        var chosen = ResolveArgnums("Vjp", site, xs, null);
        var (trace, y, variables) = Run("Vjp", site, f, xs, chosen);
        var value = Lower(y, trace);
        return (value, v =>
        {
            ArgumentNullException.ThrowIfNull(v);
            if (v.Shape != value.Shape || v.DType != value.DType)
            {
                throw site.Error("Vjp", $"the cotangent must match the output {value.DType.Name()}{value.Shape}, got {v.DType.Name()}{v.Shape}");
            }

            return trace.Backward(y, v, variables);
        });
    }

    /// <summary>
    /// The value and pullback of a function of several tensors with several outputs: the pullback takes one cotangent
    /// per output (shape and dtype checked, named by <paramref name="outputName"/>) and returns one per input, from one
    /// backward pass.
    /// </summary>
    public static (Tensor[] Values, Func<Tensor[], Tensor[]> Pullback) VjpMany(
        CallSite site, Func<Tensor[], Tensor[]> f, Tensor[] xs, Func<int, string> outputName)
    {
        ArgumentNullException.ThrowIfNull(xs);
        var chosen = ResolveArgnums("Vjp", site, xs, null);
        var trace = new ReverseTrace("Vjp");
        Tensor[] ys;
        var variables = new Tensor[chosen.Length];
        try
        {
            for (int i = 0; i < chosen.Length; i++)
            {
                variables[i] = trace.NewVariable(xs[i]);
            }

            ys = f(variables);
        }
        finally
        {
            trace.Close();
        }

        var values = ys.Select(y => Lower(y, trace)).ToArray();
        return (values, vs =>
        {
            for (int o = 0; o < values.Length; o++)
            {
                if (vs[o] is null || vs[o].Shape != values[o].Shape || vs[o].DType != values[o].DType)
                {
                    throw site.Error("Vjp", $"the cotangent{outputName(o)} must match the output {values[o].DType.Name()}{values[o].Shape}, got {(vs[o] is null ? "null" : vs[o].DType.Name() + vs[o].Shape)}");
                }
            }

            return trace.Backward(ys, vs, variables);
        });
    }

    private static (ReverseTrace Trace, Tensor Output, Tensor[] Variables) Run(string name, CallSite site, Func<Tensor[], Tensor> f, Tensor[] xs, int[] chosen)
    {
        var trace = new ReverseTrace(name);
        Tensor y;
        var variables = new Tensor[chosen.Length];
        try
        {
            var args = (Tensor[])xs.Clone();
            for (int i = 0; i < chosen.Length; i++)
            {
                variables[i] = trace.NewVariable(xs[chosen[i]]);
                args[chosen[i]] = variables[i];
            }

            y = f(args) ?? throw site.Error(name, "the function returned null");
        }
        finally
        {
            trace.Close();
        }

        return (trace, y, variables);
    }

    private static int[] ResolveArgnums(string name, CallSite site, Tensor[] xs, int[]? argnums)
    {
        var chosen = argnums is null || argnums.Length == 0 ? Enumerable.Range(0, xs.Length).ToArray() : argnums;
        foreach (int i in chosen)
        {
            if (i < 0 || i >= xs.Length)
            {
                throw site.Error(name, $"argnum {i} is out of range for {xs.Length} argument(s)");
            }

            if (xs[i] is null)
            {
                throw site.Error(name, $"argument {i} is null");
            }

            if (!xs[i].DType.IsFloating())
            {
                throw site.Error(name, $"argument {i} is {xs[i].DType.Name()}{xs[i].Shape}; only float32/float64 tensors can be differentiated");
            }
        }

        if (chosen.Distinct().Count() != chosen.Length)
        {
            throw site.Error(name, $"argnums [{string.Join(",", chosen)}] repeat an argument");
        }

        return chosen;
    }

    private static void RequireScalar(string name, CallSite site, Tensor y)
    {
        if (y.Rank != 0 || !y.DType.IsFloating())
        {
            throw site.Error(name, $"the function must return a float scalar (rank 0) to differentiate, got {y.DType.Name()}{y.Shape}; reduce it with Sum() or Mean(), or use Vjp");
        }
    }

    /// <summary>Strips <paramref name="trace"/>'s level from a result, leaving lower levels intact.</summary>
    public static Tensor Lower(Tensor y, Trace trace) => y.Trace == trace ? y.Primal! : y;

    /// <summary>
    /// Strips <paramref name="trace"/>'s level from every tensor in an auxiliary value: a tensor, a tree,
    /// an array or list of tensors, a string-keyed dictionary of tensors, or a tuple of any of these
    /// (recursively). Other values pass through unchanged.
    /// </summary>
    public static TAux LowerAux<TAux>(TAux aux, Trace trace) => (TAux)LowerObject(aux, trace)!;

    private static object? LowerObject(object? value, Trace trace) => value switch
    {
        null => null,
        Tensor t => Lower(t, trace),
        TensorTree tree => tree.Map(t => Lower(t, trace)),
        Tensor[] array => array.Select(t => Lower(t, trace)).ToArray(),
        List<Tensor> list => list.Select(t => Lower(t, trace)).ToList(),
        Dictionary<string, Tensor> dict => dict.ToDictionary(kv => kv.Key, kv => Lower(kv.Value, trace)),
        System.Runtime.CompilerServices.ITuple tuple when tuple.Length <= 7 && value.GetType().IsValueType && value.GetType().FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal) =>
            Activator.CreateInstance(value.GetType(), Enumerable.Range(0, tuple.Length).Select(i => LowerObject(tuple[i], trace)).ToArray()),
        ITree => Tree.Map(value, t => Lower(t, trace)),
        _ => value,
    };
}
