namespace AutoGrad.Ops;

/// <summary>What the registry knows about one primitive.</summary>
/// <param name="Name">The name used in messages, tests and docs.</param>
/// <param name="Kind">Elementwise unary, elementwise binary, fused (several elementwise ops in one pass), or structural.</param>
/// <param name="Differentiable">False for ops without a gradient (sign, comparisons, argmax, one-hot).</param>
/// <param name="Summary">One line: what it computes and its derivative rule.</param>
/// <param name="Implementation">The class that implements it.</param>
internal sealed record PrimitiveInfo(string Name, string Kind, bool Differentiable, string Summary, Type Implementation);

/// <summary>
/// The one list of primitive ops. Elementwise rows come from their tables; structural primitives are
/// listed here. Tests walk this list: every entry must have a finite-difference property, a JVP/VJP
/// dot-product property, an error-input test and a line in docs/ops.md.
/// </summary>
internal static class PrimitiveRegistry
{
    public static IReadOnlyList<PrimitiveInfo> All { get; } = Build();

    private static PrimitiveInfo[] Build()
    {
        var list = new List<PrimitiveInfo>();
        list.AddRange(UnaryRows.All.Select(r => new PrimitiveInfo(r.Name, "unary", r.Differentiable, r.Summary, typeof(UnaryPrimitive))));
        list.AddRange(BinaryRows.All.Select(r => new PrimitiveInfo(r.Name, "binary", r.Differentiable, r.Summary, typeof(BinaryPrimitive))));
        list.AddRange(
        [
            new("Reshape", "structural", true, "same elements, new shape; VJP reshapes back", typeof(ReshapePrimitive)),
            new("Permute", "structural", true, "reorders axes; VJP applies the inverse permutation", typeof(PermutePrimitive)),
            new("BroadcastTo", "structural", true, "repeats along broadcast axes; VJP sums them back", typeof(BroadcastToPrimitive)),
            new("Cast", "structural", true, "converts dtype; VJP converts back", typeof(CastPrimitive)),
            new("ToDevice", "structural", true, "copies to another device; VJP copies the cotangent back to the input's device", typeof(ToDevicePrimitive)),
            new("Sum", "structural", true, "sum over axes; VJP broadcasts the cotangent", typeof(SumPrimitive)),
            new("Max", "structural", true, "max over axes; gradient shared evenly by tied maxima", typeof(ExtremePrimitive)),
            new("Min", "structural", true, "min over axes; gradient shared evenly by tied minima", typeof(ExtremePrimitive)),
            new("ArgMax", "structural", false, "index of the first maximum along an axis (int32); no gradient", typeof(ArgReducePrimitive)),
            new("ArgMin", "structural", false, "index of the first minimum along an axis (int32); no gradient", typeof(ArgReducePrimitive)),
            new("MatMul", "structural", true, "batched op(A)·op(B); VJP g·op(B)ᵀ and op(A)ᵀ·g", typeof(MatMulPrimitive)),
            new("Concat", "structural", true, "joins along an axis; VJP slices the cotangent", typeof(ConcatPrimitive)),
            new("Slice", "structural", true, "strided window; VJP pads the cotangent with zeros (SlicePad)", typeof(SlicePrimitive)),
            new("SlicePad", "structural", true, "adjoint of Slice: zeros with the input in the window; VJP slices", typeof(SlicePadPrimitive)),
            new("TakeAlongAxis", "structural", true, "gathers along an axis by int32 indices; VJP scatter-adds", typeof(TakeAlongAxisPrimitive)),
            new("ScatterAdd", "structural", true, "adds into zeros at int32 indices; VJP gathers", typeof(ScatterAddPrimitive)),
            new("Where", "structural", true, "a where mask ≠ 0 else b; each side gets the cotangent where chosen", typeof(WherePrimitive)),
            new("OneHot", "structural", false, "one-hot encoding of int32 labels; no gradient", typeof(OneHotPrimitive)),
            new("SoftmaxCrossEntropy", "fused", true, "logsumexp(z[r]) − z[r, label[r]] per row of logits [n, C], int32 labels [n], in one pass; VJP SoftmaxCrossEntropyGrad(z, labels, g), labels none", typeof(SoftmaxCrossEntropyPrimitive)),
            new("SoftmaxCrossEntropyGrad", "fused", true, "(softmax(z[r]) − onehot(label[r]))·c[r] in one pass per row (the VJP above); VJP p ⊙ (w − ⟨p, w⟩), w = u·c, for z and Σ_j u·(p − onehot) for c", typeof(SoftmaxCrossEntropyGradPrimitive)),
            new("MatMulAdd", "fused", true, "x·W + b, b [n] added to every row of x [m, k]·W [k, n], folded into the product (addmm); VJP g·Wᵀ, xᵀ·g, Σ_rows g", typeof(MatMulAddPrimitive)),
            new("Axpby", "fused", true, "α·x + β·y in one pass (optimizer steps, moving averages); VJP α·g and β·g", typeof(AxpbyPrimitive)),
            new("AxpbySquare", "fused", true, "α·x + β·y² in one pass (second-moment averages); VJP α·g and 2β·y·g", typeof(AxpbyPrimitive)),
            new("AdaptiveStep", "fused", true, "x − α·y/(√z/γ + ε) in one pass (Adam, RMSprop, Adagrad updates), α and γ 0-d tensors; VJP g, Σ −y·g/d, −α·g/d, α·y·g/(2γ√z·d²), Σ −α·y·√z·g/(γ²d²)", typeof(AdaptiveStepPrimitive)),
            new("SigmoidGrad", "fused", true, "g·y(1 − y) from the sigmoid's output y, in one pass (the sigmoid's VJP and JVP); VJP g(1 − 2y)·c and SigmoidGrad(y, c)", typeof(ActivationGradPrimitive)),
            new("TanhGrad", "fused", true, "g·(1 − y²) from tanh's output y, in one pass (tanh's VJP and JVP); VJP −2gy·c and TanhGrad(y, c)", typeof(ActivationGradPrimitive)),
            new("ReluGrad", "fused", true, "g·[x > 0] from ReLU's input x, in one pass (ReLU's VJP and JVP); VJP 0 for x and ReluGrad(x, c)", typeof(ActivationGradPrimitive)),
            new("Custom", "structural", true, "a user function with its own VJP and/or JVP rule (Custom.Vjp, Custom.Jvp); a missing rule differentiates the forward", typeof(CustomPrimitive)),
        ]);
        return list.ToArray();
    }
}
