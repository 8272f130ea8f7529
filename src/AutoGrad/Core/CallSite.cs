using System.Diagnostics;
using System.Reflection;

namespace AutoGrad;

/// <summary>
/// The user's source location for an op call, captured by caller-info attributes on the public API and
/// passed down so that an error deep inside a composite still names the line the user wrote.
/// Operators (<c>a + b</c>) cannot take caller info; for them the location is recovered from the stack
/// trace, but only when an error is actually raised.
/// </summary>
internal readonly struct CallSite
{
    private static readonly Assembly Library = typeof(CallSite).Assembly;

    public CallSite(string? file, int line)
    {
        File = string.IsNullOrEmpty(file) ? null : file;
        Line = line;
    }

    public static CallSite Unknown => default;

    public string? File { get; }

    public int Line { get; }

    public bool IsKnown => File is not null;

    public static CallSite Of(string file, int line) => new(file, line);

    /// <summary>This site, or, if unknown, the first stack frame outside the library (slow; errors only).</summary>
    public CallSite Resolve()
    {
        if (IsKnown)
        {
            return this;
        }

        var trace = new StackTrace(1, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method?.DeclaringType?.Assembly == Library)
            {
                continue;
            }

            string? file = frame.GetFileName();
            if (file is not null)
            {
                return new CallSite(file, frame.GetFileLineNumber());
            }

            break;
        }

        return this;
    }

    public override string ToString() => IsKnown ? $"{Path.GetFileName(File)}:{Line}" : "<unknown location>";

    public TensorOpException Error(string op, string detail) => new(op, Resolve(), detail);
}
