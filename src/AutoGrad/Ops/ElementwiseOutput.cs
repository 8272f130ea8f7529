using AutoGrad.Autodiff;
using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>
/// The result buffer of an elementwise primitive: a fresh one, or the buffer of an input given up with
/// <see cref="Tensor.Donate"/>. Elementwise kernels read element i of each input before writing element i of
/// the result, so a result may share a buffer with an input of its own shape.
/// </summary>
internal readonly struct ElementwiseOutput
{
    private readonly TensorStorage? _donor;

    private ElementwiseOutput(Tensor tensor, TensorStorage? donor)
    {
        Tensor = tensor;
        _donor = donor;
    }

    /// <summary>The tensor the kernel writes into.</summary>
    public Tensor Tensor { get; }

    /// <summary>
    /// A result of <paramref name="dims"/> and <paramref name="dtype"/>: the first donated input of exactly that shape
    /// and dtype lends its buffer when no trace is involved, otherwise a fresh buffer is allocated.
    /// </summary>
    public static ElementwiseOutput For(DType dtype, int[] dims, Device device, Tensor[] inputs)
    {
        foreach (var input in inputs)
        {
            if (input.Storage is { IsDonated: true, IsReleased: false } donor && donor.DType == dtype &&
                input.Dims.AsSpan().SequenceEqual(dims) && OnlyAlignedAliases(donor, dims, inputs) && DonationGate.IsOpen)
            {
                var shared = donor.ShareBuffer();
                TensorScope.Adopt(shared);
                return new(new Tensor(shared, dims, device), donor);
            }
        }

        return new(Tensor.Uninitialized(dtype, dims, device), null);
    }

    /// <summary>
    /// True when every input over the donor's buffer (the donor, a reshape of it) is read with the result's own shape,
    /// element i at i; a broadcast read of the buffer would see elements the kernel already overwrote.
    /// </summary>
    private static bool OnlyAlignedAliases(TensorStorage donor, int[] dims, Tensor[] inputs)
    {
        foreach (var input in inputs)
        {
            if (ReferenceEquals(input.Storage, donor) && !input.Dims.AsSpan().SequenceEqual(dims))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Called once the kernel has run: retires the donor, whose buffer now holds the result, and returns the result.</summary>
    public Tensor Complete(string op)
    {
        if (_donor is not null)
        {
            TensorScope.Relinquish(_donor, op);
        }

        return Tensor;
    }
}
