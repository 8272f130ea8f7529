namespace AutoGrad.Ops;

/// <summary>
/// A primitive op: the unit the tape records. Each primitive gives, side by side, its forward
/// computation on concrete tensors (a backend call), its vector-Jacobian product (reverse mode) and its
/// Jacobian-vector product (forward mode). Both rules are written with differentiable tensor ops on the
/// primal values, never raw buffers, so they can themselves be differentiated to any order.
/// An instance carries the op's attributes (axes, shapes, constants) for one call.
/// </summary>
internal abstract class Primitive
{
    /// <summary>The registry name, e.g. <c>Exp</c>, <c>MatMul</c>.</summary>
    public abstract string Name { get; }

    /// <summary>False for ops whose output carries no derivative (sign, comparisons, argmax, one-hot).</summary>
    public virtual bool Differentiable => true;

    /// <summary>Computes the output from concrete (untraced) inputs.</summary>
    public abstract Tensor Forward(Tensor[] inputs);

    /// <summary>
    /// The cotangent of each input given the output's cotangent <paramref name="g"/>; entries whose
    /// <paramref name="needed"/> flag is false may be null. Each result has exactly its input's shape.
    /// </summary>
    public abstract Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed);

    /// <summary>The output's tangent given the inputs' tangents (null = zero tangent).</summary>
    public abstract Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output);
}
