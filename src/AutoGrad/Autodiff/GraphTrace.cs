using System.Globalization;
using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// Graph export (<see cref="Graph"/>): a trace that records every primitive application, op name, input
/// nodes, output shape and dtype, and keeps no values. Tensors it did not hand out (captured values,
/// literals, results of ops on those only) become constant nodes, one per tensor object.
/// </summary>
internal sealed class GraphTrace(string transform) : Trace(transform)
{
    private readonly List<GraphNode> _nodes = [];
    private readonly Dictionary<Tensor, int> _constants = new(ReferenceEqualityComparer.Instance);

    // A function may fan work out to other threads that record here too (as with ReverseTrace).
    private readonly Lock _append = new();

    /// <summary>Non-differentiable ops (comparisons, arg-max, one-hot) are part of the graph too.</summary>
    public override bool RecordsNonDifferentiable => true;

    /// <summary>True while the backward pass runs: the ops recorded then are marked as backward ops.</summary>
    public bool InBackward { get; set; }

    /// <summary>A parameter, input or (the backward pass's seed) constant node for <paramref name="value"/>, and the traced tensor standing for it.</summary>
    public Tensor NewLeaf(Tensor value, GraphNodeKind kind, string label)
    {
        lock (_append)
        {
            int id = Add(kind, label, value, []);
            return new Tensor(this, value, id, null);
        }
    }

    /// <summary>The node of <paramref name="value"/>: its own if this trace produced it, else its constant node.</summary>
    public int NodeOf(Tensor value)
    {
        lock (_append)
        {
            return NodeOfLocked(value);
        }
    }

    public override Tensor Process(Primitive primitive, Tensor[] inputs, Tensor[] primals, Tensor output, CallSite site)
    {
        lock (_append)
        {
            var ids = new int[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                ids[i] = NodeOfLocked(inputs[i]);
            }

            int id = Add(GraphNodeKind.Op, primitive.Name, output, ids);
            return new Tensor(this, output, id, null);
        }
    }

    /// <summary>The recorded graph, with its outputs named.</summary>
    public ComputationGraph ToGraph(IReadOnlyList<GraphOutput> outputs)
    {
        lock (_append)
        {
            _constants.Clear(); // the graph keeps no tensors alive
            return new ComputationGraph([.. _nodes], outputs);
        }
    }

    private int NodeOfLocked(Tensor value)
    {
        if (value.Trace == this)
        {
            return value.NodeId;
        }

        if (!_constants.TryGetValue(value, out int id))
        {
            id = Add(GraphNodeKind.Constant, ConstantLabel(value), value, []);
            _constants.Add(value, id);
        }

        return id;
    }

    private int Add(GraphNodeKind kind, string label, Tensor value, int[] inputs)
    {
        int id = _nodes.Count;
        _nodes.Add(new GraphNode(id, kind, label, value.Shape, value.DType, inputs, InBackward && kind == GraphNodeKind.Op));
        return id;
    }

    /// <summary>A scalar literal shows its value (the 2 of <c>x * 2</c>); any other constant is just "constant".</summary>
    private static string ConstantLabel(Tensor value)
    {
        if (value.Rank != 0 || value.IsTraced)
        {
            return "constant";
        }

        double v;
        try
        {
            v = value.Item();
        }
        catch (JitTraceException)
        {
            return "constant"; // recorded inside a compiled function, where host reads are refused
        }

        return value.DType switch
        {
            DType.Float32 => ((float)v).ToString(CultureInfo.InvariantCulture),
            DType.Int32 => ((int)v).ToString(CultureInfo.InvariantCulture),
            _ => v.ToString(CultureInfo.InvariantCulture),
        };
    }
}
