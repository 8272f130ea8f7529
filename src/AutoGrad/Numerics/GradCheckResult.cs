using System.Globalization;
using System.Text;

namespace AutoGrad;

/// <summary>
/// Tolerances and step for <c>Numerical.GradCheck</c>. Unset tolerances default by dtype: PyTorch's
/// atol 1e-5 and rtol 1e-3 for float64, and atol 1e-3, rtol 1e-2 for float32 (whose finite differences
/// carry errors near 1e-4; prefer float64 for checking).
/// </summary>
/// <param name="Atol">Absolute tolerance; null for the dtype's default.</param>
/// <param name="Rtol">Relative tolerance; null for the dtype's default.</param>
/// <param name="Step">Finite-difference step; null picks <see cref="Numerical.DefaultStep"/> for the dtype.</param>
public sealed record GradCheckOptions(double? Atol = null, double? Rtol = null, double? Step = null)
{
    /// <summary>The absolute tolerance applied to inputs of <paramref name="dtype"/>.</summary>
    public double AtolFor(DType dtype) => Atol ?? (dtype == DType.Float32 ? 1e-3 : 1e-5);

    /// <summary>The relative tolerance applied to inputs of <paramref name="dtype"/>.</summary>
    public double RtolFor(DType dtype) => Rtol ?? (dtype == DType.Float32 ? 1e-2 : 1e-3);
}

/// <summary>How the analytic and numerical derivatives of one input compare.</summary>
/// <param name="Input">The input's position in the argument list.</param>
/// <param name="Shape">The input's shape.</param>
/// <param name="MaxAbsError">Largest |analytic − numerical| over the Jacobian's entries.</param>
/// <param name="MaxRelError">Largest |analytic − numerical| / max(|analytic|, |numerical|).</param>
/// <param name="WorstOutputIndex">Output index of the entry furthest outside tolerance.</param>
/// <param name="WorstInputIndex">Input index of that entry.</param>
/// <param name="Analytic">The analytic derivative at that entry.</param>
/// <param name="Numerical">The numerical derivative at that entry.</param>
/// <param name="Passed">True when every entry is within atol + rtol·|numerical|.</param>
/// <param name="Atol">The absolute tolerance applied.</param>
/// <param name="Rtol">The relative tolerance applied.</param>
public sealed record GradCheckInputReport(
    int Input,
    Shape Shape,
    double MaxAbsError,
    double MaxRelError,
    int[] WorstOutputIndex,
    int[] WorstInputIndex,
    double Analytic,
    double Numerical,
    bool Passed,
    double Atol,
    double Rtol);

/// <summary>The outcome of a gradient check: one report per differentiable input.</summary>
public sealed class GradCheckResult
{
    internal GradCheckResult(IReadOnlyList<GradCheckInputReport> inputs, GradCheckOptions options)
    {
        Inputs = inputs;
        Options = options;
    }

    /// <summary>One report per float input.</summary>
    public IReadOnlyList<GradCheckInputReport> Inputs { get; }

    /// <summary>The tolerances used.</summary>
    public GradCheckOptions Options { get; }

    /// <summary>True when every input passed.</summary>
    public bool Passed => Inputs.All(r => r.Passed);

    /// <summary>Throws an <see cref="InvalidOperationException"/> carrying this report if any input failed.</summary>
    public void ThrowIfFailed()
    {
        if (!Passed)
        {
            throw new InvalidOperationException("Gradient check failed:\n" + this);
        }
    }

    /// <summary>A table: input, shape, max abs error, max rel error, worst entry, verdict.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"GradCheck: {(Passed ? "passed" : "FAILED")}\n");
        foreach (var r in Inputs)
        {
            sb.Append(c, $"  input {r.Input} {r.Shape} (atol {r.Atol:G3}, rtol {r.Rtol:G3}): max abs {r.MaxAbsError:E2}, max rel {r.MaxRelError:E2}, ");
            sb.Append(c, $"worst at out{Shape.Format(r.WorstOutputIndex)} in{Shape.Format(r.WorstInputIndex)} ");
            sb.Append(c, $"(analytic {r.Analytic:G10}, numerical {r.Numerical:G10}) {(r.Passed ? "ok" : "FAIL")}\n");
        }

        return sb.ToString();
    }
}
