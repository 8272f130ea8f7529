namespace AutoGrad.Nn.Optim;

/// <summary>Rescaling of gradient trees before an optimizer step.</summary>
public static class GradientClipping
{
    private const string Owner = "GradientClipping.ClipByGlobalNorm";

    /// <summary>
    /// Scales all gradients by one common factor so that their global L2 norm (the norm of all elements of
    /// all leaves together) is at most <paramref name="maxNorm"/>; the same as PyTorch's
    /// <c>torch.nn.utils.clip_grad_norm_</c> with <c>norm_type=2</c>, without mutating anything. With
    /// global norm n the factor is maxNorm / (n + 1e-6), applied only when it is below 1; otherwise the
    /// gradients come back unchanged. Each leaf is scaled in its own dtype. As in PyTorch, a non-finite
    /// norm is not an error: it is returned, and the gradients are scaled by the factor it gives (NaN for
    /// a NaN norm, 0 for an infinite one).
    /// </summary>
    /// <param name="gradients">The gradients (any structure, float32 or float64 leaves).</param>
    /// <param name="maxNorm">The largest global norm allowed (PyTorch <c>max_norm</c>); finite and &gt; 0.</param>
    /// <returns>The clipped gradients, a new tree of the same structure, and the global norm before clipping.</returns>
    public static (TensorTree Gradients, double Norm) ClipByGlobalNorm(TensorTree gradients, double maxNorm)
    {
        double norm = GlobalNorm(gradients, maxNorm).Item();
        double scale = maxNorm / (norm + 1e-6);
        var clipped = scale < 1 || double.IsNaN(scale) ? gradients.Map(g => g * scale) : gradients.Map(g => g);
        return (clipped, norm);
    }

    /// <summary>
    /// <see cref="ClipByGlobalNorm"/> without reading anything back to the host, so that it runs inside a compiled step
    /// (<c>Transforms.Jit</c>, <c>CompiledStep</c>; <c>Trainer</c> uses it there): the norm comes back as a 0-d float64
    /// tensor, and every leaf is multiplied by min(1, maxNorm / (n + 1e-6)) in its own dtype. The values are those of
    /// <see cref="ClipByGlobalNorm"/> bit for bit (a factor of 1 leaves every element as it is); the leaves are always
    /// new tensors.
    /// </summary>
    /// <param name="gradients">The gradients (any structure, float32 or float64 leaves).</param>
    /// <param name="maxNorm">The largest global norm allowed (PyTorch <c>max_norm</c>); finite and &gt; 0.</param>
    /// <returns>The clipped gradients, a new tree of the same structure, and the global norm before clipping.</returns>
    public static (TensorTree Gradients, Tensor Norm) ClipByGlobalNormTraceable(TensorTree gradients, double maxNorm)
    {
        var norm = GlobalNorm(gradients, maxNorm);

        // IEEE minimum: a NaN factor stays NaN, as the host comparison scales by it too.
        var factor = (maxNorm / (norm + 1e-6)).Minimum(1.0);
        return (gradients.Map(g => g * factor.To(g.DType)), norm);
    }

    /// <summary>
    /// The global L2 norm as a 0-d float64 tensor: each leaf's norm in its own dtype, then the square root of the sum of
    /// their squares in float64, leaf by leaf in order (PyTorch's order; the roundings of the host loop it replaced).
    /// </summary>
    private static Tensor GlobalNorm(TensorTree gradients, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        Hyper.Positive(Owner, nameof(maxNorm), maxNorm);
        // Started from the first square rather than from 0 (the host loop's 0 + s is s): on the gradients' device.
        Tensor? sumOfSquares = null;
        foreach (var (path, g) in gradients.Leaves())
        {
            if (!g.DType.IsFloating())
            {
                throw new ArgumentException(
                    $"{Owner}: gradient {(path.Length == 0 ? "(root leaf)" : $"'{path}'")} is {g.DType.Name()}{g.Shape}; gradients must be float32 or float64.",
                    nameof(gradients));
            }

            var leafNorm = (g * g).Sum().Sqrt().To(DType.Float64);
            var square = leafNorm * leafNorm;
            sumOfSquares = sumOfSquares is null ? square : sumOfSquares + square;
        }

        return sumOfSquares?.Sqrt() ?? Tensor.Scalar(0.0);
    }
}
