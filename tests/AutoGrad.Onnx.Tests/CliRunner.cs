using AutoGrad.Cli;
using Spectre.Console;

namespace AutoGrad.Onnx.Tests;

/// <summary>Runs the CLI in-process with a plain-text console and captures what it prints (as AutoGrad.Cli.Tests does).</summary>
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
        console.Profile.Width = 200;
        int code = CliApp.Run(args, console, output);
        return (code, output.ToString());
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("autograd-onnx-").FullName;
}
