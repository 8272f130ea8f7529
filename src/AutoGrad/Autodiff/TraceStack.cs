namespace AutoGrad.Autodiff;

/// <summary>
/// Trace levels and the no-grad scopes of the current thread. Levels come from one process-wide
/// counter, so a trace opened later always ranks above every trace opened before it, on any thread:
/// nesting order is creation order.
/// </summary>
internal static class TraceStack
{
    private static long _lastLevel;

    [ThreadStatic]
    private static List<long>? _noGradBoundaries;

    /// <summary>A fresh level, above every level handed out so far.</summary>
    public static long NextLevel() => Interlocked.Increment(ref _lastLevel);

    /// <summary>The level at or below which traces are switched off by the innermost no-grad scope (0 when none).</summary>
    public static long NoGradBoundary => _noGradBoundaries is { Count: > 0 } b ? b[^1] : 0;

    /// <summary>Opens a no-grad scope: traces opened so far stop recording; traces opened inside it work.</summary>
    public static void EnterNoGrad() => (_noGradBoundaries ??= []).Add(Interlocked.Read(ref _lastLevel));

    public static void ExitNoGrad()
    {
        if (_noGradBoundaries is { Count: > 0 } b)
        {
            b.RemoveAt(b.Count - 1);
        }
    }
}
