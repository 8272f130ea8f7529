using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace AutoGrad.Testing;

/// <summary>
/// Where the generated input values lie: an interval, sampled on a grid of thousandths (so that a failing input
/// prints short and can shrink to round numbers), optionally with points or regions left out: the kinks of
/// <c>Abs</c> or <c>Relu</c>, the poles of a division, whatever makes central differences meaningless there.
/// </summary>
/// <example>
/// <code>
/// Domain.Between(-3, 3)                  // the default
/// Domain.Positive()                      // [0.1, 5], for Log, Sqrt, a power with a negative exponent
/// Domain.Between(-3, 3).AwayFrom(0)      // Abs, Relu: no value within 0.01 of the kink
/// Domain.Between(-2, 2).Where(v => Math.Abs(v) &gt; 0.3, "|v| > 0.3")
/// </code>
/// </example>
public sealed class Domain
{
    /// <summary>Values are multiples of this: a thousandth.</summary>
    public const double Resolution = 1e-3;

    /// <summary>Room left around each point given to <see cref="AwayFrom(double[])"/>.</summary>
    public const double DefaultMargin = 0.01;

    private readonly Func<double, bool>[] _accept;
    private readonly string[] _restrictions;

    private Domain(double min, double max, Func<double, bool>[] accept, string[] restrictions)
    {
        Min = min;
        Max = max;
        _accept = accept;
        _restrictions = restrictions;
    }

    /// <summary>The smallest value generated.</summary>
    public double Min { get; }

    /// <summary>The largest value generated.</summary>
    public double Max { get; }

    /// <summary>Values in [<paramref name="min"/>, <paramref name="max"/>], on a grid of thousandths.</summary>
    /// <exception cref="ArgumentException">The bounds are not finite, are out of order, or hold no thousandth.</exception>
    public static Domain Between(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max)
        {
            throw new ArgumentException($"Domain.Between needs finite bounds with min ≤ max, got [{min}, {max}]");
        }

        if (Math.Ceiling(min / Resolution - 1e-9) > Math.Floor(max / Resolution + 1e-9))
        {
            throw new ArgumentException($"Domain.Between: [{min}, {max}] holds no multiple of {Resolution}");
        }

        if (Math.Max(Math.Abs(min), Math.Abs(max)) / Resolution > int.MaxValue / 2)
        {
            throw new ArgumentException($"Domain.Between: bounds beyond ±{int.MaxValue / 2 * Resolution:G3} are not supported, got [{min}, {max}]");
        }

        return new Domain(min, max, [], []);
    }

    /// <summary>
    /// Positive values, [0.1, <paramref name="max"/>]: for <c>Log</c>, <c>Sqrt</c> and the like. The lower bound keeps
    /// derivatives such as 1/x small enough for central differences to meet the default tolerances.
    /// </summary>
    public static Domain Positive(double max = 5) => Between(0.1, max);

    /// <summary>Negative values, [<paramref name="min"/>, −0.1].</summary>
    public static Domain Negative(double min = -5) => Between(min, -0.1);

    /// <summary>This domain without the values within <see cref="DefaultMargin"/> of any of <paramref name="points"/> (kinks, poles).</summary>
    public Domain AwayFrom(params double[] points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var result = this;
        foreach (var p in points)
        {
            result = result.AwayFrom(p, DefaultMargin);
        }

        return result;
    }

    /// <summary>This domain without the values within <paramref name="margin"/> of <paramref name="point"/>.</summary>
    public Domain AwayFrom(double point, double margin)
    {
        if (!double.IsFinite(point) || !(margin >= 0) || !double.IsFinite(margin))
        {
            throw new ArgumentException($"Domain.AwayFrom needs a finite point and a finite margin ≥ 0, got {point} and {margin}");
        }

        return Restrict(v => Math.Abs(v - point) >= margin, $"away from {Format(point)} by {Format(margin)}");
    }

    /// <summary>This domain restricted to the values <paramref name="accept"/> returns true for; <paramref name="description"/> says which, in messages.</summary>
    public Domain Where(Func<double, bool> accept, string description)
    {
        ArgumentNullException.ThrowIfNull(accept);
        ArgumentNullException.ThrowIfNull(description);
        return Restrict(accept, description);
    }

    private Domain Restrict(Func<double, bool> accept, string description) =>
        new(Min, Max, [.. _accept, accept], [.. _restrictions, description]);

    /// <summary>True when <paramref name="value"/> lies in the interval and passes every restriction.</summary>
    public bool Contains(double value) =>
        value >= Min && value <= Max && _accept.All(a => a(value));

    /// <summary>The interval and its restrictions, e.g. <c>[-3, 3] away from 0 by 0.01</c>.</summary>
    public override string ToString() =>
        $"[{Format(Min)}, {Format(Max)}]" + string.Concat(_restrictions.Select(r => ", " + r));

    private int Lo => (int)Math.Ceiling(Min / Resolution - 1e-9);

    private int Hi => (int)Math.Floor(Max / Resolution + 1e-9);

    private double At(int k) => Math.Round(k * Resolution, 3);

    /// <summary>
    /// A uniform grid value; a rejected draw moves to the nearest accepted grid value above it (wrapping around), so
    /// that a narrow restriction never loops. Throws when no grid value is accepted.
    /// </summary>
    internal Gen<double> Generate()
    {
        int lo = Lo, hi = Hi;
        return Gen.Choose(lo, hi).Select(k =>
        {
            int n = hi - lo + 1;
            for (int step = 0; step < n; step++)
            {
                double v = At(lo + (k - lo + step) % n);
                if (Contains(v))
                {
                    return v;
                }
            }

            throw new ArgumentException($"the domain {this} holds no value on its grid of {Resolution}");
        });
    }

    /// <summary>
    /// Simpler values than <paramref name="value"/> in this domain, simplest first: small integers and halves, then
    /// <paramref name="value"/> rounded to fewer decimals, then halfway towards zero. "Simpler" is strictly fewer
    /// decimals, or as many and a smaller magnitude, so shrinking always ends.
    /// </summary>
    internal IEnumerable<double> Simpler(double value)
    {
        var seen = new HashSet<double>();
        var (decimals, magnitude) = Complexity(value);
        double[] candidates =
        [
            0, 1, -1, 2, -2, 0.5, -0.5, 3, -3,
            Math.Round(value), Math.Truncate(value), Math.Round(value, 1), Math.Round(value, 2),
            Math.Round(value / 2, 3),
        ];
        foreach (var c in candidates)
        {
            var (d, m) = Complexity(c);
            if ((d < decimals || (d == decimals && m < magnitude)) && Contains(c) && seen.Add(c))
            {
                yield return c;
            }
        }
    }

    /// <summary>How many decimals a value needs (4 for one off the grid), and its magnitude.</summary>
    internal static (int Decimals, double Magnitude) Complexity(double value)
    {
        for (int d = 0; d <= 3; d++)
        {
            double scaled = value * Math.Pow(10, d);
            if (Math.Abs(scaled - Math.Round(scaled)) < 1e-6)
            {
                return (d, Math.Abs(value));
            }
        }

        return (4, Math.Abs(value));
    }

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
