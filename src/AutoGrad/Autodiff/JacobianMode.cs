namespace AutoGrad;

/// <summary>How <c>Transforms.Jacobian</c> builds the Jacobian.</summary>
public enum JacobianMode
{
    /// <summary>Reverse mode when the output has no more elements than the input, else forward mode (JAX's advice for jacrev/jacfwd).</summary>
    Auto,

    /// <summary>Row by row: one vector-Jacobian product per output element (JAX <c>jacrev</c>).</summary>
    Reverse,

    /// <summary>Column by column: one Jacobian-vector product per input element, through the JVP rules (JAX <c>jacfwd</c>).</summary>
    Forward,
}
