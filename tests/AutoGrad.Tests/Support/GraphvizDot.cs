using System.ComponentModel;
using System.Diagnostics;
using Xunit;

namespace AutoGrad.Tests.Support;

/// <summary>
/// Graphviz's own parser as the judge of exported DOT text. CI installs Graphviz (.ci/run), so there a missing
/// <c>dot</c> fails the test; elsewhere (CI unset) the check is left out and <see cref="Render"/> returns null.
/// </summary>
public static class GraphvizDot
{
    /// <summary>
    /// The output of <c>dot -T<paramref name="format"/></c> on <paramref name="dot"/>; fails the test if dot rejects
    /// the text or warns about it. Null when dot is not installed outside CI.
    /// </summary>
    public static string? Render(string dot, string format = "svg")
    {
        var start = new ProcessStartInfo("dot", "-T" + format)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true",
                "Graphviz's dot is not on PATH; CI must install it (apt-get install graphviz, see .ci/run).");
            return null;
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            process.StandardInput.Write(dot);
            process.StandardInput.Close();
            Assert.True(process.WaitForExit(60_000), "dot did not finish within a minute");
            Assert.True(process.ExitCode == 0 && stderr.Result.Length == 0, $"dot rejected the text (exit code {process.ExitCode}): {stderr.Result}\n{dot}");
            return stdout.Result;
        }
    }
}
