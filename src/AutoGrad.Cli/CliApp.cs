using System.CommandLine;
using AutoGrad.Cli.Commands;
using Spectre.Console;

namespace AutoGrad.Cli;

/// <summary>The <c>autograd</c> command line: builds the commands and runs them with one error policy.</summary>
internal static class CliApp
{
    public static RootCommand Build(IAnsiConsole console)
    {
        var root = new RootCommand("autograd: train, evaluate and check neural networks with AutoGrad")
        {
            TrainCommand.Create(console),
            EvaluateCommand.Create(console),
            PredictCommand.Create(console),
            GradCheckCommand.Create(console),
            DataCommand.Create(console),
            GraphCommand.Create(console),
            ExportCommand.Create(console),
        };

        // Help's usage lines read `autograd` however the program was started: the installed tool, `dotnet run`
        // (whose executable is AutoGrad.Cli) or a test host.
        root.HelpName = "autograd";
        return root;
    }

    /// <summary>Parses and runs; returns the exit code. Output goes to <paramref name="console"/>, errors to <paramref name="error"/>.</summary>
    public static int Run(string[] args, IAnsiConsole console, TextWriter error)
    {
        var parse = Build(console).Parse(args);
        if (parse.Errors.Count > 0)
        {
            // A malformed command line: one line naming the problem, and where to look, instead of the full help.
            string command = parse.CommandResult.Command is RootCommand ? "" : " " + parse.CommandResult.Command.Name;
            error.WriteLine($"error: {OneLine(parse.Errors[0].Message)} (see `autograd{command} --help`)");
            return 1;
        }

        var previous = ErrorWriter.Value;
        ErrorWriter.Value = error;
        try
        {
            // Help goes where the console writes (standard output for the real one), so that it can be captured with the rest.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error, Output = console.Profile.Out.Writer });
        }
        finally
        {
            ErrorWriter.Value = previous;
        }
    }

    // Per call, not per process: commands run side by side (tests, a host embedding the CLI) keep their errors apart.
    private static readonly AsyncLocal<TextWriter?> ErrorWriter = new();

    /// <summary>Where <see cref="Guard"/> writes its one line: the running command's error writer, else standard error.</summary>
    private static TextWriter ErrorStream => ErrorWriter.Value ?? Console.Error;

    /// <summary>
    /// Runs a command body: a user error (bad option value, missing or corrupt file, impossible layer sizes)
    /// becomes one line on the error stream and exit code 1, never a stack trace.
    /// </summary>
    public static int Guard(IAnsiConsole console, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is CliException or ArgumentException or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException or FormatException or AnomalyException)
        {
            // Plain text, unwrapped, on the error stream: one line whatever the terminal width.
            ErrorStream.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }
        catch (Exception e)
        {
            // Anything else is a bug or an exhausted machine, still reported as one line.
            ErrorStream.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)}");
            return 2;
        }
    }

    private static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
