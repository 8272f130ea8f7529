namespace AutoGrad.Autodiff;

/// <summary>The machinery behind forward mode: open a trace, seed tangents, run, read the output's tangent.</summary>
internal static class Forward
{
    public static (Tensor Value, Tensor Tangent) Jvp(CallSite site, Func<Tensor[], Tensor> f, Tensor[] xs, Tensor[] tangents)
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
                throw site.Error("Jvp", $"input {i} or its tangent is null");
            }

            if (!x.DType.IsFloating() || x.Shape != t.Shape || x.DType != t.DType)
            {
                throw site.Error("Jvp", $"tangent {i} must be a float tensor matching its input {x.DType.Name()}{x.Shape}, got {t.DType.Name()}{t.Shape}");
            }
        }

        var trace = new ForwardTrace("Jvp");
        Tensor y;
        try
        {
            var duals = new Tensor[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                duals[i] = trace.NewDual(xs[i], tangents[i]);
            }

            y = f(duals) ?? throw site.Error("Jvp", "the function returned null");
        }
        finally
        {
            trace.Close();
        }

        return y.Trace == trace ? (y.Primal!, y.Tangent!) : (y, Tensor.ZerosLike(y));
    }
}
