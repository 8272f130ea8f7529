using System.Diagnostics.CodeAnalysis;
using System.Text;
using AutoGrad.Nn.Training;

namespace AutoGrad.Distributed;

/// <summary>
/// The processes of an MPI job (MPI_COMM_WORLD) as an <see cref="IDataParallel"/> group for <see cref="Trainer.Fit"/>:
/// start the program under <c>mpiexec -n 2 …</c>, set <see cref="TrainOptions.DataParallel"/> to <see cref="Initialize"/>'s
/// group, and every rank trains its share of each batch. The MPI implementation (MPICH from Debian, or any library of the
/// MPICH ABI) does all process start-up, transport and fault handling; this class only calls it.
/// </summary>
/// <example>
/// <code>
/// return MpiGroup.RunOrAbort(group =>
/// {
///     var result = Trainer.Fit(model, parameters, loss, optimizer, data, options with { DataParallel = group });
///     if (group.Rank == 0) SafeTensors.Save("model.safetensors", result.Parameters);
///     return 0;
/// });
/// </code>
/// </example>
/// <remarks>
/// MPI is initialized once per process and cannot be restarted after <see cref="Dispose"/> (MPI_Finalize). Started without
/// <c>mpiexec</c>, the program is a job of one rank. Every call is collective and blocking, made from one thread. Errors
/// return to the caller as <see cref="MpiException"/> (the communicator's handler is MPI_ERRORS_RETURN); a rank that fails
/// should end the whole job with <see cref="Abort"/>, which <see cref="RunOrAbort"/> does, so the other ranks never wait in
/// a collective for it.
/// </remarks>
public sealed unsafe class MpiGroup : IDataParallel, IDisposable
{
    private const int MaxCount = 1 << 30; // elements per MPI call: counts are C ints
    private static readonly TimeSpan AbortDelay = TimeSpan.FromMilliseconds(500);
    private static readonly object Gate = new();
    private static MpiGroup? _current;
    private bool _disposed;

