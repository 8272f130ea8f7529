using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>Buffer donation: letting an op write its result over an input that is no longer needed.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Gives this tensor's buffer up, as JAX's <c>donate_argnums</c> does: the next elementwise or fused op that reads
    /// this tensor outside every transform, and whose result has this tensor's shape and dtype, writes the result into
    /// this buffer instead of a fresh one. From then on this tensor, and every tensor sharing its buffer (a reshape,
    /// <see cref="Detach"/>), fails on use with <see cref="ObjectDisposedException"/>; values are never silently changed.
    /// Until such an op runs the tensor stays valid. Returns this tensor, to donate where it is passed:
    /// <c>Tensor.Axpby(1, w.Donate(), -lr, g)</c> updates <c>w</c>'s memory in place.
    /// </summary>
    /// <remarks>
    /// In-place updates keep a parameter and its gradient in cache where a fresh result would push them out,
    /// and halve the memory an optimizer step touches. Ops inside <c>Grad</c>, <c>Jvp</c> or a no-grad scope of a trace
    /// never take a donated buffer, since a tape may still read it; donating a traced tensor does nothing, so code
    /// that donates (an optimizer's update) can still be differentiated through.
    /// </remarks>
    /// <exception cref="TensorOpException">The tensor's buffer was already released.</exception>
    public Tensor Donate([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (Storage is null)
        {
            return this; // traced: the tape owns the value
        }

        if (Storage.IsReleased)
        {
            throw new TensorOpException("Donate", $"cannot donate {DType.Name()}{Shape}: its buffer was released ({Storage.ReleasedBy})", file, line);
        }

        Storage.IsDonated = true;
        return this;
    }
}
