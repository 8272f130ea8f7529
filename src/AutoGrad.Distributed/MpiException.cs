namespace AutoGrad.Distributed;

/// <summary>An MPI call returned an error; the message names the call, the rank and the values involved, and MPI's own text.</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MpiException(string message, int errorCode = 0)
        : base(message) => ErrorCode = errorCode;

    /// <summary>Creates the exception.</summary>
    public MpiException()
        : this("MPI call failed")
    {
    }

    /// <summary>Creates the exception.</summary>
    public MpiException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>MPI's error code (0 when the error was found by this library).</summary>
    public int ErrorCode { get; }
}
