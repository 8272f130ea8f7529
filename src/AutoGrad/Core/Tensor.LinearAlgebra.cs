using System.Runtime.CompilerServices;
using AutoGrad.Ops;

namespace AutoGrad;

/// <summary>Matrix products.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with NumPy's matmul semantics: vector·vector gives a scalar, matrix·vector a
    /// vector, matrix·matrix a matrix; higher ranks are stacks of matrices whose batch dimensions broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(other);
        var site = new CallSite(file, line);
        var (a, b) = (this, other);
        OpCheck.Floating("MatMul", site, a);
        OpCheck.Floating("MatMul", site, b);
        OpCheck.SameDTypeAndDevice("MatMul", site, a, b);
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw site.Error("MatMul", $"operands must have rank ≥ 1, got {a.Shape} @ {b.Shape}; use Mul for scalars");
        }

        int ka = a.Dims[^1];
        int kb = b.Rank == 1 ? b.Dims[0] : b.Dims[^2];
        if (ka != kb)
        {
            throw site.Error("MatMul", $"inner dimensions differ, {a.Shape} @ {b.Shape}");
        }

        // A stack of matrices times one matrix is one tall matrix product: no copies of b per batch.
        if (a.Rank > 2 && b.Rank == 2)
        {
            var flat = MatMulPrimitive.Apply(a.Reshape([-1, ka], file, line), b, false, false, site);
            return flat.Reshape([.. a.Dims[..^1], b.Dims[1]], file, line);
        }

        // Promote vectors to matrices, remembering which axes to drop at the end.
        var am = a.Rank == 1 ? a.Reshape([1, ka], file, line) : a;
        var bm = b.Rank == 1 ? b.Reshape([kb, 1], file, line) : b;
        var batchA = am.Dims[..^2];
        var batchB = bm.Dims[..^2];
        int[] batch;
        try
        {
            batch = OpCheck.Broadcast("MatMul", site, batchA, batchB);
        }
        catch (TensorOpException)
        {
            throw site.Error("MatMul", $"batch dimensions cannot be broadcast, {a.Shape} @ {b.Shape}");
        }

        if (!batchA.AsSpan().SequenceEqual(batch))
        {
            am = am.BroadcastTo([.. batch, .. am.Dims[^2..]], file, line);
        }

        if (!batchB.AsSpan().SequenceEqual(batch))
        {
            bm = bm.BroadcastTo([.. batch, .. bm.Dims[^2..]], file, line);
        }

        var c = MatMulPrimitive.Apply(am, bm, false, false, site);
        if (a.Rank == 1 && b.Rank == 1)
        {
            return c.Reshape([], file, line);
        }

        if (a.Rank == 1)
        {
            return c.Squeeze(-2, file, line);
        }

        return b.Rank == 1 ? c.Squeeze(-1, file, line) : c;
    }

    /// <summary>
    /// A dense layer's forward, this·<paramref name="weight"/> + <paramref name="bias"/>, in one op: this [..., k]
    /// (rank ≥ 1), weight [k, n], bias [n] added to every row; the result is [..., n]. The same value as
    /// <c>MatMul(weight) + bias</c> up to rounding, with the same gradients. As PyTorch's <c>addmm</c>, the bias costs no
    /// second pass over the result: large products start every sum from it, narrow ones add it to each finished element.
    /// </summary>
    public Tensor MatMulAdd(Tensor weight, Tensor bias, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = new CallSite(file, line);
        const string op = MatMulAddPrimitive.OpName;
        OpCheck.NotNull(op, site, weight, "weight");
        OpCheck.NotNull(op, site, bias, "bias");
        if (Rank == 2)
        {
            return MatMulAddPrimitive.Apply(this, weight, bias, site);
        }

        OpCheck.Floating(op, site, this);
        if (Rank == 0 || weight.Rank != 2)
        {
            throw site.Error(op, $"needs x [..., k], a weight [k, n] and a bias [n], got {OpCheck.Describe(this)} · {OpCheck.Describe(weight)} + {OpCheck.Describe(bias)}");
        }

        // Leading dims become rows of one product; a vector is one row.
        int rowCount = 1;
        foreach (int d in Dims[..^1])
        {
            rowCount *= d;
        }

        var rows = Reshape([rowCount, Dims[^1]], file, line);
        var y = MatMulAddPrimitive.Apply(rows, weight, bias, site, original: this);
        return y.Reshape([.. Dims[..^1], weight.Dims[1]], file, line);
    }
}
