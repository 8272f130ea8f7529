namespace AutoGrad.Autodiff;

/// <summary>
/// Whether an op may take a donated buffer (<see cref="Tensor.Donate"/>) on this thread: only while no transform
/// runs here. A transform's function, its backward pass and the primal computations of traced ops may read a
/// constant through a tape (a VJP reads the other factor of a product long after the forward pass), so while
/// any of them runs, donated buffers are left alone.
/// </summary>
internal static class DonationGate
{
    [ThreadStatic]
    private static int _closers;

    /// <summary>True when nothing on this thread may still read a donated tensor through a trace.</summary>
    public static bool IsOpen => _closers == 0;

    /// <summary>Closes the gate until the matching <see cref="Reopen"/>; calls nest.</summary>
    public static void Close() => _closers++;

    public static void Reopen() => _closers--;
}
