namespace AutoGrad.Backends.Recording;

/// <summary>What a recording knows of one buffer it saw: where it came from and which recorded calls used it.</summary>
internal sealed class SlotInfo(TensorStorage traced, bool allocated)
{
    /// <summary>The buffer the trace used (its dtype and length are the slot's).</summary>
    public TensorStorage Traced { get; } = traced;

    /// <summary>True when the traced function allocated it; false for a buffer from outside (an input or a captured tensor).</summary>
    public bool Allocated { get; } = allocated;

    /// <summary>True for a buffer of the traced function's inputs.</summary>
    public bool IsInput { get; set; }

    /// <summary>True once a kernel (not a host fill or copy) wrote it: its values then depend on the inputs.</summary>
    public bool KernelWritten { get; set; }

    /// <summary>The first recorded call that used it, or −1.</summary>
    public int First { get; private set; } = -1;

    /// <summary>The last recorded call that used it, or −1.</summary>
    public int Last { get; private set; } = -1;

    /// <summary>True when the first call that used it read it before any call wrote it.</summary>
    public bool ReadBeforeWritten { get; private set; }

    public DType DType => Traced.DType;

    public int Length => Traced.Length;

    public void Touch(int command, bool write)
    {
        if (First < 0)
        {
            First = command;
            ReadBeforeWritten = !write;
        }

        Last = command;
    }
}
