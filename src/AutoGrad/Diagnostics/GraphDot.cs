using System.Globalization;
using System.Text;

namespace AutoGrad;

/// <summary>Writes a <see cref="ComputationGraph"/> in Graphviz's DOT language.</summary>
internal static class GraphDot
{
    private const string ParameterColor = "#cfe2ff";
    private const string InputColor = "#e9ecef";
    private const string ForwardColor = "#fff3bf";
    private const string BackwardColor = "#ffd6d6";

    public static string Write(ComputationGraph graph, string? title)
    {
        var outputsOf = new Dictionary<int, List<string>>();
        foreach (var output in graph.Outputs)
        {
            if (!outputsOf.TryGetValue(output.Node, out var names))
            {
                outputsOf[output.Node] = names = [];
            }

            names.Add(output.Name);
        }

        bool backward = graph.Nodes.Any(n => n.IsBackward);
        var legend = "blue boxes: parameters, gray boxes: inputs, dashed boxes: constants, ellipses: ops"
            + (backward ? " (red: backward)" : "") + ", double outline: outputs";
        var dot = new StringBuilder();
        dot.Append("digraph computation {\n");
        dot.Append("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=10, label=")
            .Append(Label(title is null ? [legend] : [title, legend])).Append("];\n");
        dot.Append("  node [fontname=\"Helvetica\", fontsize=10];\n");
        dot.Append("  edge [arrowsize=0.6, color=\"#555555\"];\n");
        foreach (var node in graph.Nodes)
        {
            var lines = new List<string> { node.Label, $"{node.DType.Name()}{node.Shape}" };
            bool isOutput = outputsOf.TryGetValue(node.Id, out var names);
            if (isOutput)
            {
                lines.Add(string.Join(", ", names!));
            }

            string style = node.Kind switch
            {
                GraphNodeKind.Parameter => $"shape=box, style=\"filled,bold\", fillcolor=\"{ParameterColor}\"",
                GraphNodeKind.Input => $"shape=box, style=filled, fillcolor=\"{InputColor}\"",
                GraphNodeKind.Constant => "shape=box, style=dashed",
                _ => $"shape=ellipse, style=filled, fillcolor=\"{(node.IsBackward ? BackwardColor : ForwardColor)}\"",
            };
            dot.Append(CultureInfo.InvariantCulture, $"  n{node.Id} [label={Label(lines)}, {style}{(isOutput ? ", peripheries=2" : "")}];\n");
        }

        foreach (var node in graph.Nodes)
        {
            foreach (int input in node.Inputs)
            {
                dot.Append(CultureInfo.InvariantCulture, $"  n{input} -> n{node.Id};\n");
            }
        }

        dot.Append("}\n");
        return dot.ToString();
    }

    /// <summary>A quoted DOT string of <paramref name="lines"/>, separated by DOT's centred line break.</summary>
    internal static string Label(IEnumerable<string> lines) => "\"" + string.Join("\\n", lines.Select(Escape)) + "\"";

    /// <summary>
    /// Text that reads literally inside a quoted DOT string: backslashes and quotes escaped (so a name cannot end the
    /// string or start one of DOT's escapes such as <c>\N</c>), line breaks as DOT's <c>\n</c>, other control characters as spaces.
    /// </summary>
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\':
                    escaped.Append("\\\\");
                    break;
                case '"':
                    escaped.Append("\\\"");
                    break;
                case '\n':
                    escaped.Append("\\n");
                    break;
                case '\r':
                    break;
                default:
                    escaped.Append(char.IsControl(c) ? ' ' : c);
                    break;
            }
        }

        return escaped.ToString();
    }
}
