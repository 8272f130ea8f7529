using System.Globalization;
using System.Text;

namespace AutoGrad.Testing;

/// <summary>
/// One input on which a derivative check failed: the input itself (shapes and values), what was compared, and the
/// worst disagreement, or the exception thrown.
/// </summary>
public sealed class GradientPropertyFailure
{
    internal GradientPropertyFailure(Case input, DerivativeChecks check, (string Subject, string Reference) comparison, string? entry = null,
        double analytic = double.NaN, double numerical = double.NaN, double allowed = double.NaN,
        string? directions = null, Exception? exception = null, (string Analytic, string Numerical)? labels = null)
    {
        Labels = labels ?? ("analytic", "numerical");
        Case = input;
        Check = check;
        Compared = comparison;
        Entry = entry;
        Analytic = analytic;
        Numerical = numerical;
        Allowed = allowed;
        Directions = directions;
        Exception = exception;
    }

    internal Case Case { get; }

    /// <summary>What the two compared values are called in the message.</summary>
    internal (string Analytic, string Numerical) Labels { get; }

    /// <summary>The check that failed; <see cref="DerivativeChecks.None"/> when evaluating the function itself threw.</summary>
    public DerivativeChecks Check { get; }

    /// <summary>What was compared, in words (e.g. "reverse mode (VJP) against central differences"); "the function" when evaluating it threw.</summary>
    public string Comparison => Check == DerivativeChecks.None ? Compared.Subject : $"{Compared.Subject} against {Compared.Reference}";

    /// <summary>The derivative under test and what it was compared with.</summary>
    internal (string Subject, string Reference) Compared { get; }

    /// <summary>The shape of each input.</summary>
    public IReadOnlyList<int[]> Shapes => Enumerable.Range(0, Case.Values.Length).Select(Case.ShapeOf).ToArray();

    /// <summary>The values of each input, row-major.</summary>
    public IReadOnlyList<double[]> Values => Case.Values.Select(v => (double[])v.Clone()).ToArray();

    /// <summary>The failing input as tensors, to call the function on it again.</summary>
    public Tensor[] Inputs() => Case.Tensors();

    /// <summary>The worst entry, e.g. <c>∂f[1]/∂x[0]</c>; null when the check threw.</summary>
    public string? Entry { get; }

    /// <summary>The derivative by the transform at <see cref="Entry"/> (NaN when the check threw).</summary>
    public double Analytic { get; }

    /// <summary>The derivative by central differences at <see cref="Entry"/> (for the consistency check, ⟨Jᵀ·u, v⟩ by reverse mode, where <see cref="Analytic"/> is ⟨u, J·v⟩ by forward mode).</summary>
    public double Numerical { get; }

    /// <summary>The largest difference the tolerances allowed there: atol + rtol·|numerical|.</summary>
    public double Allowed { get; }

    /// <summary>The random directions the check used (tangent, cotangent, weights), as text; null for the VJP check, which uses every basis cotangent.</summary>
    public string? Directions { get; }

    /// <summary>The exception thrown by the function or by a transform of it, if that is how it failed.</summary>
    public Exception? Exception { get; }

    /// <summary>The input and the disagreement, as printed in the failure message.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(Format.Inputs(Case, "  ")).Append('\n');
        if (Exception is not null)
        {
            sb.Append(c, $"  threw {Exception.GetType().Name}: {Exception.Message}\n");
        }
        else
        {
            sb.Append(c, $"  worst entry {Entry}: {Labels.Analytic} {Format.Number(Analytic)}, {Labels.Numerical} {Format.Number(Numerical)}, ");
            sb.Append(c, $"|difference| {Format.Small(Math.Abs(Analytic - Numerical))} > {Format.Small(Allowed)} allowed\n");
        }

        if (Directions is not null)
        {
            sb.Append(Directions);
        }

        return sb.ToString();
    }
}

/// <summary>
/// Thrown when a derivative disagrees with finite differences (or one mode with the other) on some generated input.
/// Its message names the check, prints the smallest failing input FsCheck's shrinking found (shapes and values), the
/// analytic and numerical values at the worst entry, the input that failed first, and the seed that replays it all.
/// </summary>
public sealed class GradientPropertyException : Exception
{
    internal GradientPropertyException(GradientPropertyFailure smallest, GradientPropertyFailure first, ulong seed, int passed, int shrinks, GradientPropertyOptions options)
        : base(Describe(smallest, first, seed, passed, shrinks, options))
    {
        Failure = smallest;
        FirstFailure = first;
        Seed = seed;
        CasesPassed = passed;
        Shrinks = shrinks;
    }

