using System.Globalization;
using System.Runtime.CompilerServices;
using AutoGrad.Autodiff;

namespace AutoGrad;

/// <summary>
/// Graph export: runs a function once under a recording trace and returns the graph of primitive ops it ran, as a
/// <see cref="ComputationGraph"/> or as Graphviz DOT text (JAX's <c>jax.make_jaxpr</c>, PyTorch's torchviz
/// <c>make_dot</c>). Nodes carry op names, shapes and dtypes; parameters (what <c>Grad</c> would differentiate by),
/// inputs (data), constants and ops are drawn differently, and the output is marked. With <c>backward: true</c> the
/// graph also holds the ops that computing the gradients runs.
/// </summary>
/// <remarks>
/// The function really runs (eagerly, once), so it must accept the given tensors; their values do not change the
/// graph unless the function branches on them. What the graph shows: every primitive applied to a tensor that depends on
/// a parameter or an input, non-differentiable ones (comparisons, <c>ArgMax</c>, <c>OneHot</c>) included. Ops on
/// constants only are computed directly and appear as one constant; so do ops run inside a <c>NoGrad</c> scope.
/// Render the text with Graphviz: <c>dot -Tsvg graph.dot -o graph.svg</c>.
/// </remarks>
/// <example>
/// <code>
/// var x = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 });
/// string dot = Graph.ToDot(t => (t.Tanh() * t.Tanh()).Sum(), x);
/// File.WriteAllText("f.dot", dot);
/// </code>
/// </example>
public static class Graph
{
    private const string Name = "Graph.Record";

