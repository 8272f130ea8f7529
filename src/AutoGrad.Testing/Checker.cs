using System.Text;

namespace AutoGrad.Testing;

/// <summary>Runs the selected derivative checks on one generated input; returns the first failure, or null.</summary>
internal sealed class Checker(Func<Tensor[], Tensor> f, int inputs, GradientPropertyOptions options)
{
    // What each check compares: (the derivative under test, what it is compared with).
    private static readonly (string, string) VjpComparison = ("reverse mode (VJP)", "central differences");
    private static readonly (string, string) JvpComparison = ("forward mode (JVP)", "central differences");
    private static readonly (string, string) ConsistencyComparison = ("forward mode ⟨u, J·v⟩", "reverse mode ⟨Jᵀ·u, v⟩");
    private static readonly (string, string) SecondReverseComparison = ("the second order by reverse over reverse (the gradient of ⟨w, Jᵀ·u⟩)", "central differences");
    private static readonly (string, string) SecondForwardComparison = ("the second order by forward over reverse (the JVP of ⟨w, Jᵀ·u⟩ along v)", "central differences");

    public GradientPropertyFailure? Run(Case c)
    {
        var xs = c.Tensors();
        Tensor y;
        try
        {
            y = f(xs) ?? throw new InvalidOperationException("the function returned null");
            if (y.DType != DType.Float64 && y.DType != DType.Float32)
            {
                throw new InvalidOperationException($"the function returned a {y.DType} tensor; only float outputs have derivatives");
            }
        }
        catch (Exception e)
        {
            return new GradientPropertyFailure(c, DerivativeChecks.None, ("the function", "nothing"), exception: e);
        }

        // Directions, drawn in a fixed order from the case's seed: tangents v, cotangent u, weights w.
        var rng = new Generator((ulong)c.DirectionSeed);
        var v = xs.Select(x => Tensor.RandomUniform(x.Shape.ToArray(), rng, -1, 1, DType.Float64)).ToArray();
        var u = Tensor.RandomUniform(y.Shape.ToArray(), rng, -1, 1, y.DType);
        var w = xs.Select(x => Tensor.RandomUniform(x.Shape.ToArray(), rng, -1, 1, DType.Float64)).ToArray();
        var d = new Directions(v, u, w);

        return Guard(c, DerivativeChecks.Vjp, VjpComparison, null, () => Vjp(c, xs))
            ?? Guard(c, DerivativeChecks.Jvp, JvpComparison, d.Text(inputs, tangents: true), () => Jvp(c, xs, d))
            ?? Guard(c, DerivativeChecks.VjpJvpConsistency, ConsistencyComparison, d.Text(inputs, tangents: true, cotangent: true), () => Consistency(c, xs, d))
            ?? Guard(c, DerivativeChecks.SecondOrderReverse, SecondReverseComparison, d.Text(inputs, cotangent: true, weights: true), () => SecondReverse(c, xs, d))
            ?? Guard(c, DerivativeChecks.SecondOrderForward, SecondForwardComparison, d.Text(inputs, tangents: true, cotangent: true, weights: true), () => SecondForward(c, xs, d));
    }

    private sealed record Directions(Tensor[] V, Tensor U, Tensor[] W)
    {
        public string Text(int inputs, bool tangents = false, bool cotangent = false, bool weights = false)
        {
            var sb = new StringBuilder();
            for (int i = 0; tangents && i < V.Length; i++)
            {
                sb.Append($"  tangent v for {Format.Name(i, inputs)} = {Format.Tensor(V[i].ToDoubleArray(), V[i].Shape.ToArray())}\n");
            }

            if (cotangent)
            {
                sb.Append($"  cotangent u = {Format.Tensor(U.ToDoubleArray(), U.Shape.ToArray())}\n");
            }

            for (int i = 0; weights && i < W.Length; i++)
            {
                sb.Append($"  weight w for {Format.Name(i, inputs)} = {Format.Tensor(W[i].ToDoubleArray(), W[i].Shape.ToArray())}\n");
            }

            return sb.ToString();
        }
    }

    private GradientPropertyFailure? Guard(Case c, DerivativeChecks check, (string Subject, string Reference) comparison, string? directions, Func<GradientPropertyFailure?> run)
    {
        if (!options.Checks.HasFlag(check))
        {
            return null;
        }

        try
        {
            return run();
        }
        catch (Exception e)
        {
            return new GradientPropertyFailure(c, check, comparison, directions: directions, exception: e);
        }
    }

    private bool Within(double analytic, double numerical, out double allowed)
    {
        allowed = options.Atol + options.Rtol * Math.Abs(numerical);
        return Math.Abs(analytic - numerical) <= allowed;
    }

    /// <summary>Ratio of the error to what is allowed; NaN counts as infinitely wrong.</summary>
    private double Badness(double analytic, double numerical)
    {
        double err = Math.Abs(analytic - numerical);
        return double.IsNaN(err) ? double.PositiveInfinity : err / (options.Atol + options.Rtol * Math.Abs(numerical));
    }

    private GradientPropertyFailure? Vjp(Case c, Tensor[] xs)
    {
        var result = Numerical.GradCheck(f, xs, new GradCheckOptions(options.Atol, options.Rtol, options.Step));
        var worst = result.Inputs.Where(r => !r.Passed).MaxBy(r => Badness(r.Analytic, r.Numerical));
        if (worst is null)
        {
            return null;
        }

        Within(worst.Analytic, worst.Numerical, out double allowed);
        string entry = $"∂f{Format.Index(worst.WorstOutputIndex)}/∂{Format.Name(worst.Input, inputs)}{Format.Index(worst.WorstInputIndex)}";
        return new GradientPropertyFailure(c, DerivativeChecks.Vjp, VjpComparison, entry, worst.Analytic, worst.Numerical, allowed);
    }

