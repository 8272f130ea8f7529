using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// Gather, scatter-add, one-hot and softmax cross-entropy. Index ranges are checked by <see cref="CheckIndices"/>
/// (the first bad position through an integer atomic minimum, as the cast's flag); the kernels themselves skip a bad
/// index, and the host then throws. Scatter-add is one thread per output element scanning the indices in order: the
/// CPU's order of additions, deterministic, no floating-point atomics.
/// </summary>
internal static partial class DeviceKernels
{
    /// <summary>Lowers flag[0] to i when idx[i] is outside [0, limit).</summary>
    public static void CheckIndices(Index1D i, ArrayView<int> idx, int limit, ArrayView<int> flag)
    {
        if ((uint)idx[i] >= (uint)limit)
        {
            Atomic.Min(ref flag[0], i.X);
        }
    }

    /// <summary>y[o, j, i] = x[o, idx[o, j, i], i], one thread per element of y (outer, m, inner); x is (outer, n, inner).</summary>
    public static void Gather<T>(Index1D t, ArrayView<T> x, ArrayView<int> idx, ArrayView<T> y, int n, int m, int inner)
        where T : unmanaged
    {
        int o = t / (m * inner), i = t % inner;
        int k = idx[t];
        y[t] = (uint)k < (uint)n ? x[((o * n) + k) * inner + i] : default;
    }

    /// <summary>
    /// y[o, r, i] += Σ over j = 0, 1, …, m−1 with idx[o, j, i] = r of g[o, j, i], in that order: one thread per element of
    /// y (outer, n, inner), which the caller zeroed.
    /// </summary>
    public static void ScatterAdd<T, TE>(Index1D t, ArrayView<T> g, ArrayView<int> idx, ArrayView<T> y, int n, int m, int inner)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int o = t / (n * inner), rest = t - (o * n * inner);
        int r = rest / inner, i = rest - (r * inner);
        T acc = y[t];
        for (int j = 0, p = (o * m * inner) + i; j < m; j++, p += inner)
        {
            if (idx[p] == r)
            {
                acc = e.Add(acc, g[p]);
            }
        }

        y[t] = acc;
    }

    /// <summary>y[r, labels[r]] = 1, one thread per row; y was zeroed.</summary>
    public static void OneHot<T, TE>(Index1D r, ArrayView<int> labels, ArrayView<T> y, int classes)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        int k = labels[r];
        if ((uint)k < (uint)classes)
        {
            y[(r * classes) + k] = default(TE).FromDouble(1.0);
        }
    }

    /// <summary>The row's shift: its maximum (NaN if it has one), 0 when that is not finite.</summary>
    private static T RowShift<T, TE>(ArrayView<T> z, int at, int classes)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        double m = e.ToDouble(z[at]);
        for (int j = 1; j < classes; j++)
        {
            m = Ieee.Max(m, e.ToDouble(z[at + j]));
        }

        return e.FromDouble(Ieee.IsNaN(m) || m - m != 0.0 ? 0.0 : m); // exact: m is an element or 0
    }

    /// <summary>e^(z − shift) in the element type: the difference rounded, the exponential in double, rounded once.</summary>
    private static T ShiftedExp<T, TE>(T z, T shift)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        return e.FromDouble(Math.Exp(e.ToDouble(e.Sub(z, shift))));
    }

    /// <summary>Σ_j e^(z[r, j] − m) in the element type, in order.</summary>
    private static T RowExpSum<T, TE>(ArrayView<T> z, int at, int classes, T shift)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        T sum = e.FromDouble(0.0);
        for (int j = 0; j < classes; j++)
        {
            sum = e.Add(sum, ShiftedExp<T, TE>(z[at + j], shift));
        }

        return sum;
    }

    /// <summary>y[r] = log Σ_j e^(z[r, j] − m) − (z[r, label] − m), one thread per row.</summary>
    public static void SoftmaxCrossEntropy<T, TE>(Index1D r, ArrayView<T> z, ArrayView<int> labels, ArrayView<T> y, int classes)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int at = r * classes;
        T shift = RowShift<T, TE>(z, at, classes);
        T sum = RowExpSum<T, TE>(z, at, classes, shift);
        int label = labels[r];
        T picked = (uint)label < (uint)classes ? z[at + label] : shift; // a bad label is reported by the host
        y[r] = e.Sub(e.FromDouble(Math.Log(e.ToDouble(sum))), e.Sub(picked, shift));
    }

    /// <summary>y[r, j] = (e^(z[r, j] − m) / Σ − [j = label]) · c[r], one thread per row (two passes over it).</summary>
    public static void SoftmaxCrossEntropyGrad<T, TE>(Index1D r, ArrayView<T> z, ArrayView<int> labels, ArrayView<T> c, ArrayView<T> y, int classes)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        int at = r * classes;
        T shift = RowShift<T, TE>(z, at, classes);
        T sum = RowExpSum<T, TE>(z, at, classes, shift);
        int label = labels[r];
        T scale = c[r], one = e.FromDouble(1.0), zero = e.FromDouble(0.0);
        for (int j = 0; j < classes; j++)
        {
            T p = e.Div(ShiftedExp<T, TE>(z[at + j], shift), sum);
            y[at + j] = e.Mul(e.Sub(p, j == label ? one : zero), scale);
        }
    }
}