    /// <summary>The graph of <paramref name="f"/> at <paramref name="x"/>, which is the parameter (labelled <c>x</c>).</summary>
    /// <param name="f">Any function of one tensor.</param>
    /// <param name="x">The argument to run it on.</param>
    /// <param name="backward">Also record the backward pass: the ops that compute the gradient of the output (of its sum, for a non-scalar output).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static ComputationGraph Record(Func<Tensor, Tensor> f, Tensor x, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        return Run(new CallSite(file, line), (ps, _) => f(ps[0]), [("x", x)], [], backward);
    }

    /// <summary>
    /// The graph of <paramref name="f"/> at <paramref name="xs"/>: the arguments listed in <paramref name="argnums"/>
    /// (all by default) are parameters, the others inputs; they are labelled <c>x[0]</c>, <c>x[1]</c>, ….
    /// </summary>
    /// <param name="f">Any function of an array of tensors.</param>
    /// <param name="xs">The arguments to run it on.</param>
    /// <param name="argnums">The positions of the parameters (as for <c>Transforms.Grad</c>); null or empty for all.</param>
    /// <param name="backward">Also record the backward pass: the ops that compute the gradients of the output by the parameters.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static ComputationGraph Record(Func<Tensor[], Tensor> f, Tensor[] xs, int[]? argnums = null, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(xs);
        var site = new CallSite(file, line);
        var isParameter = new bool[xs.Length];
        foreach (int i in argnums is { Length: > 0 } ? argnums : Enumerable.Range(0, xs.Length))
        {
            if (i < 0 || i >= xs.Length || isParameter[i])
            {
                throw site.Error(Name, $"argnums [{string.Join(",", argnums!)}] must name distinct arguments among the {xs.Length} given");
            }

            isParameter[i] = true;
        }

        var parameters = new List<(string, Tensor)>();
        var inputs = new List<(string, Tensor)>();
        for (int i = 0; i < xs.Length; i++)
        {
            var x = xs[i] ?? throw site.Error(Name, $"argument {i} is null");
            (isParameter[i] ? parameters : inputs).Add(($"x[{i.ToString(CultureInfo.InvariantCulture)}]", x));
        }

        return Run(site, (ps, ins) =>
        {
            var args = new Tensor[xs.Length];
            int p = 0, q = 0;
            for (int i = 0; i < args.Length; i++)
            {
                args[i] = isParameter[i] ? ps[p++] : ins[q++];
            }

            return f(args);
        }, [.. parameters], [.. inputs], backward);
    }

    /// <summary>The graph of <paramref name="f"/> at a parameter tree; each leaf is a parameter labelled with its path, e.g. <c>0.W</c>.</summary>
    /// <param name="f">A function of parameters, such as a loss.</param>
    /// <param name="parameters">The tree to run it on.</param>
    /// <param name="backward">Also record the backward pass: the ops that compute the gradient of the output by every leaf.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static ComputationGraph Record(Func<TensorTree, Tensor> f, TensorTree parameters, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(parameters);
        return Run(new CallSite(file, line), (ps, _) => f(parameters.WithLeaves(ps)), Labelled(parameters, "params"), [], backward);
    }

    /// <summary>
    /// The graph of <paramref name="f"/> at parameters and inputs, e.g. a loss of a model's parameters on a batch of
    /// data: the leaves of <paramref name="parameters"/> are parameters, those of <paramref name="inputs"/> inputs
    /// (never differentiated), each labelled with its path.
    /// </summary>
    /// <param name="f">A function of parameters and inputs.</param>
    /// <param name="parameters">The parameter tree to run it on.</param>
    /// <param name="inputs">The inputs to run it on, e.g. <c>{ x, labels }</c>; any dtype.</param>
    /// <param name="backward">Also record the backward pass: the ops that compute the gradient of the output by every parameter.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static ComputationGraph Record(Func<TensorTree, TensorTree, Tensor> f, TensorTree parameters, TensorTree inputs, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(inputs);
        return Run(new CallSite(file, line), (ps, xs) => f(parameters.WithLeaves(ps), inputs.WithLeaves(xs)),
            Labelled(parameters, "params"), Labelled(inputs, "inputs"), backward);
    }

    /// <summary>The DOT text of <see cref="Record(Func{Tensor, Tensor}, Tensor, bool, string, int)"/>'s graph (see <see cref="ComputationGraph.ToDot"/>).</summary>
    /// <param name="f">Any function of one tensor.</param>
    /// <param name="x">The argument to run it on.</param>
    /// <param name="backward">Also draw the backward pass.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static string ToDot(Func<Tensor, Tensor> f, Tensor x, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Record(f, x, backward, file, line).ToDot();

    /// <summary>The DOT text of <see cref="Record(Func{Tensor[], Tensor}, Tensor[], int[], bool, string, int)"/>'s graph.</summary>
    /// <param name="f">Any function of an array of tensors.</param>
    /// <param name="xs">The arguments to run it on.</param>
    /// <param name="argnums">The positions of the parameters; null or empty for all.</param>
    /// <param name="backward">Also draw the backward pass.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static string ToDot(Func<Tensor[], Tensor> f, Tensor[] xs, int[]? argnums = null, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Record(f, xs, argnums, backward, file, line).ToDot();

    /// <summary>The DOT text of <see cref="Record(Func{TensorTree, Tensor}, TensorTree, bool, string, int)"/>'s graph.</summary>
    /// <param name="f">A function of parameters, such as a loss.</param>
    /// <param name="parameters">The tree to run it on.</param>
    /// <param name="backward">Also draw the backward pass.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static string ToDot(Func<TensorTree, Tensor> f, TensorTree parameters, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Record(f, parameters, backward, file, line).ToDot();

    /// <summary>The DOT text of <see cref="Record(Func{TensorTree, TensorTree, Tensor}, TensorTree, TensorTree, bool, string, int)"/>'s graph.</summary>
    /// <param name="f">A function of parameters and inputs.</param>
    /// <param name="parameters">The parameter tree to run it on.</param>
    /// <param name="inputs">The inputs to run it on.</param>
    /// <param name="backward">Also draw the backward pass.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static string ToDot(Func<TensorTree, TensorTree, Tensor> f, TensorTree parameters, TensorTree inputs, bool backward = false,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Record(f, parameters, inputs, backward, file, line).ToDot();

    private static (string, Tensor)[] Labelled(TensorTree tree, string rootName) =>
        [.. tree.Leaves().Select(l => (l.Path.Length == 0 ? rootName : l.Path, l.Value))];

    private static ComputationGraph Run(CallSite site, Func<Tensor[], Tensor[], Tensor> f,
        (string Label, Tensor Value)[] parameters, (string Label, Tensor Value)[] inputs, bool backward)
    {
        if (backward)
        {
            foreach (var (label, value) in parameters)
            {
                if (!value.DType.IsFloating())
                {
                    throw site.Error(Name, $"parameter {label} is {value.DType.Name()}{value.Shape}; only float32/float64 tensors can be differentiated (pass it as an input, or leave backward off)");
                }
            }
        }

        var trace = new GraphTrace(Name);
        var outputs = new List<GraphOutput>();
        try
        {
            var ps = Array.ConvertAll(parameters, p => trace.NewLeaf(p.Value, GraphNodeKind.Parameter, p.Label));
            var xs = Array.ConvertAll(inputs, x => trace.NewLeaf(x.Value, GraphNodeKind.Input, x.Label));
            Tensor Call(Tensor[] args) => f(args, xs) ?? throw site.Error(Name, "the function returned null");
            if (!backward)
            {
                outputs.Add(new GraphOutput("output", trace.NodeOf(Call(ps))));
            }
            else
            {
                var (value, pullback) = Reverse.Vjp(site, Call, ps);
                if (!value.DType.IsFloating())
                {
                    throw site.Error(Name, $"the function returned {value.DType.Name()}{value.Shape}; only a float output can be differentiated (leave backward off)");
                }

                outputs.Add(new GraphOutput("output", trace.NodeOf(value)));
                // The seed is a node of its own, traced, so that the ops the backward pass runs on it are recorded too.
                var seed = trace.NewLeaf(Tensor.OnesLike(value), GraphNodeKind.Constant, "seed (ones)");
                trace.InBackward = true;
                var grads = pullback(seed);
                for (int i = 0; i < grads.Length; i++)
                {
                    outputs.Add(new GraphOutput("grad " + parameters[i].Label, trace.NodeOf(grads[i])));
                }
            }
        }
        finally
        {
            trace.Close();
        }

        return trace.ToGraph(outputs);
    }
}
