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
        ArgumentNullException.ThrowIfNull(gradients);
        Hyper.Positive(Owner, nameof(maxNorm), maxNorm);
        var leaves = gradients.Leaves();
        double sumOfSquares = 0;
        foreach (var (path, g) in leaves)
        {
            if (!g.DType.IsFloating())
            {
                throw new ArgumentException(
                    $"{Owner}: gradient {(path.Length == 0 ? "(root leaf)" : $"'{path}'")} is {g.DType.Name()}{g.Shape}; gradients must be float32 or float64.",
                    nameof(gradients));
            }

            // Per-leaf norms first, then the norm of the norms, as PyTorch does.
            double leafNorm = (g * g).Sum().Sqrt().Item();
            sumOfSquares += leafNorm * leafNorm;
        }

        double norm = Math.Sqrt(sumOfSquares);
        double scale = maxNorm / (norm + 1e-6);
        var clipped = scale < 1 || double.IsNaN(scale) ? gradients.Map(g => g * scale) : gradients.Map(g => g);
        return (clipped, norm);
    }
}
