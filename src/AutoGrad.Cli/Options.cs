using Spectre.Console;

namespace AutoGrad.Cli;

/// <summary>Option values shared by several commands.</summary>
internal static class Options
{
    public static DType ParseDType(string text) => text.ToLowerInvariant() switch
    {
        "float32" or "f32" => DType.Float32,
        "float64" or "f64" => DType.Float64,
        _ => throw new CliException($"--dtype must be float32 or float64, got '{text}'"),
    };
}

/// <summary>A TextWriter that prints progress lines (e.g. of a data fetch) to the console.</summary>
internal sealed class ConsoleLog(Spectre.Console.IAnsiConsole console) : TextWriter
{
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void WriteLine(string? value) => console.WriteLine(value ?? "");
}
