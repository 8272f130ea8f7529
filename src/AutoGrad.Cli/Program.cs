using Spectre.Console;

namespace AutoGrad.Cli;

/// <summary>Entry point of <c>autograd</c>.</summary>
internal static class Program
{
    public static int Main(string[] args) => DistributedOption.Finish(CliApp.Run(args, AnsiConsole.Console, Console.Error), Console.Error);
}