    private GradientPropertyFailure? Jvp(Case c, Tensor[] xs, Directions d)
    {
        var (_, tangent) = Transforms.Jvp(f, xs, d.V);
        double h = options.Step;
        var plus = f(xs.Select((x, i) => x + d.V[i] * h).ToArray()).ToDoubleArray();
        var minus = f(xs.Select((x, i) => x - d.V[i] * h).ToArray()).ToDoubleArray();
        var analytic = tangent.ToDoubleArray();
        var numerical = plus.Select((p, k) => (p - minus[k]) / (2 * h)).ToArray();
        return Worst(c, DerivativeChecks.Jvp, JvpComparison, analytic, numerical, k => $"(J·v){Format.Index(k, tangent.Shape.ToArray())}", d.Text(inputs, tangents: true));
    }

    private GradientPropertyFailure? Consistency(Case c, Tensor[] xs, Directions d)
    {
        var (_, tangent) = Transforms.Jvp(f, xs, d.V);
        var (_, pullback) = Transforms.Vjp(f, xs);
        var cotangents = pullback(d.U);
        double forward = Dot(d.U, tangent, out double scaleForward);
        double reverse = 0, scaleReverse = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            reverse += Dot(cotangents[i], d.V[i], out double s);
            scaleReverse += s;
        }

        // The two are the same sum of products grouped differently: compare against the size of its terms.
        double allowed = options.Atol + options.Rtol * Math.Max(scaleForward, scaleReverse);
        return Math.Abs(forward - reverse) <= allowed
            ? null
            : new GradientPropertyFailure(c, DerivativeChecks.VjpJvpConsistency, ConsistencyComparison, "⟨u, J·v⟩",
                forward, reverse, allowed, d.Text(inputs, tangents: true, cotangent: true), labels: ("forward mode", "reverse mode"));
    }

    private static double Dot(Tensor a, Tensor b, out double scale)
    {
        var (x, y) = (a.ToDoubleArray(), b.ToDoubleArray());
        double sum = 0;
        scale = 0;
        for (int k = 0; k < x.Length; k++)
        {
            sum += x[k] * y[k];
            scale += Math.Abs(x[k] * y[k]);
        }

        return sum;
    }

    /// <summary>φ(x) = Σᵢ ⟨wᵢ, (Jᵀ(x)·u)ᵢ⟩: the VJP, made a scalar so that it can be differentiated again.</summary>
    private Func<Tensor[], Tensor> Phi(Directions d) => args =>
    {
        var cotangents = Transforms.Vjp(f, args).Pullback(d.U);
        var total = Tensor.Scalar(0.0);
        for (int i = 0; i < args.Length; i++)
        {
            total = total + (cotangents[i] * d.W[i]).Sum();
        }

        return total;
    };

    private GradientPropertyFailure? SecondReverse(Case c, Tensor[] xs, Directions d)
    {
        var phi = Phi(d);
        var all = Enumerable.Range(0, xs.Length).ToArray();
        var analytic = Transforms.Grad(phi, all)(xs);
        var numerical = Numerical.Gradient(phi, xs, step: options.Step);
        GradientPropertyFailure? worst = null;
        double worstBadness = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            var (a, n) = (analytic[i].ToDoubleArray(), numerical[i].ToDoubleArray());
            int input = i;
            var failure = Worst(c, DerivativeChecks.SecondOrderReverse, SecondReverseComparison, a, n,
                k => $"∂⟨w, Jᵀ·u⟩/∂{Format.Name(input, inputs)}{Format.Index(k, xs[input].Shape.ToArray())}", d.Text(inputs, cotangent: true, weights: true));
            if (failure is not null && Badness(failure.Analytic, failure.Numerical) > worstBadness)
            {
                (worst, worstBadness) = (failure, Badness(failure.Analytic, failure.Numerical));
            }
        }

        return worst;
    }

    private GradientPropertyFailure? SecondForward(Case c, Tensor[] xs, Directions d)
    {
        var phi = Phi(d);
        var (_, tangent) = Transforms.Jvp(phi, xs, d.V);
        double h = options.Step;
        double plus = phi(xs.Select((x, i) => x + d.V[i] * h).ToArray()).Item();
        double minus = phi(xs.Select((x, i) => x - d.V[i] * h).ToArray()).Item();
        return Worst(c, DerivativeChecks.SecondOrderForward, SecondForwardComparison, [tangent.Item()], [(plus - minus) / (2 * h)],
            _ => "∂⟨w, Jᵀ·u⟩·v", d.Text(inputs, tangents: true, cotangent: true, weights: true));
    }

    private GradientPropertyFailure? Worst(Case c, DerivativeChecks check, (string Subject, string Reference) comparison, double[] analytic, double[] numerical, Func<int, string> entry, string directions)
    {
        if (analytic.Length != numerical.Length)
        {
            throw new InvalidOperationException($"the derivative has {analytic.Length} element(s) where the function's output has {numerical.Length}");
        }

        int worst = -1;
        double worstBadness = 1;
        for (int k = 0; k < analytic.Length; k++)
        {
            double b = Badness(analytic[k], numerical[k]);
            if (b > worstBadness)
            {
                (worst, worstBadness) = (k, b);
            }
        }

        if (worst < 0)
        {
            return null;
        }

        Within(analytic[worst], numerical[worst], out double allowed);
        return new GradientPropertyFailure(c, check, comparison, entry(worst), analytic[worst], numerical[worst], allowed, directions);
    }
}
