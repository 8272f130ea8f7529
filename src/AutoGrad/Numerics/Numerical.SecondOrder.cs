using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>Numerical directional derivatives, Hessians and the second-order gradient check.</summary>
public static partial class Numerical
{
    /// <summary>The directional derivative (f(x + h·v) − f(x − h·v)) / 2h: the numerical counterpart of <c>Transforms.Jvp</c>.</summary>
    public static Tensor Jvp(Func<Tensor, Tensor> f, Tensor x, Tensor v, double? step = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        var site = new CallSite(file, line);
        if (!x.DType.IsFloating() || v.Shape != x.Shape || v.DType != x.DType)
        {
            throw site.Error("Numerical.Jvp", $"needs a float input and a direction of the same shape and dtype, got {x.DType.Name()}{x.Shape} and {v.DType.Name()}{v.Shape}");
        }

        double h = step ?? DefaultStep(x.DType);
        var xd = x.Detach();
        var plus = Evaluate("Numerical.Jvp", site, xs => f(xs[0]), [xd + v.Detach() * h], requireScalar: false).ToDoubleArray();
        var minus = Evaluate("Numerical.Jvp", site, xs => f(xs[0]), [xd - v.Detach() * h], requireScalar: false);
        var m = minus.ToDoubleArray();
        return Tensor.FromDoubles(plus.Select((p, i) => (p - m[i]) / (2 * h)).ToArray(), minus.Dims, minus.DType, minus.Device);
    }

    /// <summary>
    /// The Hessian of a scalar-valued function by central differences, shape x.shape + x.shape:
    /// H_ij ≈ [f(x + hᵢ + hⱼ) − f(x + hᵢ − hⱼ) − f(x − hᵢ + hⱼ) + f(x − hᵢ − hⱼ)] / 4h², with h = 1e-4 for
    /// float64 (about ε^¼, where the four-point rule balances truncation and rounding) and 1e-2 for float32.
    /// </summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x, double? step = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var site = new CallSite(file, line);
        if (!x.DType.IsFloating())
        {
            throw site.Error("Numerical.Hessian", $"the input is {x.DType.Name()}{x.Shape}; only float tensors can be differentiated");
        }

        double h = step ?? (x.DType == DType.Float32 ? 1e-2 : 1e-4);
        var values = x.ToDoubleArray();
        int n = values.Length;
        double F(int i, double di, int j, double dj)
        {
            var shifted = (double[])values.Clone();
            shifted[i] += di;
            shifted[j] += dj;
            return Evaluate("Numerical.Hessian", site, xs => f(xs[0]), [Tensor.FromDoubles(shifted, x.Dims, x.DType, x.Device)], requireScalar: true).Item();
        }

        var hessian = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double value = (F(i, h, j, h) - F(i, h, j, -h) - F(i, -h, j, h) + F(i, -h, j, -h)) / (4 * h * h);
                hessian[i * n + j] = value;
                hessian[j * n + i] = value;
            }
        }

        return Tensor.FromDoubles(hessian, [.. x.Dims, .. x.Dims], x.DType, x.Device);
    }

    /// <summary>
    /// PyTorch's <c>gradgradcheck</c>: compares the second derivative computed by differentiating the
    /// analytic gradient (reverse over reverse) with central differences of that analytic gradient. For a
    /// function with a non-scalar output, the scalar ⟨v, f(x)⟩ is checked, with v a fixed pseudo-random
    /// direction (seed 0) in [−1, 1].
    /// </summary>
    public static GradCheckResult GradGradCheck(Func<Tensor, Tensor> f, Tensor x, GradCheckOptions? options = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var site = new CallSite(file, line);
        options ??= new GradCheckOptions();
        var input = x.Detach();
        var probe = Evaluate("GradGradCheck", site, xs => f(xs[0]), [input], requireScalar: false);
        var v = probe.Rank == 0 ? null : Tensor.RandomUniform(probe.Shape.ToArray(), new Generator(0), -1, 1, probe.DType, probe.Device);
        Func<Tensor, Tensor> scalar = v is null ? f : t => (f(t) * v).Sum();
        var grad = Transforms.Grad(scalar, file, line);

        // Analytic: the Jacobian of the analytic gradient, by reverse mode over it (gradient of each component).
        var analytic = Transforms.Jacobian(grad, JacobianMode.Reverse, file, line)(input).ToDoubleArray();
        var numerical = JacobianColumns("GradGradCheck", site, xs => grad(xs[0]), [input], 0, options.Step, requireScalar: false).Values;
        var gradient = grad(input);
        return new GradCheckResult([Compare(0, input, gradient, analytic, numerical, options.AtolFor(input.DType), options.RtolFor(input.DType))], options);
    }
}
