namespace AutoGrad;

/// <summary>
/// Thrown when an op is given input it cannot accept: mismatched shapes, an axis out of range, a wrong
/// dtype, tensors on different devices. The message names the op, the caller's file and line, and the
/// shapes or dtypes involved, e.g. <c>MatMul at Model.cs:42: inner dimensions differ, [2,3] @ [4,5]</c>.
/// </summary>
public sealed class TensorOpException : ArgumentException
{
    internal TensorOpException(string op, CallSite site, string detail)
        : base($"{op} at {site}: {detail}")
    {
        Op = op;
        CallerFile = site.File;
        CallerLine = site.Line;
        Detail = detail;
    }

    /// <summary>
    /// For libraries built on AutoGrad (layers, losses): an error in the same format, for an op called
    /// from <paramref name="callerFile"/> at <paramref name="callerLine"/> — pass on the values of your own
    /// <c>[CallerFilePath]</c> and <c>[CallerLineNumber]</c> parameters.
    /// </summary>
    public TensorOpException(string op, string detail, string? callerFile, int callerLine)
        : this(op, new CallSite(callerFile, callerLine).Resolve(), detail)
    {
    }

    /// <summary>The name of the op that rejected its input, e.g. <c>MatMul</c>.</summary>
    public string Op { get; }

    /// <summary>The caller's source file, or null where it could not be determined.</summary>
    public string? CallerFile { get; }

    /// <summary>The caller's line, or 0 where it could not be determined.</summary>
    public int CallerLine { get; }

    /// <summary>What was wrong, without the op and location prefix.</summary>
    public string Detail { get; }
}
