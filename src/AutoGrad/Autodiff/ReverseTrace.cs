using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// Reverse mode: a tape of primitive applications in execution order. Backward walks it once from the
/// output down, calling each primitive's VJP rule and adding cotangents of values used several times.
/// </summary>
internal sealed class ReverseTrace(string transform) : Trace(transform)
{
    private readonly List<TapeNode> _nodes = [];

    // Functions under a transform may fan work out to other threads (an inner Grad per Parallel.For
    // iteration, say), and every such thread records onto this one tape: appending and taking the
    // node's index must be one step. An uncontended lock costs tens of nanoseconds per op.
    private readonly Lock _append = new();

    /// <summary>Registers <paramref name="value"/> as an input to differentiate with respect to.</summary>
    public Tensor NewVariable(Tensor value)
    {
        return new Tensor(this, value, Append(new TapeNode(null, [], value, [], CallSite.Unknown)), null);
    }

    public override Tensor Process(Primitive primitive, Tensor[] inputs, Tensor[] primals, Tensor output, CallSite site)
    {
        var parents = new int[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            parents[i] = inputs[i].Trace == this ? inputs[i].NodeId : -1;
        }

        return new Tensor(this, output, Append(new TapeNode(primitive, primals, output, parents, site)), null);
    }

    private int Append(TapeNode node)
    {
        lock (_append)
        {
            _nodes.Add(node);
            return _nodes.Count - 1;
        }
    }

    /// <summary>
    /// Propagates <paramref name="seed"/> (the cotangent of <paramref name="output"/>) back through the tape
    /// and returns the cotangent of each variable in <paramref name="variables"/>: zeros of the variable's
    /// shape where the output does not depend on it.
    /// </summary>
    public Tensor[] Backward(Tensor output, Tensor seed, Tensor[] variables) => Backward([output], [seed], variables);

    /// <summary>
    /// As <see cref="Backward(Tensor, Tensor, Tensor[])"/> for several outputs at once (a function returning a tuple or
    /// tree): one pass down the tape with each output's cotangent seeded where it was produced.
    /// </summary>
    public Tensor[] Backward(Tensor[] outputs, Tensor[] seeds, Tensor[] variables)
    {
        // VJPs read the tape's saved inputs, donated constants included: none of their buffers may be taken.
        DonationGate.Close();
        try
        {
            return BackwardCore(outputs, seeds, variables);
        }
        finally
        {
            DonationGate.Reopen();
        }
    }

    private Tensor[] BackwardCore(Tensor[] outputs, Tensor[] seeds, Tensor[] variables)
    {
        var grads = new Tensor[variables.Length];
        Tensor?[] cotangents;
        int last = -1;
        foreach (var output in outputs)
        {
            last = output.Trace == this ? Math.Max(last, output.NodeId) : last;
        }

        if (last >= 0)
        {
            cotangents = new Tensor?[last + 1];
            for (int o = 0; o < outputs.Length; o++)
            {
                if (outputs[o].Trace == this)
                {
                    int node = outputs[o].NodeId;
                    cotangents[node] = cotangents[node] is { } seeded ? seeded + seeds[o] : seeds[o];
                }
            }

            var neededByArity = new bool[]?[4];
            bool anomaly = AnomalyCheck.Active;
            for (int id = last; id >= 0; id--)
            {
                var g = cotangents[id];
                var node = _nodes[id];
                if (g is null || node.Primitive is null)
                {
                    continue;
                }

                // One flags array per arity for the whole pass: rules read it during their call and keep no reference.
                int arity = node.Parents.Length;
                var needed = arity < neededByArity.Length ? neededByArity[arity] ??= new bool[arity] : new bool[arity];
                bool any = false;
                for (int i = 0; i < needed.Length; i++)
                {
                    needed[i] = node.Parents[i] >= 0;
                    any |= needed[i];
                }

                if (!any)
                {
                    continue;
                }

                var inputCotangents = anomaly
                    ? AnomalyCheck.Vjp(node.Primitive, node.Site, g, node.Primals, node.Output, needed)
                    : node.Primitive.Vjp(g, node.Primals, node.Output, needed);
                for (int i = 0; i < needed.Length; i++)
                {
                    var c = inputCotangents[i];
                    if (!needed[i] || c is null)
                    {
                        continue;
                    }

                    var parent = node.Parents[i];
                    var primal = _nodes[parent].Output;
                    if (c.Shape != primal.Shape || c.DType != primal.DType)
                    {
                        throw new InvalidOperationException(
                            $"AutoGrad internal error: the VJP of {node.Primitive.Name} returned a {c.DType.Name()}{c.Shape} cotangent for a {primal.DType.Name()}{primal.Shape} input.");
                    }

                    cotangents[parent] = cotangents[parent] is not { } acc ? c
                        : anomaly ? AnomalyCheck.Accumulate(node.Primitive, node.Site, node.Primals, i, acc, c)
                        : acc + c;
                }

                cotangents[id] = null; // release as we go
            }
        }
        else
        {
            cotangents = [];
        }

        for (int v = 0; v < variables.Length; v++)
        {
            var variable = variables[v];
            var primal = variable.Primal!;
            Tensor? g = variable.Trace == this && variable.NodeId < cotangents.Length ? cotangents[variable.NodeId] : null;
            grads[v] = g ?? Tensor.ZerosLike(primal);
        }

        return grads;
    }

    /// <summary>
    /// Forward mode over the recorded tape (linearization): pushes <paramref name="tangents"/> of the
    /// variables through each recorded primitive's JVP rule, in execution order, using the primal values
    /// stored at recording time, and returns the output's tangent. The function is not evaluated again.
    /// </summary>
    public Tensor PushForward(Tensor output, Tensor[] variables, Tensor[] tangents)
    {
        DonationGate.Close(); // JVPs read the tape's saved inputs too
        try
        {
            return PushForwardCore(output, variables, tangents);
        }
        finally
        {
            DonationGate.Reopen();
        }
    }

    private Tensor PushForwardCore(Tensor output, Tensor[] variables, Tensor[] tangents)
    {
        if (output.Trace != this)
        {
            return Tensor.ZerosLike(output); // the output does not depend on the variables
        }

        var tangentOf = new Tensor?[output.NodeId + 1];
        for (int v = 0; v < variables.Length; v++)
        {
            if (variables[v].Trace == this && variables[v].NodeId <= output.NodeId)
            {
                tangentOf[variables[v].NodeId] = tangents[v];
            }
        }

        bool anomaly = AnomalyCheck.Active;
        for (int id = 0; id <= output.NodeId; id++)
        {
            var node = _nodes[id];
            if (node.Primitive is null)
            {
                continue;
            }

            var inputTangents = new Tensor?[node.Parents.Length];
            bool any = false;
            for (int i = 0; i < inputTangents.Length; i++)
            {
                int parent = node.Parents[i];
                inputTangents[i] = parent >= 0 ? tangentOf[parent] : null;
                any |= inputTangents[i] is not null;
            }

            if (any)
            {
                tangentOf[id] = anomaly
                    ? AnomalyCheck.Jvp(node.Primitive, node.Site, inputTangents, node.Primals, node.Output)
                    : node.Primitive.Jvp(inputTangents, node.Primals, node.Output);
            }
        }

        return tangentOf[output.NodeId] ?? Tensor.ZerosLike(output);
    }

    // Site: the forward call's line, named by anomaly mode when a derivative rule of this node produces a NaN.
    private sealed record TapeNode(Primitive? Primitive, Tensor[] Primals, Tensor Output, int[] Parents, CallSite Site);
}
