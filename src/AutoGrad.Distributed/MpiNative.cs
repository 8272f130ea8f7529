using System.Reflection;
using System.Runtime.InteropServices;

namespace AutoGrad.Distributed;

/// <summary>
/// The few MPI C functions the library calls, bound by P/Invoke against the MPICH ABI, which MPICH (libmpich.so.12),
/// Intel MPI (libmpi.so.12) and MS-MPI (msmpi.dll) share: handles are 32-bit integers with the values below, taken from
/// MPICH 4's mpi.h. Open MPI has another ABI (handles are pointers) and is refused by name.
/// </summary>
internal static unsafe class MpiNative
{
    private const string Library = "mpi";

    public const int Success = 0;
    public const int CommWorld = 0x44000000;
    public const int Double = 0x4c00080b;
    public const int LongLong = 0x4c000809;
    public const int Sum = 0x58000003;
    public const int ErrorsReturn = 0x54000001;
    public const int MaxErrorString = 512;
    public const int MaxLibraryVersionString = 8192;
    public static readonly IntPtr InPlace = new(-1);

    /// <summary>The library names tried, in order, after the AUTOGRAD_MPI_LIBRARY environment variable's.</summary>
    public static readonly string[] Candidates = ["libmpich.so.12", "libmpi.so.12", "libmpich.so", "msmpi.dll", "libmpich.dylib", "libmpich.12.dylib"];

    static MpiNative() => NativeLibrary.SetDllImportResolver(typeof(MpiNative).Assembly, Resolve);

    /// <summary>Which library was loaded (for messages).</summary>
    public static string? LoadedFrom { get; private set; }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        var tried = new List<string>();
        var names = Environment.GetEnvironmentVariable("AUTOGRAD_MPI_LIBRARY") is { Length: > 0 } chosen ? [chosen] : Candidates;
        foreach (var candidate in names)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
            {
                LoadedFrom = candidate;
                return handle;
            }

            tried.Add(candidate);
        }

        throw new DllNotFoundException(
            $"MPI: no MPI library of the MPICH ABI found (tried {string.Join(", ", tried)}). Install MPICH (Debian/Ubuntu: apt-get install mpich), " +
            "or set AUTOGRAD_MPI_LIBRARY to the path of libmpich.so.12, Intel MPI's libmpi.so.12 or MS-MPI's msmpi.dll.");
    }

    [DllImport(Library, EntryPoint = "MPI_Init")]
    public static extern int Init(int* argc, byte*** argv);

    [DllImport(Library, EntryPoint = "MPI_Initialized")]
    public static extern int Initialized(int* flag);

    [DllImport(Library, EntryPoint = "MPI_Finalized")]
    public static extern int Finalized(int* flag);

    [DllImport(Library, EntryPoint = "MPI_Finalize")]
    public static extern int Finalize();

    [DllImport(Library, EntryPoint = "MPI_Comm_rank")]
    public static extern int CommRank(int comm, int* rank);

    [DllImport(Library, EntryPoint = "MPI_Comm_size")]
    public static extern int CommSize(int comm, int* size);

    [DllImport(Library, EntryPoint = "MPI_Comm_set_errhandler")]
    public static extern int CommSetErrhandler(int comm, int errhandler);

    [DllImport(Library, EntryPoint = "MPI_Allreduce")]
    public static extern int Allreduce(void* sendbuf, void* recvbuf, int count, int datatype, int op, int comm);

    [DllImport(Library, EntryPoint = "MPI_Bcast")]
    public static extern int Bcast(void* buffer, int count, int datatype, int root, int comm);

    [DllImport(Library, EntryPoint = "MPI_Allgather")]
    public static extern int Allgather(void* sendbuf, int sendcount, int sendtype, void* recvbuf, int recvcount, int recvtype, int comm);

    [DllImport(Library, EntryPoint = "MPI_Barrier")]
    public static extern int Barrier(int comm);

    [DllImport(Library, EntryPoint = "MPI_Abort")]
    public static extern int Abort(int comm, int errorcode);

    [DllImport(Library, EntryPoint = "MPI_Error_string")]
    public static extern int ErrorString(int errorcode, byte* text, int* length);

    [DllImport(Library, EntryPoint = "MPI_Get_library_version")]
    public static extern int GetLibraryVersion(byte* version, int* length);
}
