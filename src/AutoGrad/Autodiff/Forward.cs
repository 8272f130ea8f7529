namespace AutoGrad.Autodiff;

/// <summary>The machinery behind forward mode: open a trace, seed tangents, run, read the output's tangent.</summary>
internal static class Forward
{
    public static (Tensor Value, Tensor Tangent) Jvp(CallSite site, Func<Tensor[], Tensor> f, Tensor[] xs, Tensor[] tangents)
    {
        var (values, outTangents) = JvpMany(site, leaves => [f(leaves)], xs, tangents, i => $"input {i}");
        return (values[0], outTangents[0]);
    }

    /// <summary>Forward mode over a function with several outputs: every output's value and tangent from one pass.</summary>
    public static (Tensor[] Values, Tensor[] Tangents) JvpMany(CallSite site, Func<Tensor[], Tensor[]> f, Tensor[] xs, Tensor[] tangents, Func<int, string> inputName)
    {
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(tangents);
        if (xs.Length != tangents.Length)
        {
            throw site.Error("Jvp", $"needs one tangent per input, got {xs.Length} inputs and {tangents.Length} tangents");
        }

        for (int i = 0; i < xs.Length; i++)
        {
            var (x, t) = (xs[i], tangents[i]);
            if (x is null || t is null)
            {
                throw site.Error("Jvp", $"{inputName(i)} or its tangent is null");
            }

            if (!x.DType.IsFloating() || x.Shape != t.Shape || x.DType != t.DType)
            {
                throw site.Error("Jvp", $"the tangent of {inputName(i)} must be a float tensor matching it ({x.DType.Name()}{x.Shape}), got {t.DType.Name()}{t.Shape}");
            }
        }

        var trace = new ForwardTrace("Jvp");
        Tensor[] ys;
        try
        {
            var duals = new Tensor[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                duals[i] = trace.NewDual(xs[i], tangents[i]);
            }

            ys = f(duals);
        }
        finally
        {
            trace.Close();
        }

        var values = new Tensor[ys.Length];
        var outTangents = new Tensor[ys.Length];
        for (int o = 0; o < ys.Length; o++)
        {
            var y = ys[o] ?? throw site.Error("Jvp", "the function returned null");
            (values[o], outTangents[o]) = y.Trace == trace ? (y.Primal!, y.Tangent!) : (y, Tensor.ZerosLike(y));
        }

        return (values, outTangents);
    }
}
