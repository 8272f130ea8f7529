namespace AutoGrad;

/// <summary>
/// The scope returned by <see cref="Anomaly.Detect(string, int)"/>: anomaly mode has the scope's setting on the calling thread until
/// it is disposed, and the previous setting afterwards. Disposing it more than once does nothing more.
/// </summary>
public sealed class AnomalyScope : IDisposable
{
    private bool _ended;

    internal AnomalyScope(bool enabled, bool wasEnabled, AnomalyScope? outer, CallSite origin)
    {
        Enabled = enabled;
        WasEnabled = wasEnabled;
        Outer = outer;
        Origin = origin;
        Thread = Environment.CurrentManagedThreadId;
    }

    /// <summary>Whether ops are checked inside this scope.</summary>
    public bool Enabled { get; }

    internal bool WasEnabled { get; }

    internal AnomalyScope? Outer { get; }

    internal CallSite Origin { get; }

    internal int Thread { get; }

    /// <summary>Restores the setting in force before the scope began.</summary>
    /// <exception cref="InvalidOperationException">On another thread than the one that began it, or before a scope nested in it has ended.</exception>
    public void Dispose()
    {
        if (_ended)
        {
            return;
        }

        Anomaly.End(this);
        _ended = true;
    }
}
