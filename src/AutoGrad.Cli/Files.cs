namespace AutoGrad.Cli;

/// <summary>Atomic file output: write beside the target, then rename over it.</summary>
internal static class Files
{
    public static void WriteAtomically(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var ext = Path.GetExtension(full);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.{Environment.ProcessId}.tmp{ext}");
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

    public static void WriteAllTextAtomically(string path, string text) => WriteAtomically(path, temp => File.WriteAllText(temp, text));
}
