using FsCheck;
using FsCheck.Fluent;

namespace AutoGrad.Tests.Support;

/// <summary>FsCheck generators for shapes, broadcast-compatible shape pairs and values away from kinks.</summary>
public static class Gens
{
    /// <summary>Small element counts keep finite differences (two evaluations per element) cheap.</summary>
    public const int MaxSize = 24;

    /// <summary>A dimension: mostly 2–4, often 1, sometimes 0.</summary>
    public static Gen<int> Dim(bool allowZero) => allowZero
        ? Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Constant(1)), (6, Gen.Choose(2, 4)))
        : Gen.Frequency((3, Gen.Constant(1)), (6, Gen.Choose(2, 4)));

    /// <summary>A shape of rank minRank..maxRank (0–4 by default), at most <see cref="MaxSize"/> elements.</summary>
    public static Gen<int[]> Shape(int minRank = 0, int maxRank = 4, bool allowZero = true) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Dim(allowZero), rank)
        select Limit(dims);

    /// <summary>Shrinks the largest dimensions until the size is at most <see cref="MaxSize"/>.</summary>
    public static int[] Limit(int[] dims)
    {
        var d = (int[])dims.Clone();
        while (Size(d) > MaxSize)
        {
            int i = Array.IndexOf(d, d.Max());
            d[i]--;
        }

        return d;
    }

    public static int Size(int[] dims) => dims.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// Two shapes that broadcast together: both derived from one full shape by dropping leading axes and
    /// setting some dimensions to 1, in either order.
    /// </summary>
    public static Gen<(int[] A, int[] B)> BroadcastPair() =>
        from full in Shape()
        from dropA in Gen.Choose(0, full.Length)
        from dropB in Gen.Choose(0, full.Length)
        from onesA in Gen.ArrayOf(Gen.Choose(0, 3), full.Length)
        from onesB in Gen.ArrayOf(Gen.Choose(0, 3), full.Length)
        from which in Gen.Choose(0, 2)
        select (
            Derive(full, which == 1 ? dropA : 0, onesA),
            Derive(full, which == 2 ? dropB : 0, onesB));

    private static int[] Derive(int[] full, int drop, int[] ones) =>
        full.Select((d, i) => ones[i] == 0 ? 1 : d).Skip(drop).ToArray();

    /// <summary>n values on a 1e-3 grid in [lo, hi], excluding those that <paramref name="reject"/> flags (kinks, poles).</summary>
    public static Gen<double[]> Values(int n, double lo, double hi, Func<double, bool>? reject = null)
    {
        var one = Gen.Choose((int)Math.Round(lo * 1000), (int)Math.Round(hi * 1000))
            .Select(i => i / 1000.0)
            .Where(v => reject is null || !reject(v));
        return Gen.ArrayOf(one, n);
    }

    /// <summary>n distinct values (no ties) spread over about [−3, 3], in random order.</summary>
    public static Gen<double[]> DistinctValues(int n) =>
        from perm in Gen.Shuffle(Enumerable.Range(0, n).ToArray())
        from offset in Gen.Choose(0, 999)
        select perm.Select(i => (i - n / 2.0) * 0.37 + offset / 10000.0).ToArray();

    /// <summary>Standard-ish random directions for tangents and cotangents.</summary>
    public static Gen<double[]> Direction(int n) => Values(n, -1, 1);
}
