using AutoGrad.Autodiff;

namespace AutoGrad.Ops;

/// <summary>
/// Batched matrix product C = op(A)·op(B) over tensors of equal rank ≥ 2 with identical batch dims,
/// where op optionally transposes the last two axes. The transpose flags let backward run
/// g·Bᵀ and Aᵀ·g without materializing a transpose. Bilinear: VJP and JVP are matrix products too.
/// The public <see cref="Tensor.MatMul"/> (vectors, batch broadcasting) is a composite over this.
/// </summary>
internal sealed class MatMulPrimitive(bool transposeA, bool transposeB) : Primitive
{
    public override string Name => "MatMul";

    /// <summary>Validated entry for equal-rank, equal-batch operands.</summary>
    public static Tensor Apply(Tensor a, Tensor b, bool transposeA, bool transposeB, CallSite site)
    {
        var p = new MatMulPrimitive(transposeA, transposeB);
        p.OutDims(a, b, site);
        return Dispatch.Apply(p, site, a, b);
    }

    private (int M, int N, int K) Sizes(Tensor a, Tensor b)
    {
        int r = a.Rank;
        int m = transposeA ? a.Dims[r - 1] : a.Dims[r - 2];
        int ka = transposeA ? a.Dims[r - 2] : a.Dims[r - 1];
        int n = transposeB ? b.Dims[r - 2] : b.Dims[r - 1];
        return (m, n, ka);
    }

    private int[] OutDims(Tensor a, Tensor b, CallSite site)
    {
        OpCheck.Floating("MatMul", site, a);
        OpCheck.Floating("MatMul", site, b);
        OpCheck.SameDTypeAndDevice("MatMul", site, a, b);
        if (a.Rank < 2 || a.Rank != b.Rank)
        {
            throw site.Error("MatMul", $"expects operands of equal rank ≥ 2, got {a.Shape} and {b.Shape}");
        }

        int r = a.Rank;
        int ka = transposeA ? a.Dims[r - 2] : a.Dims[r - 1];
        int kb = transposeB ? b.Dims[r - 1] : b.Dims[r - 2];
        if (ka != kb)
        {
            throw site.Error("MatMul", $"inner dimensions differ, {a.Shape}{(transposeA ? "ᵀ" : "")} @ {b.Shape}{(transposeB ? "ᵀ" : "")}");
        }

        for (int i = 0; i < r - 2; i++)
        {
            if (a.Dims[i] != b.Dims[i])
            {
                throw site.Error("MatMul", $"batch dimensions differ, {a.Shape} @ {b.Shape}");
            }
        }

        var (m, n, _) = Sizes(a, b);
        var dims = new int[r];
        Array.Copy(a.Dims, dims, r - 2);
        dims[r - 2] = m;
        dims[r - 1] = n;
        return dims;
    }

    public override Tensor Forward(Tensor[] inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        var dims = OutDims(a, b, CallSite.Unknown);
        var (m, n, k) = Sizes(a, b);
        int batch = 1;
        for (int i = 0; i < a.Rank - 2; i++)
        {
            batch *= a.Dims[i];
        }

        var c = Tensor.Uninitialized(a.DType, dims, a.Device);
        a.Backend.MatMul(batch, m, n, k, a.Storage!, transposeA, b.Storage!, transposeB, c.Storage!);
        return c;
    }

    public override Tensor?[] Vjp(Tensor g, Tensor[] inputs, Tensor output, bool[] needed)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Tensor? ga = null, gb = null;
        if (needed[0])
        {
            // C = op(A)·op(B). For A: dA = g·op(B)ᵀ, or, if A enters transposed, dA = op(B)·gᵀ.
            ga = transposeA ? Mm(b, g, transposeB, true) : Mm(g, b, false, !transposeB);
        }

        if (needed[1])
        {
            // For B: dB = op(A)ᵀ·g, or, if B enters transposed, dB = gᵀ·op(A).
            gb = transposeB ? Mm(g, a, true, transposeA) : Mm(a, g, !transposeA, false);
        }

        return [ga, gb];
    }

    public override Tensor Jvp(Tensor?[] tangents, Tensor[] inputs, Tensor output)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Tensor? result = null;
        if (tangents[0] is { } ta)
        {
            result = Mm(ta, b, transposeA, transposeB);
        }

        if (tangents[1] is { } tb)
        {
            var term = Mm(a, tb, transposeA, transposeB);
            result = result is null ? term : result + term;
        }

        return result!;
    }

    private static Tensor Mm(Tensor a, Tensor b, bool ta, bool tb) => Apply(a, b, ta, tb, CallSite.Unknown);
}
