namespace AutoGrad;

/// <summary>
/// Thrown while <see cref="Transforms.Jit"/> traces a function that cannot be compiled: it reads back to the host a
/// value that depends on its inputs (<c>Item</c>, <c>ToArray</c>), draws random numbers on the host, or uses more
/// than one device. The message names what was read and where; the function still works uncompiled.
/// </summary>
public sealed class JitTraceException : InvalidOperationException
{
    /// <summary>Creates the exception with a message saying what cannot be compiled.</summary>
    public JitTraceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message that adds context to <paramref name="inner"/>.</summary>
    public JitTraceException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
