using System.Runtime.CompilerServices;

namespace AutoGrad;

/// <summary>
/// Numerical differentiation by central differences, mirroring the AD API: use it to check analytic
/// gradients of your own functions (<c>GradCheck</c>) or to differentiate code that AutoGrad cannot
/// trace. Inputs are perturbed one element at a time in their own dtype; prefer float64 for accuracy.
/// </summary>
public static partial class Numerical
{
    /// <summary>
    /// The default step: 1e-6 for float64 (as PyTorch's gradcheck) and 1e-3 for float32, near the
    /// cube root of machine epsilon where central differences balance truncation and rounding error.
    /// For an element x the step taken is step·max(1, |x|), so large values are not lost to rounding.
    /// </summary>
    public static double DefaultStep(DType dtype) => dtype == DType.Float32 ? 1e-3 : 1e-6;

    /// <summary>The gradient of a scalar-valued function of one tensor by central differences.</summary>
    public static Tensor Gradient(Func<Tensor, Tensor> f, Tensor x, double? step = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Gradient(xs => f(xs[0]), [x], null, step, file, line)[0];
    }

    /// <summary>
    /// The gradients of a scalar-valued function of several tensors by central differences, with respect
    /// to the arguments listed in <paramref name="argnums"/> (all when null), in that order — as
    /// <c>Transforms.Grad</c>. Leave int32 inputs (labels) out of argnums.
    /// </summary>
    public static Tensor[] Gradient(Func<Tensor[], Tensor> f, Tensor[] xs, int[]? argnums = null, double? step = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(xs);
        var site = new CallSite(file, line);
        var chosen = argnums ?? Enumerable.Range(0, xs.Length).ToArray();
        var result = new Tensor[chosen.Length];
        for (int j = 0; j < chosen.Length; j++)
        {
            int i = chosen[j];
            if (i < 0 || i >= xs.Length)
            {
                throw site.Error("Numerical.Gradient", $"argnum {i} is out of range for {xs.Length} argument(s)");
            }

            var jac = JacobianColumns("Numerical.Gradient", site, f, xs, i, step, requireScalar: true);
            result[j] = Tensor.FromDoubles(jac.Values, xs[i].Dims, xs[i].DType, xs[i].Device);
        }

        return result;
    }

