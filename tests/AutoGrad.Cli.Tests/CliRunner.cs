using Spectre.Console;

namespace AutoGrad.Cli.Tests;

/// <summary>Runs the CLI in-process with a plain-text console and captures what it prints.</summary>
public static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        // Wide enough that no path or table row in the tests wraps.
        console.Profile.Width = 200;
        int code = CliApp.Run(args, console, output);
        return (code, output.ToString());
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("autograd-cli-").FullName;
}
