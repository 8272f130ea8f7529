using System.Text.RegularExpressions;
using AutoGrad.Autodiff;
using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>Graph export: the recorded ops, their nodes and edges, the DOT text and Graphviz's verdict on it.</summary>
public class GraphExportTests
{
    private static Tensor Vec(params double[] v) => Tensor.FromArray(v);

    private static string[] Ops(ComputationGraph graph) => [.. graph.Nodes.Where(n => n.Kind == GraphNodeKind.Op).Select(n => n.Label)];

    /// <summary>The DOT statement that declares node <paramref name="id"/>.</summary>
    private static string NodeLine(string dot, int id) => dot.Split('\n').Single(l => l.StartsWith($"  n{id} [", StringComparison.Ordinal));

    private static string[] EdgeLines(string dot) => [.. Regex.Matches(dot, @"^  (n\d+ -> n\d+;)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];

    /// <summary>How many primitives the reverse-mode tape records for f at x (its output's node id: node 0 is x).</summary>
    private static int TapeOpCount(Func<Tensor, Tensor> f, Tensor x)
    {
        var trace = new ReverseTrace("count");
        try
        {
            var y = f(trace.NewVariable(x));
            Assert.Same(trace, y.Trace);
            return y.NodeId;
        }
        finally
        {
            trace.Close();
        }
    }

    [Fact]
    public void RecordsOneNodePerPrimitiveInExecutionOrder()
    {
        var graph = Graph.Record(x => (x.Tanh() * x.Tanh()).Sum(), Vec(0.5, -1, 2));
        Assert.Equal(["Tanh", "Tanh", "Mul", "Sum"], Ops(graph));
        Assert.Equal(5, graph.Nodes.Count);
        Assert.Equal(GraphNodeKind.Parameter, graph.Nodes[0].Kind);
        Assert.Equal("x", graph.Nodes[0].Label);
        Assert.Equal([1, 2], graph.Nodes[3].Inputs);
        Assert.Equal([new GraphOutput("output", 4)], graph.Outputs);
        Assert.Equal(Shape.Scalar, graph.Nodes[4].Shape);
    }

    public static TheoryData<string> Functions() => ["tanh-square", "softmax", "logsumexp", "mean-of-matmul", "slice-and-stack"];

    private static (Func<Tensor, Tensor> F, Tensor X) Function(string name) => name switch
    {
        "tanh-square" => (x => (x.Tanh() * x.Tanh()).Sum(), Vec(0.5, -1, 2)),
        "softmax" => (x => x.Softmax(-1), Tensor.FromArray(new[,] { { 1.0, 2, 3 }, { 0, -1, 4 } })),
        "logsumexp" => (x => x.LogSumExp(0) * 2.0 - x.Exp().Mean(), Tensor.FromArray(new[,] { { 1.0, 2 }, { 3, 4 } })),
        "mean-of-matmul" => (x => x.MatMul(x.Transpose()).Mean() + x.Sqrt().Sum(), Tensor.FromArray(new[,] { { 1.0, 2 }, { 3, 4 } })),
        _ => (x => Tensor.Stack([x.Slice(0, 0, 1), x.Slice(0, 1, 2) * x.Slice(0, 0, 1)]).Sum(), Vec(1, 2, 3)),
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public void OpCountEqualsThePrimitivesTheTapeRecordsAndEdgesEqualTheirInputs(string name)
    {
        var (f, x) = Function(name);
        var graph = Graph.Record(f, x);
        Assert.Equal(TapeOpCount(f, x), graph.OpCount);

        var dot = graph.ToDot();
        Assert.Equal(graph.Nodes.Count, Regex.Matches(dot, @"^  n\d+ \[", RegexOptions.Multiline).Count);
        var edges = EdgeLines(dot);
        Assert.Equal(graph.EdgeCount, edges.Length);
        foreach (var node in graph.Nodes)
        {
            Assert.True(node.Inputs.All(i => i < node.Id), $"node {node.Id} reads a later node");
            foreach (int input in node.Inputs.Distinct())
            {
                Assert.Equal(node.Inputs.Count(i => i == input), edges.Count(e => e == $"n{input} -> n{node.Id};"));
            }
        }

        GraphvizDot.Render(dot);
    }

    [Fact]
    public void DotDrawsParametersInputsConstantsAndOpsDifferentlyAndMarksTheOutput()
    {
        var graph = Graph.Record(xs => (xs[0] * xs[1]).Sum() * 3.0, [Vec(1, 2), Vec(3, 4)], argnums: [0]);
        Assert.Equal(
            [GraphNodeKind.Parameter, GraphNodeKind.Input, GraphNodeKind.Op, GraphNodeKind.Op, GraphNodeKind.Constant, GraphNodeKind.Op],
            graph.Nodes.Select(n => n.Kind));
        var dot = graph.ToDot();
        Assert.Equal("  n0 [label=\"x[0]\\nfloat64[2]\", shape=box, style=\"filled,bold\", fillcolor=\"#cfe2ff\"];", NodeLine(dot, 0));
        Assert.Equal("  n1 [label=\"x[1]\\nfloat64[2]\", shape=box, style=filled, fillcolor=\"#e9ecef\"];", NodeLine(dot, 1));
        Assert.Equal("  n2 [label=\"Mul\\nfloat64[2]\", shape=ellipse, style=filled, fillcolor=\"#fff3bf\"];", NodeLine(dot, 2));
        Assert.Equal("  n4 [label=\"3\\nfloat64[]\", shape=box, style=dashed];", NodeLine(dot, 4));
        Assert.Equal("  n5 [label=\"Mul\\nfloat64[]\\noutput\", shape=ellipse, style=filled, fillcolor=\"#fff3bf\", peripheries=2];", NodeLine(dot, 5));
        Assert.Single(dot.Split('\n'), l => l.Contains("peripheries=2", StringComparison.Ordinal));
        Assert.Equal(["n0 -> n2;", "n1 -> n2;", "n2 -> n3;", "n3 -> n5;", "n4 -> n5;"], EdgeLines(dot));
        GraphvizDot.Render(dot);
    }

    [Fact]
    public void TreeLeavesAreLabelledWithTheirPaths()
    {
        var p = new TensorTree
        {
            { "0", new TensorTree { { "W", Tensor.Ones([3, 2], DType.Float32) }, { "b", Tensor.Zeros([2], DType.Float32) } } },
            { "1", new TensorTree { { "W", Tensor.Ones([2, 1], DType.Float32) } } },
        };
        var data = new TensorTree { { "x", Tensor.Ones([4, 3], DType.Float32) }, { "labels", Tensor.Zeros([4], DType.Int32) } };
        var graph = Graph.Record((q, d) => d["x"].MatMulAdd(q["0.W"], q["0.b"]).Sigmoid().MatMul(q["1.W"]).Sum(), p, data);
        Assert.Equal(["0.W", "0.b", "1.W", "x", "labels"], graph.Nodes.Take(5).Select(n => n.Label));
        Assert.Equal([GraphNodeKind.Parameter, GraphNodeKind.Parameter, GraphNodeKind.Parameter, GraphNodeKind.Input, GraphNodeKind.Input], graph.Nodes.Take(5).Select(n => n.Kind));
        Assert.Equal(["MatMulAdd", "Sigmoid", "MatMul", "Sum"], Ops(graph));
        Assert.Equal([3, 0, 1], graph.Nodes[5].Inputs);

        var dot = graph.ToDot();
        Assert.Contains("n0 [label=\"0.W\\nfloat32[3,2]\"", dot);
        Assert.Contains("n4 [label=\"labels\\nint32[4]\"", dot);
        Assert.Contains("[label=\"MatMulAdd\\nfloat32[4,2]\"", dot);

        var single = Graph.Record((TensorTree q) => q["0.W"].Sum(), p);
        Assert.Equal(["0.W", "0.b", "1.W"], single.Nodes.Where(n => n.Kind == GraphNodeKind.Parameter).Select(n => n.Label));
        var rootLeaf = Graph.Record((TensorTree q) => q.Value.Exp(), TensorTree.Leaf(Vec(1)));
        Assert.Equal("params", rootLeaf.Nodes[0].Label);
        GraphvizDot.Render(dot);
    }

    [Fact]
    public void NamesAreEscapedSoAnyKeyGivesValidDot()
    {
        string weird = "we\"ird\\N {<a|b>} ->\nnext;\r\t# ünï";
        var p = new TensorTree { { weird, Vec(1, 2) } };
        var dot = Graph.ToDot((TensorTree q) => q[weird].Exp().Sum(), p);
        Assert.Contains("  n0 [label=\"we\\\"ird\\\\N {<a|b>} ->\\nnext; # ünï\\nfloat64[2]\"", dot);
        Assert.Equal(["n0 -> n1;", "n1 -> n2;"], EdgeLines(dot));
        var title = Graph.Record((TensorTree q) => q[weird], p).ToDot("a \"title\"\\");
        Assert.Contains("label=\"a \\\"title\\\"\\\\\\nblue boxes", title);

        var svg = GraphvizDot.Render(dot);
        if (svg is not null)
        {
            // Graphviz read the label literally: the quote, the backslash and the braces are in the picture.
            Assert.Contains("we&quot;ird\\N {&lt;a|b&gt;} &#45;&gt;", svg);
            Assert.Contains("next; # ünï", svg);
        }

        GraphvizDot.Render(title);
    }

    [Fact]
    public async Task TheSameFunctionGivesTheSameTextEveryTime()
    {
        var p = new TensorTree { { "W", Tensor.Ones([2, 2], DType.Float64) }, { "b", Vec(1, 2) } };
        string Dot() => Graph.ToDot((TensorTree q) => (Vec(1, -1).MatMulAdd(q["W"], q["b"]).Tanh() * 0.5).Sum(), p, backward: true);
        var first = Dot();
        Assert.Equal(first, Dot());
        Assert.Equal(first, await Task.Run(Dot));
    }

    [Fact]
    public void AFunctionWithNoOpsIsItsParameterOrAConstant()
    {
        var identity = Graph.Record(x => x, Vec(1, 2));
        Assert.Equal(0, identity.OpCount);
        Assert.Single(identity.Nodes);
        Assert.Equal([new GraphOutput("output", 0)], identity.Outputs);
        var dot = identity.ToDot();
        Assert.Empty(EdgeLines(dot));
        Assert.Contains("n0 [label=\"x\\nfloat64[2]\\noutput\"", dot);
        GraphvizDot.Render(dot);

        var constant = Graph.Record(_ => Tensor.Scalar(3.0) * Tensor.Scalar(2.0), Vec(1));
        Assert.Equal([GraphNodeKind.Parameter, GraphNodeKind.Constant], constant.Nodes.Select(n => n.Kind));
        Assert.Equal("6", constant.Nodes[1].Label);
        Assert.Equal([new GraphOutput("output", 1)], constant.Outputs);
        GraphvizDot.Render(constant.ToDot());

        var empty = Graph.Record(_ => Tensor.Scalar(1.0), Array.Empty<Tensor>());
        Assert.Single(empty.Nodes);
        GraphvizDot.Render(empty.ToDot());
    }

    [Fact]
    public void NonDifferentiableOpsAreRecordedToo()
    {
        var graph = Graph.Record(x => x * x.GreaterEqual(0.0) + x.ArgMax(0).To(DType.Float64), Vec(-1, 2, 3));
        Assert.Equal(["GreaterEqual", "Mul", "ArgMax", "Cast", "Add"], Ops(graph));
        GraphvizDot.Render(graph.ToDot());

        // They are recorded without changing what the function computes or what Grad sees.
        Assert.Equal([0.0, 1, 1], Grad((Tensor x) => (x * x.GreaterEqual(0.0)).Sum())(Vec(-1, 2, 3)).ToDoubleArray());

        // With backward: true, one on a parameter runs under the reverse trace, which computes it directly
        // (docs/debugging.md says so): its result is a constant of the graph.
        var both = Graph.Record(x => (x * x.GreaterEqual(0.0)).Sum(), Vec(-1, 2, 3), backward: true);
        Assert.DoesNotContain(both.Nodes, n => n.Label == "GreaterEqual");
        Assert.Equal(both.Nodes.Single(n => n.Kind == GraphNodeKind.Constant && n.Label == "constant").Id, both.Nodes.First(n => n.Label == "Mul").Inputs[1]);
    }

    [Fact]
    public void BackwardRecordsTheDerivativeRulesOpsFromTheSeedToEachGradient()
    {
        var graph = Graph.Record(x => x * 2.0 + 1.0, Vec(1, 2), backward: true);
        Assert.Equal(
            """
            %0 : float64[2]   parameter x
            %1 : float64[]   constant 2
            %2 = Mul(%0, %1) : float64[2]
            %3 : float64[]   constant 1
            %4 = Add(%2, %3) : float64[2]
            %5 : float64[2]   constant seed (ones)
            %6 = Mul(%5, %1) : float64[2]   (backward)
            output = %4
            grad x = %6

            """.ReplaceLineEndings("\n"),
            graph.ToString());

        var p = new TensorTree { { "W", Tensor.Ones([3, 2], DType.Float64) }, { "b", Vec(0, 0) } };
        var data = new TensorTree { { "x", Tensor.Ones([4, 3], DType.Float64) } };
        var mlp = Graph.Record((q, d) => d["x"].MatMulAdd(q["W"], q["b"]).Tanh().Mean(), p, data, backward: true);
        var forward = mlp.Nodes.Where(n => n.Kind == GraphNodeKind.Op && !n.IsBackward).Select(n => n.Label);
        Assert.Equal(["MatMulAdd", "Tanh", "Sum", "Div"], forward);
        Assert.Contains(mlp.Nodes, n => n.IsBackward && n.Label == "TanhGrad");
        Assert.Equal(["output", "grad W", "grad b"], mlp.Outputs.Select(o => o.Name));
        Assert.Equal([3, 2], mlp.Nodes[mlp.Outputs[1].Node].Shape.ToArray());
        Assert.True(mlp.Nodes[mlp.Outputs[1].Node].IsBackward);

        var dot = mlp.ToDot();
        Assert.Contains("fillcolor=\"#ffd6d6\"", dot);
        Assert.Contains("(red: backward)", dot);
        Assert.Contains("\\ngrad W\", shape=ellipse", dot);
        GraphvizDot.Render(dot);
    }

    [Fact]
    public void BackwardOfAParameterTheOutputIgnoresIsAZeroConstant()
    {
        var graph = Graph.Record(xs => xs[0].Sum(), [Vec(1), Vec(2)], backward: true);
        var unused = graph.Nodes[graph.Outputs.Single(o => o.Name == "grad x[1]").Node];
        Assert.Equal(GraphNodeKind.Constant, unused.Kind);
        GraphvizDot.Render(graph.ToDot());
    }

    [Fact]
    public void MistakesAreReportedAtTheCallersLine()
    {
        var ints = new TensorTree { { "n", Tensor.FromArray(new[] { 1, 2 }) } };
        var e = Assert.Throws<TensorOpException>(() => Graph.Record((TensorTree q) => q["n"].To(DType.Float64).Sum(), ints, backward: true));
        Assert.Contains("Graph.Record at GraphExportTests.cs:", e.Message);
        Assert.Contains("parameter n is int32[2]; only float32/float64 tensors can be differentiated", e.Message);

        // Forward only, an int32 parameter is fine.
        Assert.Equal(["Cast", "Sum"], Ops(Graph.Record((TensorTree q) => q["n"].To(DType.Float64).Sum(), ints)));

        var nil = Assert.Throws<TensorOpException>(() => Graph.Record(_ => null!, Vec(1)));
        Assert.Contains("the function returned null", nil.Message);
        var argnums = Assert.Throws<TensorOpException>(() => Graph.Record(xs => xs[0], [Vec(1)], argnums: [1]));
        Assert.Contains("argnums [1] must name distinct arguments among the 1 given", argnums.Message);

        Tensor? leaked = null;
        Graph.Record(x => leaked = x.Exp(), Vec(1));
        var late = Assert.Throws<InvalidOperationException>(() => leaked!.Exp());
        Assert.Contains("traced by Graph.Record was used after that transform returned", late.Message);
    }

    [Fact]
    public void RecordingInsideAGradientLeavesTheGradientExact()
    {
        // A graph recorded on tensors an outer Grad traces: the outer gradient is unchanged.
        ComputationGraph? inner = null;
        var g = Grad((Tensor x) =>
        {
            inner = Graph.Record(t => t.Sin(), x);
            return (x.Sin() * x).Sum();
        })(Vec(0.5));
        Assert.Equal(Math.Cos(0.5) * 0.5 + Math.Sin(0.5), g.Item(), 12);
        Assert.Equal(["Sin"], Ops(inner!));
    }
}
