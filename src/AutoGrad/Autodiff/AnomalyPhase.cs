namespace AutoGrad;

/// <summary>Where an <see cref="AnomalyException"/> found its NaN or infinity.</summary>
public enum AnomalyPhase
{
    /// <summary>In an op's forward computation.</summary>
    Forward,

    /// <summary>In an op's VJP rule, while a reverse-mode transform (<c>Grad</c>, <c>Vjp</c>, …) propagated gradients back, or when gradients of several uses of a value were added.</summary>
    Backward,

    /// <summary>In an op's JVP rule, while a forward-mode transform (<c>Jvp</c>, <c>Linearize</c>) pushed tangents through.</summary>
    Jvp,
}
