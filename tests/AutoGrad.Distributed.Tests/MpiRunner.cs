using System.Diagnostics;
using System.Text;
using Xunit;

namespace AutoGrad.Distributed.Tests;

/// <summary>The outcome of one mpiexec job.</summary>
internal sealed record MpiRun(int ExitCode, string Output, string Errors, TimeSpan Elapsed, bool TimedOut)
{
    public override string ToString() => $"exit code {ExitCode} after {Elapsed.TotalSeconds:F1} s{(TimedOut ? " (timed out, killed)" : "")}\n--- stdout ---\n{Output}\n--- stderr ---\n{Errors}";
}

/// <summary>
/// Starts <c>mpiexec -n N</c> jobs on this machine, each rank a process of its own, with a deadline: MPICH's
/// MPIEXEC_TIMEOUT ends the job from inside, and the whole process tree is killed from outside a little later, so that
/// a collective that never completes fails the test rather than hanging it.
/// </summary>
internal static class MpiRunner
{
    /// <summary>mpiexec's path on PATH, or null.</summary>
    public static string? Mpiexec { get; } = Find("mpiexec");

    /// <summary>Whether this is a CI run (CI=true): there a missing mpiexec fails the tests instead of skipping them.</summary>
    public static bool InCi { get; } = Environment.GetEnvironmentVariable("CI") is { } ci && ci.Length > 0 && ci != "0" && !ci.Equals("false", StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs <c>mpiexec -n ranks program args</c>, each rank limited to one core's worth of compute threads.</summary>
    public static MpiRun Run(int ranks, string program, string arguments, int timeoutSeconds = 120, IReadOnlyDictionary<string, string>? environment = null)
    {
        var mpiexec = Mpiexec ?? throw new InvalidOperationException(
            "mpiexec is not on PATH, and CI is set, so the distributed tests must run: install MPICH (apt-get install mpich), as .ci/run does");
        var start = new ProcessStartInfo(mpiexec)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in $"-n {ranks} {program} {arguments}".Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(part);
        }

        start.Environment["MPIEXEC_TIMEOUT"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DOTNET_PROCESSOR_COUNT"] = "1"; // one compute thread per rank: the ranks share this machine's cores
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (errors) { errors.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool finished = process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + 30));
        if (!finished)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.WaitForExit(); // drains the redirected streams
        lock (output)
        {
            lock (errors)
            {
                return new MpiRun(finished ? process.ExitCode : -1, output.ToString(), errors.ToString(), clock.Elapsed, !finished);
            }
        }
    }

    /// <summary>The command that starts this assembly's Main (<see cref="Ranks"/>) with the running dotnet host.</summary>
    public static string RankProgram => $"{DotnetHost} {typeof(Ranks).Assembly.Location}";

    /// <summary>The dotnet executable running the tests (DOTNET_HOST_PATH, set by dotnet test), or dotnet on PATH.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>
/// A test that needs mpiexec: skipped, with the reason, where MPICH is not installed, but run (and failing on the missing
/// mpiexec) when CI is set, so that CI never passes by skipping them.
/// </summary>
internal sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRunner.Mpiexec is null && !MpiRunner.InCi)
        {
            Skip = "mpiexec not found on PATH: install MPICH (apt-get install mpich) to run the distributed tests (with CI=true they fail instead)";
        }
    }
}

/// <summary>The theory form of <see cref="MpiFactAttribute"/>.</summary>
internal sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiRunner.Mpiexec is null && !MpiRunner.InCi)
        {
            Skip = "mpiexec not found on PATH: install MPICH (apt-get install mpich) to run the distributed tests (with CI=true they fail instead)";
        }
    }
}
