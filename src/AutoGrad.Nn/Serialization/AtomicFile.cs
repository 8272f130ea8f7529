using System.Diagnostics;
using System.Globalization;

namespace AutoGrad.Nn.Serialization;

/// <summary>
/// Writes a file so that readers only ever see the old contents or the complete new ones: the data goes to a
/// temporary file beside the target (same directory, so the final rename stays on one file system), is flushed to
/// disk, and is then renamed over the target in one step.
/// </summary>
/// <remarks>
/// A process killed during a write leaves its temporary file behind: <c>.&lt;name&gt;.&lt;pid&gt;.&lt;id&gt;.tmp</c>.
/// The next write to the same target removes every such file whose process is no longer running, so stale
/// temporaries never accumulate; a live writer's file (another process saving the same target) is left alone.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically; <paramref name="write"/> fills the stream.</summary>
    /// <exception cref="IOException">The directory cannot be created or the file cannot be written or renamed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        WriteVia(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            write(stream);
            stream.Flush(flushToDisk: true);
        });
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        });
    }

    /// <summary>
    /// Atomic output for writers that insist on a file name of their own (a plotting library, say):
    /// <paramref name="write"/> is given the temporary path, which keeps the target's extension.
    /// </summary>
    public static void WriteVia(string path, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path.Length == 0)
        {
            throw new ArgumentException("AtomicFile: the path is empty", nameof(path));
        }

        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new ArgumentException($"AtomicFile: '{path}' names a directory, not a file", nameof(path));
        }

        Directory.CreateDirectory(directory);
        RemoveStaleTemporaries(directory, name);
        var temp = Path.Combine(directory, $".{name}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(name)}");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Deletes the temporaries of earlier writes to <paramref name="name"/> whose writer has died.</summary>
    private static void RemoveStaleTemporaries(string directory, string name)
    {
        string prefix = "." + name + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, prefix + "*.tmp*");
        }
        catch (IOException)
        {
            return;
        }

        foreach (var file in candidates)
        {
            // .<name>.<pid>.<32 hex digits>.tmp<ext>: anything else is not ours.
            var rest = Path.GetFileName(file)[prefix.Length..].Split('.');
            if (rest.Length < 3 || !int.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || rest[1].Length != 32 || !rest[2].StartsWith("tmp", StringComparison.Ordinal))
            {
                continue;
            }

            if (pid != Environment.ProcessId && !IsRunning(pid))
            {
                try
                {
                    File.Delete(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another writer is cleaning up too, or the file is another user's: neither may fail this save.
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
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