    /// <summary>The failure on the smallest failing input found by shrinking.</summary>
    public GradientPropertyFailure Failure { get; }

    /// <summary>The failure on the first failing input, before shrinking.</summary>
    public GradientPropertyFailure FirstFailure { get; }

    /// <summary>The seed the inputs were generated from: set <see cref="GradientPropertyOptions.Seed"/> to it to replay.</summary>
    public ulong Seed { get; }

    /// <summary>How many generated inputs passed before the first failure.</summary>
    public int CasesPassed { get; }

    /// <summary>How many shrinking steps led from the first failing input to the smallest.</summary>
    public int Shrinks { get; }

    private static string Describe(GradientPropertyFailure smallest, GradientPropertyFailure first, ulong seed, int passed, int shrinks, GradientPropertyOptions options)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var (subject, reference) = smallest.Compared;
        string what = smallest.Exception is not null
            ? (smallest.Check == DerivativeChecks.None ? "the function threw" : $"checking {subject} against {reference} threw")
            : $"{subject} disagrees with {reference}";
        sb.Append(c, $"Gradient property failed: {what} (after {passed} passing input(s); shrunk {shrinks} time(s)).\n");
        sb.Append("Smallest failing input:\n").Append(smallest);
        int inputs = smallest.Case.Values.Length;
        string values = options.InputValues is null
            ? options.Values.ToString()
            : string.Join(", ", Enumerable.Range(0, inputs).Select(i => $"{Format.Name(i, inputs)} {options.ValuesOf(i)}"));
        sb.Append(c, $"Options: atol {Format.Small(options.Atol)}, rtol {Format.Small(options.Rtol)}, step {Format.Small(options.Step)}; ");
        sb.Append(c, $"shapes {options.Shapes}; values {values}; checks {options.Checks}.\n");
        sb.Append(c, $"Seed: {seed} (replay with Seed = {seed} in GradientPropertyOptions, or {GradientPropertyOptions.SeedVariable}={seed}).\n");
        if (shrinks > 0)
        {
            sb.Append("First failing input, before shrinking:\n").Append(Format.Inputs(first.Case, "  ")).Append('\n');
        }

        return sb.ToString().TrimEnd('\n');
    }
}

/// <summary>Text for inputs, tensors and numbers.</summary>
internal static class Format
{
    public static string Name(int input, int inputs) => inputs == 1 ? "x" : $"x{input}";

    public static string Inputs(Case c, string indent = "")
    {
        return string.Join("\n", c.Values.Select((v, i) => $"{indent}{Name(i, c.Values.Length)} = {Tensor(v, c.ShapeOf(i))}"));
    }

    /// <summary><c>float64[2,2] [[1, 2], [3, 4]]</c>; a scalar as <c>float64[] 2</c>.</summary>
    public static string Tensor(double[] values, int[] shape)
    {
        var sb = new StringBuilder("float64[").Append(string.Join(",", shape)).Append("] ");
        int at = 0;
        Nested(sb, values, shape, 0, ref at);
        return sb.ToString();
    }

    private static void Nested(StringBuilder sb, double[] values, int[] shape, int axis, ref int at)
    {
        if (axis == shape.Length)
        {
            sb.Append(Number(values[at++]));
            return;
        }

        sb.Append('[');
        for (int k = 0; k < shape[axis]; k++)
        {
            if (k > 0)
            {
                sb.Append(", ");
            }

            Nested(sb, values, shape, axis + 1, ref at);
        }

        sb.Append(']');
    }

    public static string Number(double v) => v.ToString("G10", CultureInfo.InvariantCulture);

    /// <summary>Three significant digits, exponents as 1e-05.</summary>
    public static string Small(double v) => v.ToString("G3", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    /// <summary><c>[1,0]</c> for an index, empty for a scalar's.</summary>
    public static string Index(int flat, int[] shape)
    {
        if (shape.Length == 0)
        {
            return "";
        }

        var index = new int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            index[i] = shape[i] > 0 ? flat % shape[i] : 0;
            flat = shape[i] > 0 ? flat / shape[i] : 0;
        }

        return "[" + string.Join(",", index) + "]";
    }

    public static string Index(int[] index) => index.Length == 0 ? "" : "[" + string.Join(",", index) + "]";
}
