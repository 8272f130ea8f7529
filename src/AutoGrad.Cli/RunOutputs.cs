using System.Diagnostics;
using System.Globalization;

namespace AutoGrad.Cli;

/// <summary>
/// The output directory of <c>train</c>: checked before any epoch runs, and written as a set, like a journal:
/// <list type="number">
/// <item>every output (model, history, plots) and a manifest naming them are written in full, and flushed to disk, in a
/// staging directory <c>.staging-&lt;pid&gt;-&lt;id&gt;</c> inside it;</item>
/// <item>one rename turns the staging directory into <c>.commit-&lt;pid&gt;-&lt;id&gt;</c>: the commit point;</item>
/// <item>the files are moved into place, outputs of an earlier run that this set lacks (a classification run's
/// accuracy.png after a regression run) are removed, and the commit directory goes.</item>
/// </list>
/// A run killed before the commit point changes nothing, and the next run removes its staging directory. A run killed
/// after it is finished, from its commit directory, by the next command that opens the directory (<c>train</c> into it,
/// <c>evaluate</c> or <c>predict</c> of its model), so no command ever reads a new model beside a stale history.
/// </summary>
internal static class RunOutputs
{
    /// <summary>Every file a run may write; those a run does not produce are removed so that none is left stale.</summary>
    public static readonly string[] Names = ["model.safetensors", "history.csv", "loss.png", "accuracy.png"];

    private const string StagingPrefix = ".staging-";
    private const string CommitPrefix = ".commit-";
    private const string Manifest = ".set";

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
        Recover(full);
        return full;
    }

    /// <summary>
    /// Writes the run's outputs through <paramref name="write"/> into a staging directory (it receives the directory and
    /// returns the names it wrote), then commits them into <paramref name="directory"/> as described above.
    /// </summary>
    public static void Commit(string directory, Func<string, IReadOnlyCollection<string>> write)
    {
        string id = $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";
        string staging = Path.Combine(directory, StagingPrefix + id), commit = Path.Combine(directory, CommitPrefix + id);
        Directory.CreateDirectory(staging);
        try
        {
            var written = write(staging);
            foreach (var name in written)
            {
                using var file = new FileStream(Path.Combine(staging, name), FileMode.Open, FileAccess.ReadWrite);
                file.Flush(flushToDisk: true); // on disk before the commit point, so a power cut cannot commit an empty file
            }

            using (var manifest = new FileStream(Path.Combine(staging, Manifest), FileMode.CreateNew, FileAccess.Write))
            {
                manifest.Write(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", written)));
                manifest.Flush(flushToDisk: true);
            }

            Directory.Move(staging, commit);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        Complete(directory, commit);
    }

    /// <summary>
    /// Finishes the commits that runs killed after their commit point left in <paramref name="directory"/> (none while
    /// their process still runs: it is finishing them itself).
    /// </summary>
    public static void Recover(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (var commit in Directory.EnumerateDirectories(directory, CommitPrefix + "*"))
        {
            if (OwnerIsGone(Path.GetFileName(commit)[CommitPrefix.Length..]))
            {
                Complete(directory, commit);
            }
        }
    }

    /// <summary>Moves a committed set into place and removes what it lacks; repeatable, so a second kill is harmless too.</summary>
    private static void Complete(string directory, string commit)
    {
        var set = File.ReadAllText(Path.Combine(commit, Manifest)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in set)
        {
            string staged = Path.Combine(commit, name);
            if (File.Exists(staged))
            {
                File.Move(staged, Path.Combine(directory, name), overwrite: true);
            }
        }

        foreach (var stale in Names.Except(set))
        {
            File.Delete(Path.Combine(directory, stale));
        }

        Directory.Delete(commit, recursive: true);
    }

    /// <summary>True when the process named by a staging or commit directory's "&lt;pid&gt;-&lt;id&gt;" has ended.</summary>
    private static bool OwnerIsGone(string suffix)
    {
        int dash = suffix.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(suffix[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId && !IsRunning(pid);
    }

    /// <summary>Removes staging directories left by runs that were killed before their commit point (their process is gone).</summary>
    private static void RemoveDeadStaging(string directory)
    {
        foreach (var staging in Directory.EnumerateDirectories(directory, StagingPrefix + "*"))
        {
            if (OwnerIsGone(Path.GetFileName(staging)[StagingPrefix.Length..]))
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
