namespace AutoGrad.Tests.Support;

/// <summary>
/// A plain scalar reference for op semantics: index arithmetic and loops over double arrays, written
/// independently of the library's kernels (no shared code), so forward values can be checked against it.
/// </summary>
public static class Ref
{
    public static int Size(int[] s) => s.Aggregate(1, (a, b) => a * b);

    public static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }

        return idx;
    }

    public static int Ravel(int[] idx, int[] shape)
    {
        int flat = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            flat = flat * shape[i] + idx[i];
        }

        return flat;
    }

    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i >= r - a.Length ? a[i - (r - a.Length)] : 1;
            int db = i >= r - b.Length ? b[i - (r - b.Length)] : 1;
            o[i] = da == 1 ? db : da;
        }

        return o;
    }

    /// <summary>The element of a (shape) seen at an output index of a broadcast.</summary>
    public static double At(double[] data, int[] shape, int[] outIdx)
    {
        int off = outIdx.Length - shape.Length;
        var idx = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            idx[i] = shape[i] == 1 ? 0 : outIdx[i + off];
        }

        return data[Ravel(idx, shape)];
    }

    public static (double[], int[]) Map(double[] x, int[] s, Func<double, double> f) => (x.Select(f).ToArray(), s);

    public static (double[], int[]) Zip(double[] a, int[] sa, double[] b, int[] sb, Func<double, double, double> f)
    {
        var so = BroadcastShape(sa, sb);
        var o = new double[Size(so)];
        for (int k = 0; k < o.Length; k++)
        {
            var idx = Unravel(k, so);
            o[k] = f(At(a, sa, idx), At(b, sb, idx));
        }

        return (o, so);
    }

    /// <summary>Reduces over axes (null = all) with an aggregate of the grouped values.</summary>
    public static (double[], int[]) Reduce(double[] x, int[] s, int[]? axes, bool keep, Func<List<double>, double> agg)
    {
        var ax = axes?.Select(a => a < 0 ? a + s.Length : a).ToHashSet() ?? Enumerable.Range(0, s.Length).ToHashSet();
        var keptShape = s.Select((d, i) => ax.Contains(i) ? 1 : d).ToArray();
        var outShape = keep ? keptShape : s.Where((_, i) => !ax.Contains(i)).ToArray();
        var groups = Enumerable.Range(0, Size(keptShape)).Select(_ => new List<double>()).ToArray();
        for (int k = 0; k < x.Length; k++)
        {
            var idx = Unravel(k, s);
            var kept = idx.Select((v, i) => ax.Contains(i) ? 0 : v).ToArray();
            groups[Ravel(kept, keptShape)].Add(x[k]);
        }

        return (groups.Select(agg).ToArray(), outShape);
    }

    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>erf by composite Simpson's rule on 2/√π·e^(−t²) (4000 panels; ~1e-15 for |x| ≤ 6).</summary>
    public static double Erf(double x)
    {
        const int n = 4000;
        double h = x / n, sum = 1.0 + Math.Exp(-x * x);
        for (int i = 1; i < n; i++)
        {
            double t = i * h;
            sum += (i % 2 == 1 ? 4 : 2) * Math.Exp(-t * t);
        }

        return 2.0 / Math.Sqrt(Math.PI) * sum * h / 3.0;
    }

    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));
}
