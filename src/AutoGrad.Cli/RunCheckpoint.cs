using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AutoGrad.Nn.Training;

namespace AutoGrad.Cli;

/// <summary>
/// <c>autograd train</c>'s checkpoints: <c>&lt;output&gt;/checkpoint.safetensors</c>, written every <c>--checkpoint-every</c>
/// epochs and after the last, holding with the trainer's state the options that decide the run; and <c>--resume</c>,
/// which continues such a run only if the command's options are the run's.
/// </summary>
internal static class RunCheckpoint
{
    /// <summary>The checkpoint's file name in the output directory.</summary>
    public const string FileName = "checkpoint.safetensors";

    /// <summary>
    /// The options that decide a run's numbers, compared on resume. Not among them: where files are (--output, --data-dir,
    /// --csv, whose contents the trainer's data fingerprint checks), --limit-test (test metrics only), and --epochs, unless the
    /// learning-rate schedule spans the run's epochs (any schedule but constant): with a constant rate a run can be extended.
    /// </summary>
    private static readonly string[] RunOptions =
    [
        "--dataset", "--target", "--classification", "--limit-train", "--layers", "--activation", "--init", "--loss", "--optimizer", "--lr",
        "--schedule", "--batch", "--seed", "--validation-split", "--patience", "--target-loss", "--clip-norm", "--dtype",
    ];

    /// <summary>
    /// The run's deciding options as they will be stored in the checkpoint's metadata: option name → value.
    /// <paramref name="resolved"/> gives the values of options whose default depends on others (the dataset's learning rate,
    /// batch size and epochs), so that a run records what it used, given or not.
    /// </summary>
    public static Dictionary<string, string> Describe(ParseResult parse, Command command, IReadOnlyDictionary<string, string>? resolved = null)
    {
        var names = RunOptions.ToList();
        if (!string.Equals(Value(parse, command, "--schedule"), "constant", StringComparison.OrdinalIgnoreCase))
        {
            names.Add("--epochs");
        }

        return names.ToDictionary(name => name, name => resolved is not null && resolved.TryGetValue(name, out var value) ? value : Value(parse, command, name));
    }

    /// <summary>The train options with checkpoints into <paramref name="outDir"/> every <paramref name="every"/> epochs (none for 0), recording <paramref name="run"/>.</summary>
    public static TrainOptions WithCheckpoints(TrainOptions options, string outDir, int every, IReadOnlyDictionary<string, string> run) => every switch
    {
        < 0 => throw new CliException($"--checkpoint-every must be 0 (never) or positive, got {every}"),
        0 => options with { CheckpointMetadata = run },
        _ => options with { CheckpointPath = Path.Combine(outDir, FileName), CheckpointEvery = every, CheckpointMetadata = run },
    };

    /// <summary>The directory a run writes to when <c>--resume</c> is given without <c>--output</c>: the checkpoint's.</summary>
    public static string OutputDirectory(string resume) => File.Exists(resume) ? Path.GetDirectoryName(Path.GetFullPath(resume))! : resume;

    /// <summary>
    /// The checkpoint at <paramref name="resume"/> (a run's output directory, or the checkpoint file itself), checked
    /// against the command's run options: the first that differs is one clear line naming it.
    /// </summary>
    public static Checkpoint Load(string resume, IReadOnlyDictionary<string, string> run)
    {
        string path = Directory.Exists(resume) ? Path.Combine(resume, FileName) : resume;
        if (!File.Exists(path))
        {
            throw new CliException($"--resume: no checkpoint at {path} (a run writes one into its output directory unless --checkpoint-every is 0)");
        }

        var checkpoint = Checkpoint.Load(path);
        foreach (var (name, value) in run)
        {
            if (!checkpoint.Metadata.TryGetValue(name, out var saved))
            {
                throw new CliException($"--resume: {path} does not record {name}; it was not written by `autograd train`");
            }

            if (saved != value)
            {
                throw new CliException($"--resume: the checkpoint's run has {name} {saved}, this command has {name} {value}; resume with the run's options");
            }
        }

        return checkpoint;
    }

    private static string Value(ParseResult parse, Command command, string name)
    {
        var option = command.Options.First(o => o.Name == name);
        object? value = parse.GetResult(option) is OptionResult result ? result.GetValueOrDefault<object?>() : null;
        return value switch
        {
            null => "(none)",
            string text when name != "--target" => text.ToLowerInvariant(), // names of datasets, activations, … are case-insensitive
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "(none)",
        };
    }
}
