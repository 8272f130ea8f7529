using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>
/// Anomaly mode, for finding where a NaN or an infinity comes from (PyTorch's <c>torch.autograd.detect_anomaly</c>,
/// JAX's <c>jax_debug_nans</c>): while it is on, the first op that produces a NaN or ±Inf, in a forward pass or in a
/// derivative rule (VJP or JVP), throws an <see cref="AnomalyException"/> naming the op, the phase, its input shapes and
/// the source line that called it; for a derivative rule, the line of the forward call it belongs to.
/// </summary>
/// <remarks>
/// <para>An op is reported when its result holds a NaN and none of the values it was computed from holds one, or holds
/// an infinity and all the values it was computed from are finite. For a forward op those values are its inputs; for a
/// VJP rule, the forward op's inputs and output and the incoming cotangent; for a JVP rule, the forward op's inputs and
/// output and the input tangents. A non-finite value that enters from outside (data, a −∞ mask) therefore flows on
/// unreported until an op turns it into a new NaN (∞ − ∞, 0·∞). A rule is judged by what it returns: values inside it
/// that do not reach its result are not reported.</para>
/// <para>The mode belongs to the calling thread: ops run on other threads are not checked unless those threads turn it
/// on too. Scopes nest (an inner <c>Detect(false)</c> turns it off for its extent) and end in the reverse order they
/// began, on the thread that began them. Compiled functions (<see cref="Transforms.Jit"/>, <see cref="CompiledStep"/>)
/// run their function eagerly, op by op, while the mode is on, so that every op is checked; they replay their recorded
/// kernels again once it is off.</para>
/// <para>Off, it costs one read of a static field per op. On, it reads every op's result back to scan it, and
/// records a stack trace for each op called through an operator (<c>a + b</c>) under a transform: use it to find a
/// NaN, not to train.</para>
/// </remarks>
/// <example>
/// <code>
/// using (Anomaly.Detect())
/// {
///     var g = Transforms.Grad((Tensor x) => x.Sqrt().Sum())(Tensor.Zeros([3]));   // throws: Sqrt backward at Program.cs:…
/// }
/// </code>
/// </example>
public static class Anomaly
{
    // Scopes that turned the mode on and are still open, on any thread. While it is zero (the normal case) the dispatch
    // path needs nothing but this read; the thread-static flag is consulted only when some thread has the mode on.
    private static int _openOnScopes;

    [ThreadStatic]
    private static bool _enabled;

    [ThreadStatic]
    private static AnomalyScope? _innermost;

    /// <summary>True when anomaly mode is on for the calling thread.</summary>
    public static bool IsEnabled => _enabled;

    /// <summary>Turns anomaly mode on for the calling thread until the returned scope is disposed.</summary>
    /// <param name="file">Filled in by the compiler: the caller's file, for messages about the scope.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for messages about the scope.</param>
    public static AnomalyScope Detect([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Detect(true, file, line);

    /// <summary>
    /// Sets anomaly mode on or off for the calling thread until the returned scope is disposed, when the previous
    /// setting comes back (as <c>torch.autograd.set_detect_anomaly</c>): <c>Detect(false)</c> inside a
    /// <c>Detect()</c> scope switches the checks off for a region known to produce NaNs on purpose.
    /// </summary>
    /// <param name="enabled">Whether ops are checked inside the scope.</param>
    /// <param name="file">Filled in by the compiler: the caller's file, for messages about the scope.</param>
    /// <param name="line">Filled in by the compiler: the caller's line, for messages about the scope.</param>
    public static AnomalyScope Detect(bool enabled, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var scope = new AnomalyScope(enabled, _enabled, _innermost, new CallSite(file, line));
        if (enabled)
        {
            Interlocked.Increment(ref _openOnScopes);
        }

        _enabled = enabled;
        _innermost = scope;
        return scope;
    }

    /// <summary>True when ops on this thread must be checked: the one test on the dispatch path.</summary>
    internal static bool IsOn
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _openOnScopes != 0 && _enabled;
    }

    /// <summary>Ends <paramref name="scope"/>, which must be this thread's innermost.</summary>
    internal static void End(AnomalyScope scope)
    {
        if (!ReferenceEquals(_innermost, scope))
        {
            throw new InvalidOperationException(scope.Thread != Environment.CurrentManagedThreadId
                ? $"Anomaly.Detect scope begun at {scope.Origin} must end on the thread that began it"
                : $"Anomaly.Detect scope begun at {scope.Origin} ended while a scope nested in it is still active; end scopes in the reverse order they began");
        }

        _innermost = scope.Outer;
        _enabled = scope.WasEnabled;
        if (scope.Enabled)
        {
            Interlocked.Decrement(ref _openOnScopes);
        }
    }
}