    /// <summary>The Jacobian of f at x by central differences, with shape f(x).shape + x.shape.</summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x, double? step = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var jac = JacobianColumns("Numerical.Jacobian", new CallSite(file, line), xs => f(xs[0]), [x], 0, step, requireScalar: false);
        return Tensor.FromDoubles(jac.Values, [.. jac.OutDims, .. x.Dims], x.DType, x.Device);
    }

    /// <summary>
    /// Compares the analytic derivative (reverse mode) of <paramref name="f"/> with central differences,
    /// entry by entry of the full Jacobian, and reports the worst errors. An entry passes when
    /// |analytic − numerical| ≤ atol + rtol·|numerical| (PyTorch's gradcheck rule).
    /// </summary>
    public static GradCheckResult GradCheck(Func<Tensor, Tensor> f, Tensor x, GradCheckOptions? options = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return GradCheck(xs => f(xs[0]), [x], options, file, line);
    }

    /// <summary>Gradient check of a function of several tensors; int32 inputs (indices, labels) are held fixed and not checked.</summary>
    public static GradCheckResult GradCheck(Func<Tensor[], Tensor> f, Tensor[] xs, GradCheckOptions? options = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(xs);
        var site = new CallSite(file, line);
        options ??= new GradCheckOptions();
        var inputs = xs.Select((x, i) => x?.Detach() ?? throw site.Error("GradCheck", $"input {i} is null")).ToArray();
        var value = Evaluate("GradCheck", site, f, inputs, requireScalar: false);
        var differentiable = Enumerable.Range(0, xs.Length).Where(i => inputs[i].DType.IsFloating()).ToArray();

        // Trace only the float inputs; integer inputs (indices, labels) stay fixed.
        var (_, pullback) = Transforms.Vjp(floats =>
        {
            var args = (Tensor[])inputs.Clone();
            for (int j = 0; j < differentiable.Length; j++)
            {
                args[differentiable[j]] = floats[j];
            }

            return f(args) ?? throw site.Error("GradCheck", "the function returned null");
        }, differentiable.Select(i => inputs[i]).ToArray(), file, line);

        // Analytic Jacobian rows: one pullback per output element.
        int outSize = value.Size;
        var analytic = differentiable.Select(i => new double[outSize * inputs[i].Size]).ToArray();
        for (int o = 0; o < outSize; o++)
        {
            var basis = new double[outSize];
            basis[o] = 1;
            var cotangents = pullback(Tensor.FromDoubles(basis, value.Dims, value.DType, value.Device));
            for (int j = 0; j < differentiable.Length; j++)
            {
                var row = cotangents[j].ToDoubleArray();
                Array.Copy(row, 0, analytic[j], o * row.Length, row.Length);
            }
        }

        var reports = new List<GradCheckInputReport>();
        for (int j = 0; j < differentiable.Length; j++)
        {
            int i = differentiable[j];
            var numerical = JacobianColumns("GradCheck", site, f, inputs, i, options.Step, requireScalar: false).Values;
            reports.Add(Compare(i, inputs[i], value, analytic[j], numerical, options.AtolFor(inputs[i].DType), options.RtolFor(inputs[i].DType)));
        }

        return new GradCheckResult(reports, options);
    }

    private static GradCheckInputReport Compare(int input, Tensor x, Tensor value, double[] analytic, double[] numerical, double atol, double rtol)
    {
        double maxAbs = 0, maxRel = 0, worstRatio = -1;
        int worst = 0;
        bool passed = true;
        for (int k = 0; k < analytic.Length; k++)
        {
            double a = analytic[k], n = numerical[k];
            double err = Math.Abs(a - n);
            if (double.IsNaN(err))
            {
                err = double.PositiveInfinity;
            }

            double scale = Math.Max(Math.Abs(a), Math.Abs(n));
            double rel = scale > 0 ? err / scale : 0;
            double ratio = err / (atol + rtol * Math.Abs(n));
            maxAbs = Math.Max(maxAbs, err);
            maxRel = Math.Max(maxRel, rel);
            passed &= err <= atol + rtol * Math.Abs(n);
            if (ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = k;
            }
        }

        int inSize = Math.Max(x.Size, 1);
        bool any = analytic.Length > 0;
        return new GradCheckInputReport(
            input, x.Shape, maxAbs, maxRel,
            Unravel(any ? worst / inSize : 0, value.Dims), Unravel(any ? worst % inSize : 0, x.Dims),
            any ? analytic[worst] : 0, any ? numerical[worst] : 0, passed, atol, rtol);
    }

    private static int[] Unravel(int flat, int[] dims)
    {
        var index = new int[dims.Length];
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            if (dims[i] > 0)
            {
                index[i] = flat % dims[i];
                flat /= dims[i];
            }
        }

        return index;
    }

    /// <summary>∂f/∂xs[which] as a row-major (outSize × inSize) array, by central differences.</summary>
    private static (double[] Values, int[] OutDims) JacobianColumns(string op, CallSite site, Func<Tensor[], Tensor> f, Tensor[] xs, int which, double? step, bool requireScalar)
    {
        var inputs = xs.Select((x, i) => x?.Detach() ?? throw site.Error(op, $"input {i} is null")).ToArray();
        var x = inputs[which];
        if (!x.DType.IsFloating())
        {
            throw site.Error(op, $"input {which} is {x.DType.Name()}{x.Shape}; only float tensors can be differentiated (leave it out of argnums)");
        }

        double h = step ?? DefaultStep(x.DType);
        if (!(h > 0) || double.IsInfinity(h))
        {
            throw site.Error(op, $"step must be positive and finite, got {h}");
        }

        var baseValues = x.ToDoubleArray();
        int[]? outDims = null;
        double[]? result = null;
        for (int k = 0; k < baseValues.Length; k++)
        {
            double hk = h * Math.Max(1.0, Math.Abs(baseValues[k]));
            var plus = (double[])baseValues.Clone();
            var minus = (double[])baseValues.Clone();
            plus[k] += hk;
            minus[k] -= hk;
            var xp = Tensor.FromDoubles(plus, x.Dims, x.DType, x.Device);
            var xm = Tensor.FromDoubles(minus, x.Dims, x.DType, x.Device);

            // The step actually taken after rounding to the input's dtype.
            double taken = xp.ToDoubleArray()[k] - xm.ToDoubleArray()[k];
            if (!(taken > 0) || double.IsInfinity(taken))
            {
                throw site.Error(op, $"the step {hk:G3} is lost to rounding at element {k} of {x.DType.Name()}{x.Shape} (value {baseValues[k]:G6}); use float64 or a larger step");
            }

            inputs[which] = xp;
            var fp = Evaluate(op, site, f, inputs, requireScalar);
            inputs[which] = xm;
            var fm = Evaluate(op, site, f, inputs, requireScalar);
            inputs[which] = x;
            outDims ??= fp.Dims;
            result ??= new double[fp.Size * baseValues.Length];
            var vp = fp.ToDoubleArray();
            var vm = fm.ToDoubleArray();
            for (int o = 0; o < vp.Length; o++)
            {
                result[o * baseValues.Length + k] = (vp[o] - vm[o]) / taken;
            }
        }

        if (result is null)
        {
            var y = Evaluate(op, site, f, inputs, requireScalar);
            outDims = y.Dims;
            result = [];
        }

        return (result, outDims!);
    }

    private static Tensor Evaluate(string op, CallSite site, Func<Tensor[], Tensor> f, Tensor[] inputs, bool requireScalar)
    {
        var y = f((Tensor[])inputs.Clone()) ?? throw site.Error(op, "the function returned null");
        if (requireScalar && y.Rank != 0)
        {
            throw site.Error(op, $"the function must return a scalar (rank 0), got {y.DType.Name()}{y.Shape}; use Numerical.Jacobian");
        }

        return y.Detach();
    }
}
