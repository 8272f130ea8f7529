using AutoGrad.Ops;

namespace AutoGrad.Autodiff;

/// <summary>
/// One level of differentiation. Every transform call opens a trace at a level above every trace opened
/// before it; an op whose inputs belong to several traces is handled by the highest level, which treats
/// lower-level tensors as constants. This tagging is what keeps nested derivatives from mixing
/// (no perturbation confusion).
/// </summary>
internal abstract class Trace
{
    protected Trace(string transform)
    {
        Transform = transform;
        Level = TraceStack.NextLevel();
        DonationGate.Close(); // reopened by Close(), on this thread, when the transform's function returns
    }

    /// <summary>The user-facing name of the transform that opened this trace, for messages.</summary>
    public string Transform { get; }

    /// <summary>The rank of this trace: higher levels were opened later and are nested inside lower ones.</summary>
    public long Level { get; }

    /// <summary>
    /// True for a trace that records every op, those without a derivative included (graph export); a
    /// differentiating trace lets non-differentiable ops compute on concrete values.
    /// </summary>
    public virtual bool RecordsNonDifferentiable => false;

    /// <summary>False once the transform that opened the trace has returned.</summary>
    public bool IsActive { get; private set; } = true;

    /// <summary>Marks the trace finished: its tensors may no longer enter ops.</summary>
    public void Close()
    {
        if (IsActive)
        {
            IsActive = false;
            DonationGate.Reopen();
        }
    }

    /// <summary>
    /// Lifts the result of <paramref name="primitive"/> to this level: <paramref name="primals"/> are the
    /// inputs with this level stripped and <paramref name="output"/> the primitive applied to them; <paramref name="site"/>
    /// is the call's line (resolved from the stack in anomaly mode), for anomaly mode's messages.
    /// </summary>
    public abstract Tensor Process(Primitive primitive, Tensor[] inputs, Tensor[] primals, Tensor output, CallSite site);
}
