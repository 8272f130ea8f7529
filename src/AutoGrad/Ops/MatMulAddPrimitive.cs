using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>
/// A dense layer's forward in one op: y = x·W + b with x [m, k], W [k, n] and the bias b [n] added to every row
/// (PyTorch's <c>addmm</c>, which its <c>nn.Linear</c> calls). The backend folds the bias into the product (the packed
/// kernel starts each sum from it, the narrow kernel adds it to each finished element), so it costs no second pass over y. Its derivatives are those of the composition
/// <c>x.MatMul(W) + b</c>, written with matrix products and a column sum; the public
/// <see cref="Tensor.MatMulAdd"/> (any leading dims on x) is a composite over this.
/// </summary>
internal sealed class MatMulAddPrimitive : Primitive
{
    public const string OpName = "MatMulAdd";

    private static readonly MatMulAddPrimitive Instance = new();

    public override string Name => OpName;

    /// <summary>Validated entry for x [m, k], W [k, n], b [n]; messages show <paramref name="original"/> (the caller's x before flattening) when given.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, CallSite site, Tensor? original = null)
    {
        Check(site, x, weight, bias, original ?? x);
        return Dispatch.Apply(Instance, site, x, weight, bias);
    }

    /// <summary>Float operands of one dtype and device, x of rank 2, and sizes that agree.</summary>
    private static void Check(CallSite site, Tensor x, Tensor weight, Tensor bias, Tensor original)
    {
        OpCheck.Floating(OpName, site, x);
        OpCheck.Floating(OpName, site, weight);
        OpCheck.Floating(OpName, site, bias);
        OpCheck.SameDTypeAndDevice(OpName, site, x, weight);
        OpCheck.SameDTypeAndDevice(OpName, site, x, bias);
        string shapes = $"{OpCheck.Describe(original)} · {OpCheck.Describe(weight)} + {OpCheck.Describe(bias)}";
        if (x.Rank != 2 || weight.Rank != 2 || bias.Rank != 1)
        {
            throw site.Error(OpName, $"needs x [..., k], a weight [k, n] and a bias [n], got {shapes}");
        }

        if (x.Dims[1] != weight.Dims[0])
        {
            throw site.Error(OpName, $"inner dimensions differ, {shapes}");
        }

        if (bias.Dims[0] != weight.Dims[1])
        {
            throw site.Error(OpName, $"the bias must have one value per column of the weight, {shapes}");
        }
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (x, w, b) = (inputs[0], inputs[1], inputs[2]);
        int m = x.Dims[0], k = x.Dims[1], n = w.Dims[1];
        var y = Tensor.Uninitialized(x.DType, [m, n], x.Device);
        x.Backend.MatMulAddRow(m, n, k, x.Storage!, w.Storage!, b.Storage!, y.Storage!);
        return y;
    }

    // dx = g·Wᵀ, dW = xᵀ·g, db = Σ_rows g: the rules of MatMul and of a broadcast Add. The column sum goes first,
    // while g is still in cache from the op that made it: after dW's product streamed x through, it no longer is
    // (at batch 512 the sum took 46 µs instead of 33).
    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (x, w) = (inputs[0], inputs[1]);
        var gb = needed[2] ? g.Sum(0) : null;
        var gw = needed[1] ? MatMulPrimitive.Apply(x, g, true, false, CallSite.Unknown) : null;
        var gx = needed[0] ? MatMulPrimitive.Apply(g, w, false, true, CallSite.Unknown) : null;
        return [gx, gw, gb];
    }

    // dy = dx·W + x·dW + db; with dx and db both present the first and last terms are one fused product again.
    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (x, w) = (inputs[0], inputs[1]);
        var (tx, tw, tb) = (tangents[0], tangents[1], tangents[2]);
        Tensor? result = null;
        if (tx is not null)
        {
            result = tb is not null ? Apply(tx, w, tb, CallSite.Unknown) : MatMulPrimitive.Apply(tx, w, false, false, CallSite.Unknown);
        }

        if (tw is not null)
        {
            var term = MatMulPrimitive.Apply(x, tw, false, false, CallSite.Unknown);
            result = result is null ? term : result + term;
        }

        if (tb is not null && tx is null)
        {
            result = result is null ? tb.BroadcastTo(output.Shape) : result + tb;
        }

        return result!;
    }
}
