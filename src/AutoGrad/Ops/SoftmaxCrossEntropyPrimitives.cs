using AutoGrad.Autodiff;
using AutoGrad.Backends;

namespace AutoGrad.Ops;

/// <summary>
/// Softmax cross-entropy of logits [n, classes] against int32 labels [n], one loss per row:
/// ℓ[r] = logsumexp(z[r]) − z[r, label[r]] (TensorFlow's <c>SparseSoftmaxCrossEntropyWithLogits</c>, PyTorch's
/// fused <c>cross_entropy</c>). One pass per row where the composition <c>−LogSoftmax(z).TakeAlongAxis(labels)</c>
/// ran about ten ops forward and as many backward; its VJP is the fused <see cref="SoftmaxCrossEntropyGradPrimitive"/>.
/// Labels get no gradient.
/// </summary>
internal sealed class SoftmaxCrossEntropyPrimitive(CallSite site) : Primitive
{
    public const string OpName = "SoftmaxCrossEntropy";

    public override string Name => OpName;

    public static Tensor Apply(Tensor logits, Tensor labels, CallSite site)
    {
        Check(OpName, site, logits, labels);
        return Dispatch.Apply(new SoftmaxCrossEntropyPrimitive(site), site, logits, labels);
    }

    /// <summary>Float logits [n, classes ≥ 1] and int32 labels [n] on one device.</summary>
    internal static void Check(string op, CallSite site, Tensor logits, Tensor labels)
    {
        OpCheck.NotNull(op, site, logits, "logits");
        OpCheck.NotNull(op, site, labels, "labels");
        OpCheck.Floating(op, site, logits);
        OpCheck.Int32(op, site, labels, "labels");
        OpCheck.SameDevice(op, site, logits, labels);
        if (logits.Rank != 2 || labels.Rank != 1 || labels.Dims[0] != logits.Dims[0])
        {
            throw site.Error(op, $"needs logits [n, classes] and int32 labels [n], got {OpCheck.Describe(logits)} and {OpCheck.Describe(labels)}");
        }

        if (logits.Dims[1] == 0)
        {
            throw site.Error(op, $"logits {OpCheck.Describe(logits)} have no classes");
        }
    }

    /// <summary>The error for a label outside [0, classes), naming its position.</summary>
    internal static TensorOpException LabelError(CallSite site, string op, IndexRangeException e, Tensor labels) =>
        site.Error(op, $"label {e.Index} at position {e.Position} of labels {OpCheck.Describe(labels)} is outside [0, {e.Limit})");

    public override Tensor Forward(Tensor[] inputs)
    {
        var (z, labels) = (inputs[0], inputs[1]);
        int rows = z.Dims[0], classes = z.Dims[1];
        var y = Tensor.Uninitialized(z.DType, [rows], z.Device);
        try
        {
            z.Backend.SoftmaxCrossEntropy(z.Storage!, labels.Storage!, rows, classes, y.Storage!);
        }
        catch (IndexRangeException e)
        {
            throw LabelError(site, Name, e, labels);
        }

        return y;
    }

    // ∂ℓ[r]/∂z[r] = softmax(z[r]) − onehot(label[r]), scaled by the row's cotangent.
    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed) =>
        [needed[0] ? SoftmaxCrossEntropyGradPrimitive.Apply(inputs[0], inputs[1], g, site) : null, null];

    // dℓ[r] = Σ_j (softmax(z[r]) − onehot(label[r]))[j]·t[r, j].
    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output) =>
        tangents[0] is { } t
            ? (SoftmaxCrossEntropyGradPrimitive.Apply(inputs[0], inputs[1], Tensor.OnesLike(output.Detach()), site) * t).Sum(1)
            : Tensor.ZerosLike(output);
}

/// <summary>
/// The gradient of <see cref="SoftmaxCrossEntropyPrimitive"/> scaled per row: out[r] = (softmax(z[r]) − onehot(label[r]))·c[r],
/// in one pass per row. Its own derivatives are written with tensor ops (the softmax Jacobian diag(p) − ppᵀ), so
/// gradients of gradients still work.
/// </summary>
internal sealed class SoftmaxCrossEntropyGradPrimitive(CallSite site) : Primitive
{
    public const string OpName = "SoftmaxCrossEntropyGrad";

    public override string Name => OpName;

    public static Tensor Apply(Tensor logits, Tensor labels, Tensor c, CallSite site)
    {
        SoftmaxCrossEntropyPrimitive.Check(OpName, site, logits, labels);
        OpCheck.NotNull(OpName, site, c, "cotangent");
        OpCheck.Floating(OpName, site, c);
        OpCheck.SameDTypeAndDevice(OpName, site, logits, c);
        if (c.Rank != 1 || c.Dims[0] != logits.Dims[0])
        {
            throw site.Error(OpName, $"the cotangent must have one value per row of logits {OpCheck.Describe(logits)}, got {OpCheck.Describe(c)}");
        }

        return Dispatch.Apply(new SoftmaxCrossEntropyGradPrimitive(site), site, logits, labels, c);
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (z, labels, c) = (inputs[0], inputs[1], inputs[2]);
        int rows = z.Dims[0], classes = z.Dims[1];
        var y = Tensor.Uninitialized(z.DType, z.Dims, z.Device);
        try
        {
            z.Backend.SoftmaxCrossEntropyGrad(z.Storage!, labels.Storage!, c.Storage!, rows, classes, y.Storage!);
        }
        catch (IndexRangeException e)
        {
            throw SoftmaxCrossEntropyPrimitive.LabelError(site, Name, e, labels);
        }

        return y;
    }

    // out = (p − y)·c with p = softmax(z). Through c: c̄[r] = Σ_j u[r, j]·(p − y)[r, j]. Through z: the softmax
    // Jacobian diag(p) − ppᵀ is symmetric, so z̄ = p ⊙ (w − ⟨p, w⟩) with w = u·c per row.
    public override Tensor?[] Vjp(Tensor u, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (z, labels, c) = (inputs[0], inputs[1], inputs[2]);
        return
        [
            needed[0] ? ThroughLogits(z, c, u) : null,
            null,
            needed[2] ? (Apply(z, labels, Tensor.OnesLike(c.Detach()), site) * u).Sum(1) : null,
        ];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (z, labels, c) = (inputs[0], inputs[1], inputs[2]);
        var fromZ = tangents[0] is { } tz ? ThroughLogits(z, c, tz) : null;
        var fromC = tangents[2] is { } tc ? Apply(z, labels, tc, site) : null;
        return fromZ is null ? fromC ?? Tensor.ZerosLike(output) : fromC is null ? fromZ : fromZ + fromC;
    }

    /// <summary>c[r]·(diag(p) − ppᵀ)·t[r] per row: the change of the output for a change t of the logits.</summary>
    private static Tensor ThroughLogits(Tensor z, Tensor c, Tensor t)
    {
        var p = z.Softmax(1);
        var w = t * c.Reshape([-1, 1]);
        return p * (w - (p * w).Sum(1, keepDims: true));
    }
}
