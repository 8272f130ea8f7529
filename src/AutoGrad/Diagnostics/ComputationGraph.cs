using System.Globalization;
using System.Text;

namespace AutoGrad;

/// <summary>
/// The graph of primitive ops one call of a function ran, as recorded by <see cref="Graph.Record(Func{Tensor, Tensor}, Tensor, bool, string, int)"/>:
/// its parameters, inputs and constants, one node per primitive application, and its outputs. The graph holds
/// names, shapes and dtypes only, no tensor values.
/// </summary>
/// <remarks>
/// The graph is per op, not per neuron: a dense layer of 512 units is one <c>MatMulAdd</c> node. Composite functions
/// (<c>Softmax</c>, <c>Mean</c>, the losses) appear as the primitives they are made of.
/// </remarks>
public sealed class ComputationGraph
{
    internal ComputationGraph(IReadOnlyList<GraphNode> nodes, IReadOnlyList<GraphOutput> outputs)
    {
        Nodes = nodes;
        Outputs = outputs;
    }

    /// <summary>Every node, in the order recorded; a node's inputs come before it, and <see cref="GraphNode.Id"/> is its index here.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>
    /// The function's output, named <c>output</c>, and, when the backward pass was recorded, the gradient of each
    /// parameter, named <c>grad</c> and the parameter's label.
    /// </summary>
    public IReadOnlyList<GraphOutput> Outputs { get; }

    /// <summary>The number of primitive applications recorded (nodes of kind <see cref="GraphNodeKind.Op"/>).</summary>
    public int OpCount => Nodes.Count(n => n.Kind == GraphNodeKind.Op);

    /// <summary>The number of edges: each op has one per input it reads (an input read twice gives two edges).</summary>
    public int EdgeCount => Nodes.Sum(n => n.Inputs.Count);

    /// <summary>
    /// The graph in Graphviz's DOT language, ready for <c>dot -Tsvg graph.dot -o graph.svg</c>. Parameters are blue
    /// boxes, inputs gray boxes, constants dashed boxes, forward ops yellow ellipses, backward ops red ellipses;
    /// outputs have a double outline and their name on a third line. The text depends only on the graph, so the same
    /// function gives the same bytes every time.
    /// </summary>
    /// <param name="title">A title written above the legend at the bottom of the picture, or null for none.</param>
    public string ToDot(string? title = null) => GraphDot.Write(this, title);

    /// <summary>
    /// A text listing in the spirit of <c>jax.make_jaxpr</c>: one line per parameter, input and constant, then one
    /// per op, e.g. <c>%5 = MatMulAdd(%4, %0, %1) : float32[1,512]</c>, then the outputs.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var node in Nodes)
        {
            string type = $"{node.DType.Name()}{node.Shape}";
            string line = node.Kind switch
            {
                GraphNodeKind.Op => $"%{node.Id} = {node.Label}({string.Join(", ", node.Inputs.Select(i => "%" + i.ToString(CultureInfo.InvariantCulture)))}) : {type}"
                    + (node.IsBackward ? "   (backward)" : ""),
                GraphNodeKind.Parameter => $"%{node.Id} : {type}   parameter {node.Label}",
                GraphNodeKind.Input => $"%{node.Id} : {type}   input {node.Label}",
                _ => $"%{node.Id} : {type}   constant" + (node.Label == "constant" ? "" : " " + node.Label),
            };
            text.Append(line).Append('\n');
        }

        foreach (var output in Outputs)
        {
            text.Append(CultureInfo.InvariantCulture, $"{output.Name} = %{output.Node}\n");
        }

        return text.ToString();
    }
}

/// <summary>What a node of a <see cref="ComputationGraph"/> stands for.</summary>
public enum GraphNodeKind
{
    /// <summary>A differentiated input of the function: a tensor argument, or a leaf of the parameter tree.</summary>
    Parameter,

    /// <summary>An input the function is not differentiated by: data, labels.</summary>
    Input,

    /// <summary>
    /// A tensor the function did not receive: a captured value, a literal such as the 2 of <c>x * 2</c>, or the result
    /// of ops on such values only (computed directly, so not recorded as ops). One node per tensor object.
    /// </summary>
    Constant,

    /// <summary>One application of a primitive op.</summary>
    Op,
}

/// <summary>One node of a <see cref="ComputationGraph"/>.</summary>
/// <param name="Id">The node's index in <see cref="ComputationGraph.Nodes"/>.</param>
/// <param name="Kind">Parameter, input, constant or op.</param>
/// <param name="Label">
/// The op's name (<c>MatMulAdd</c>, <c>Sigmoid</c>) for an op; the tree path (<c>0.W</c>) or argument name (<c>x</c>,
/// <c>x[1]</c>) for a parameter or input; the value of a scalar constant, or <c>constant</c>.
/// </param>
/// <param name="Shape">The shape of the node's value (an op's output).</param>
/// <param name="DType">The dtype of the node's value.</param>
/// <param name="Inputs">The ids of the nodes an op reads, in argument order; empty for other kinds.</param>
/// <param name="IsBackward">True for an op recorded while the backward pass ran (a derivative rule's op).</param>
public sealed record GraphNode(int Id, GraphNodeKind Kind, string Label, Shape Shape, DType DType, IReadOnlyList<int> Inputs, bool IsBackward);

/// <summary>A named output of a <see cref="ComputationGraph"/>.</summary>
/// <param name="Name"><c>output</c> for the function's value, <c>grad</c> and the parameter's label for a gradient.</param>
/// <param name="Node">The id of the node that holds it.</param>
public sealed record GraphOutput(string Name, int Node);