    private MpiGroup(int rank, int size, string version)
    {
        Rank = rank;
        Size = size;
        LibraryVersion = version;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>The MPI library's version string (MPI_Get_library_version), e.g. "MPICH Version: 4.0.2 …".</summary>
    public string LibraryVersion { get; }

    /// <summary>
    /// Initializes MPI (MPI_Init) and returns the world group; later calls return the same group. Throws
    /// <see cref="DllNotFoundException"/> naming the libraries tried when no MPI library is installed.
    /// </summary>
    public static MpiGroup Initialize()
    {
        lock (Gate)
        {
            if (_current is { _disposed: false } current)
            {
                return current;
            }

            int flag;
            Check(MpiNative.Finalized(&flag), "MPI_Finalized", -1, 0);
            if (flag != 0)
            {
                throw new InvalidOperationException("MPI: MPI was already finalized in this process (MpiGroup.Dispose); it cannot be initialized again");
            }

            Check(MpiNative.Initialized(&flag), "MPI_Initialized", -1, 0);
            if (flag == 0)
            {
                Check(MpiNative.Init(null, null), "MPI_Init", -1, 0);
            }

            int rank, size;
            Check(MpiNative.CommSetErrhandler(MpiNative.CommWorld, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler", -1, 0);
            Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank", -1, 0);
            Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size", rank, 0);
            string version = Version();
            if (version.Contains("Open MPI", StringComparison.OrdinalIgnoreCase))
            {
                throw new MpiException($"MPI: {MpiNative.LoadedFrom} is Open MPI ({FirstLine(version)}), whose ABI differs from MPICH's; install MPICH or point AUTOGRAD_MPI_LIBRARY at an MPICH-ABI library");
            }

            _current = new MpiGroup(rank, size, version);
            return _current;
        }
    }

    /// <summary>
    /// Runs <paramref name="main"/> on this rank and returns its exit code after MPI_Finalize. If it throws, the exception is
    /// written to <paramref name="error"/> (standard error by default) as "rank R of N: Type: message" and the whole job is
    /// ended with MPI_Abort (exit code 1), so that no other rank waits for this one.
    /// </summary>
    public static int RunOrAbort(Func<MpiGroup, int> main, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        var group = Initialize();
        int code;
        try
        {
            code = main(group);
        }
        catch (Exception e)
        {
            var writer = error ?? Console.Error;
            writer.WriteLine($"rank {group.Rank} of {group.Size}: {e.GetType().Name}: {e.Message}");
            writer.Flush();
            group.Abort(1);
            throw; // not reached
        }

        group.Dispose();
        return code;
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values)
    {
        ThrowIfDisposed();
        fixed (double* p = values)
        {
            for (int start = 0; start < values.Length; start += MaxCount)
            {
                int count = Math.Min(MaxCount, values.Length - start);
                Check(MpiNative.Allreduce((void*)MpiNative.InPlace, p + start, count, MpiNative.Double, MpiNative.Sum, MpiNative.CommWorld), "MPI_Allreduce(sum, double)", Rank, count);
            }
        }
    }

    /// <inheritdoc/>
    public void Broadcast(Span<double> values)
    {
        ThrowIfDisposed();
        fixed (double* p = values)
        {
            for (int start = 0; start < values.Length; start += MaxCount)
            {
                int count = Math.Min(MaxCount, values.Length - start);
                Check(MpiNative.Bcast(p + start, count, MpiNative.Double, 0, MpiNative.CommWorld), "MPI_Bcast(double, root 0)", Rank, count);
            }
        }
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<long> local, Span<long> all)
    {
        ThrowIfDisposed();
        if (all.Length != (long)local.Length * Size)
        {
            throw new ArgumentException($"MPI_Allgather on rank {Rank} of {Size}: the result holds {all.Length} values, but {Size} ranks × {local.Length} values need {(long)local.Length * Size}", nameof(all));
        }

        fixed (long* send = local)
        fixed (long* receive = all)
        {
            Check(MpiNative.Allgather(send, local.Length, MpiNative.LongLong, receive, local.Length, MpiNative.LongLong, MpiNative.CommWorld), "MPI_Allgather(long long)", Rank, local.Length);
        }
    }

    /// <summary>
    /// Every rank's process id and host, gathered (a collective call): "rank 0: pid 4242 on node1, rank 1: pid 4243 on node2".
    /// Printed at start, it ties the launcher's report of a killed process ("PID 4243 RUNNING AT node2") to its rank.
    /// </summary>
    public string DescribeRanks()
    {
        var host = Environment.MachineName;
        Span<long> local = [Environment.ProcessId, HostHash(host)];
        var all = new long[2 * Size];
        AllGather(local, all);
        var hosts = new Dictionary<long, string> { [HostHash(host)] = host };
        return string.Join(", ", Enumerable.Range(0, Size).Select(r => $"rank {r}: pid {all[2 * r]}{(hosts.TryGetValue(all[(2 * r) + 1], out var h) ? $" on {h}" : " on another host")}"));
    }

    private static long HostHash(string host)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in host)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    /// <summary>Waits until every rank has called it (MPI_Barrier).</summary>
    public void Barrier()
    {
        ThrowIfDisposed();
        Check(MpiNative.Barrier(MpiNative.CommWorld), "MPI_Barrier", Rank, 0);
    }

    /// <summary>
    /// Ends every process of the job (MPI_Abort on MPI_COMM_WORLD) with <paramref name="errorCode"/>; does not return. Half a
    /// second passes first: MPICH's launcher drops what a rank wrote last once the abort reaches it, and that is the error.
    /// </summary>
    [DoesNotReturn]
    public void Abort(int errorCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        Thread.Sleep(AbortDelay);
        MpiNative.Abort(MpiNative.CommWorld, errorCode);
        Environment.Exit(errorCode); // MPI_Abort does not return; this is for a library that does
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Finalizes MPI (MPI_Finalize): a collective call, made once every rank is done. MPI cannot be used again in this process.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Check(MpiNative.Finalize(), "MPI_Finalize", Rank, 0);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void Check(int code, string operation, int rank, int count)
    {
        if (code == MpiNative.Success)
        {
            return;
        }

        byte* text = stackalloc byte[MpiNative.MaxErrorString + 1];
        int length = 0;
        string description = MpiNative.ErrorString(code, text, &length) == MpiNative.Success ? Encoding.ASCII.GetString(text, length) : "no description";
        string where = rank >= 0 ? $" on rank {rank}" : "";
        string what = count > 0 ? $" over {count} values" : "";
        throw new MpiException($"{operation}{where}{what} failed with error {code}: {description}", code);
    }

    private static string Version()
    {
        byte* text = stackalloc byte[MpiNative.MaxLibraryVersionString + 1];
        int length = 0;
        return MpiNative.GetLibraryVersion(text, &length) == MpiNative.Success ? Encoding.ASCII.GetString(text, length).TrimEnd('\0', '\n', ' ') : "unknown";
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
