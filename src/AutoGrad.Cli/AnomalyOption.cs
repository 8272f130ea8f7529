using System.CommandLine;
using System.CommandLine.Invocation;

namespace AutoGrad.Cli;

/// <summary>
/// <c>--detect-anomaly</c>: runs a command in anomaly mode (<see cref="Anomaly.Detect(string, int)"/>), so that the first op
/// producing a NaN or an infinity stops it with one line naming the op, forward or backward, and its input shapes.
/// </summary>
internal static class AnomalyOption
{
    /// <summary>Adds the option to <paramref name="command"/> and wraps the action it already has in the scope.</summary>
    public static void AddTo(Command command)
    {
        var option = new Option<bool>("--detect-anomaly")
        {
            Description = "Stop at the first op that produces a NaN or an infinity and name it (slow: every op's result is checked; compiled steps run op by op)",
        };
        command.Options.Add(option);
        command.Action = new Scoped(option, (SynchronousCommandLineAction)command.Action!);
    }

    private sealed class Scoped(Option<bool> option, SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            using var scope = Anomaly.Detect(parseResult.GetValue(option));
            return inner.Invoke(parseResult);
        }
    }
}
