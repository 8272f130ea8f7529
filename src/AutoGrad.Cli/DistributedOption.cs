using AutoGrad.Distributed;
using Spectre.Console;

namespace AutoGrad.Cli;

/// <summary>
/// <c>autograd train --distributed</c>, run under <c>mpiexec -n N</c>: each process is one MPI rank and trains its share of
/// every batch (<see cref="Nn.Training.TrainOptions.DataParallel"/>). Only rank 0 prints and writes outputs and
/// checkpoints; the other ranks' console is silent. A rank whose command fails ends the whole job (MPI_Abort), after its
/// error line, so that no rank waits forever in a collective.
/// </summary>
internal static class DistributedOption
{
    private static MpiGroup? _group;

    /// <summary>The console that says nothing, for ranks other than 0.</summary>
    public static IAnsiConsole Silent { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(TextWriter.Null),
    });

    /// <summary>
    /// Joins the MPI job when <paramref name="distributed"/> (MPI_Init; a job of one rank without mpiexec) and returns its
    /// group, after rank 0 has printed the ranks and their process ids; null otherwise.
    /// </summary>
    public static MpiGroup? Start(bool distributed, IAnsiConsole console)
    {
        if (!distributed)
        {
            return null;
        }

        MpiGroup group;
        try
        {
            group = MpiGroup.Initialize();
        }
        catch (DllNotFoundException e)
        {
            throw new CliException($"--distributed: {e.Message}");
        }

        _group = group;
        string ranks = group.DescribeRanks(); // collective: every rank calls it
        if (group.Rank == 0)
        {
            string version = group.LibraryVersion.Split('\n')[0].Replace('\t', ' ').Trim();
            console.MarkupLine($"data-parallel on {group.Size} rank(s) ({Markup.Escape(ranks)}); {Markup.Escape(version)}");
        }

        return group;
    }

    /// <summary>
    /// Ends this rank's part: MPI_Finalize after a command that succeeded; after one that failed, a line naming the rank and
    /// MPI_Abort for the whole job (this does not return). Without --distributed, returns <paramref name="exitCode"/>.
    /// </summary>
    public static int Finish(int exitCode, TextWriter error)
    {
        if (_group is not { } group)
        {
            return exitCode;
        }

        _group = null;
        if (exitCode != 0)
        {
            error.WriteLine($"error: rank {group.Rank} of {group.Size} failed (exit code {exitCode}); ending all {group.Size} ranks (MPI_Abort)");
            error.Flush();
            group.Abort(exitCode);
        }

        group.Dispose();
        return exitCode;
    }
}
