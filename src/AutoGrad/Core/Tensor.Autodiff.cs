namespace AutoGrad;

/// <summary>Cutting a tensor out of differentiation.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The same value with no derivative at any level: the result is a constant to every enclosing
    /// transform (JAX's <c>stop_gradient</c>, PyTorch's <c>detach</c>).
    /// </summary>
    public Tensor Detach() => Concrete;

    /// <summary>Same as <see cref="Detach"/>, under JAX's name.</summary>
    public Tensor StopGradient() => Concrete;
}
