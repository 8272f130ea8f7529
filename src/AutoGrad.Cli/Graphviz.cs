using System.ComponentModel;
using System.Diagnostics;

namespace AutoGrad.Cli;

/// <summary>Graphviz's <c>dot</c>, run as a separate program to render DOT text as SVG or PNG.</summary>
internal static class Graphviz
{
    /// <summary>The environment variable that names the dot executable when <c>--dot</c> does not.</summary>
    public const string EnvironmentVariable = "AUTOGRAD_DOT";

    private const string Advice = "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use --format dot and render it elsewhere";

    /// <summary>
    /// The dot executable: <paramref name="explicitPath"/> (from <c>--dot</c> or <see cref="EnvironmentVariable"/>) if
    /// given, a path or a bare name looked up like <c>dot</c>; else the first <c>dot</c> in the directories of
    /// <paramref name="pathVariable"/> (the PATH variable's value).
    /// </summary>
    /// <exception cref="CliException">When there is none: the message says how to install Graphviz.</exception>
    public static string Find(string? explicitPath, string? pathVariable, string format)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath) ? explicitPath
                : Path.GetFileName(explicitPath) == explicitPath && OnPath(explicitPath, pathVariable) is { } found ? found
                : throw new CliException($"--format {format} needs Graphviz's dot, which is not at {explicitPath}; {Advice}");
        }

        return OnPath(OperatingSystem.IsWindows() ? "dot.exe" : "dot", pathVariable)
            ?? throw new CliException($"--format {format} needs Graphviz's dot, which is not on PATH; {Advice}");
    }

    private static string? OnPath(string name, string? pathVariable)
    {
        foreach (var dir in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs <c>dot -T<paramref name="format"/> -o <paramref name="outputPath"/></c> on <paramref name="dotText"/>.</summary>
    public static void Render(string dotExecutable, string dotText, string format, string outputPath)
    {
        var start = new ProcessStartInfo(dotExecutable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-T" + format);
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(outputPath);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CliException($"{dotExecutable} did not start; {Advice}");
        }
        catch (Win32Exception e)
        {
            throw new CliException($"{dotExecutable} could not be run ({e.Message}); {Advice}");
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(dotText);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // dot stopped reading (it exited early, on an error): what it said is reported below.
            }

            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                throw new CliException($"{dotExecutable} did not finish rendering within two minutes");
            }

            if (process.ExitCode != 0)
            {
                throw new CliException($"{dotExecutable} failed (exit code {process.ExitCode}): {stderr.Result.Trim()}{stdout.Result.Trim()}");
            }
        }
    }
}
