namespace AutoGrad.Autodiff;

/// <summary>The active traces of the current thread, innermost last, and the no-grad depth.</summary>
internal static class TraceStack
{
    [ThreadStatic]
    private static List<Trace>? _active;

    [ThreadStatic]
    private static int _noGradDepth;

    public static int Depth => _active?.Count ?? 0;

    public static bool NoGradActive => _noGradDepth > 0;

    public static void Push(Trace trace) => (_active ??= []).Add(trace);

    public static void Pop(Trace trace)
    {
        var active = _active!;
        if (active.Count == 0 || active[^1] != trace)
        {
            throw new InvalidOperationException("AutoGrad: transforms were exited out of order.");
        }

        active.RemoveAt(active.Count - 1);
        trace.IsActive = false;
    }

    public static void EnterNoGrad() => _noGradDepth++;

    public static void ExitNoGrad() => _noGradDepth--;
}
