using System.Diagnostics;
using System.Globalization;

namespace AutoGrad.Cli;

/// <summary>
/// The output directory of <c>train</c>: checked before any epoch runs, and written as a set. Every output (model,
/// history, plots) is first written in full to a staging directory inside it; only then are they moved into place,
/// one rename each, and outputs of an earlier run that this run does not produce (a classification run's
/// accuracy.png after a regression run) are removed. A run that fails or is killed before that point changes nothing;
/// its staging directory (<c>.staging-&lt;pid&gt;-&lt;id&gt;</c>) is removed by the next run into the same directory.
/// </summary>
internal static class RunOutputs
{
    /// <summary>Every file a run may write; those a run does not produce are removed so that none is left stale.</summary>
    public static readonly string[] Names = ["model.safetensors", "history.csv", "loss.png", "accuracy.png"];

    private const string StagingPrefix = ".staging-";

    /// <summary>Fails with one clear line unless <paramref name="directory"/> can be created and written.</summary>
    public static string Check(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new CliException("--output is empty; give a directory for the model, history and plots");
        }

        string full;
        try
        {
            full = Path.GetFullPath(directory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliException($"--output '{directory}' is not a usable path: {e.Message}");
        }

        if (File.Exists(full))
        {
            throw new CliException($"--output {directory} is a file, not a directory");
        }

        for (var parent = Path.GetDirectoryName(full); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                throw new CliException($"--output {directory} cannot be created: {parent} is a file");
            }

            if (Directory.Exists(parent))
            {
                break;
            }
        }

        foreach (var name in Names)
        {
            if (Directory.Exists(Path.Combine(full, name)))
            {
                throw new CliException($"--output {directory} holds a directory named {name}, where the run's {name} would go");
            }
        }

        // Creating the directory and a probe file is the only portable test of writability (permissions, read-only
        // mounts, quotas): better to learn it now than after an hour of training.
        string probe = Path.Combine(full, $".write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(full);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--output {directory} is not writable: {e.Message}");
        }

        RemoveDeadStaging(full);
        return full;
    }

    /// <summary>
    /// Writes the run's outputs through <paramref name="write"/> into a staging directory (it receives the directory and
    /// returns the names it wrote), then moves them into <paramref name="directory"/> and removes stale outputs.
    /// </summary>
    public static void Commit(string directory, Func<string, IReadOnlyCollection<string>> write)
    {
        string staging = Path.Combine(directory, $"{StagingPrefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var written = write(staging);
            foreach (var name in written)
            {
                File.Move(Path.Combine(staging, name), Path.Combine(directory, name), overwrite: true);
            }

            foreach (var stale in Names.Except(written))
            {
                File.Delete(Path.Combine(directory, stale));
            }
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Removes staging directories left by runs that were killed while writing (their process is gone).</summary>
    private static void RemoveDeadStaging(string directory)
    {
        foreach (var staging in Directory.EnumerateDirectories(directory, StagingPrefix + "*"))
        {
            var name = Path.GetFileName(staging)[StagingPrefix.Length..];
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(staging, recursive: true);
                }
                catch (IOException)
                {
                    // Removed meanwhile by another run.
                }
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
