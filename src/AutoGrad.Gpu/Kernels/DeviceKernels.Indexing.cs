using ILGPU;

namespace AutoGrad.Gpu.Kernels;

/// <summary>
/// Gather, scatter-add, one-hot and softmax cross-entropy. Index ranges are checked by <see cref="CheckIndices"/>
/// (the first bad position through an integer atomic minimum, as the cast's flag); the kernels themselves skip a bad
/// index, and the host then throws. Scatter-add is one thread per output element scanning the indices in order: the
/// CPU's order of additions, deterministic, no floating-point atomics. Cross-entropy is one thread per row, or one group
/// per row for wide rows (<see cref="SoftmaxCrossEntropyRows{T, TE}"/>).
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

    /// <summary>
    /// Softmax cross-entropy over wide rows (from <see cref="ReducePlan.MinLength"/> classes): one group per row, grid
    /// rows, a power-of-two number of threads (at most <see cref="ReducePlan.MaxThreads"/>). The row's maximum and
    /// Σ e^(z − m) are reduced as <see cref="ReduceGroups{T, TE}"/> does (each thread its strided classes in order, then
    /// the fixed tree in shared memory), so the shift is the thread-per-row kernel's bit for bit (a maximum does not
    /// depend on the order) and the sum differs from it in rounding only. Then thread 0 writes the loss y[r]
    /// (<paramref name="gradient"/> = 0; <paramref name="c"/> unused, any view), or every thread writes its classes of
    /// the gradient row y[r, ·] scaled by c[r] (<paramref name="gradient"/> = 1), with the formulas of
    /// <see cref="SoftmaxCrossEntropy{T, TE}"/> and <see cref="SoftmaxCrossEntropyGrad{T, TE}"/>.
    /// </summary>
    public static void SoftmaxCrossEntropyRows<T, TE>(ArrayView<T> z, ArrayView<int> labels, ArrayView<T> c, ArrayView<T> y, int classes, int gradient)
        where T : unmanaged
        where TE : struct, IElement<T>
    {
        TE e = default;
        var shared = SharedMemory.Allocate<T>(ReducePlan.MaxThreads);
        int k = Group.IdxX, threads = Group.DimX, r = Grid.IdxX, at = r * classes;

        // The maximum: every thread has a class (classes ≥ MinLength > threads).
        double m = e.ToDouble(z[at + k]);
        for (int j = k + threads; j < classes; j += threads)
        {
            m = Ieee.Max(m, e.ToDouble(z[at + j]));
        }

        shared[k] = e.FromDouble(m); // exact: an element
        Group.Barrier();
        for (int h = threads / 2; h > 0; h /= 2)
        {
            if (k < h)
            {
                shared[k] = e.FromDouble(Ieee.Max(e.ToDouble(shared[k]), e.ToDouble(shared[k + h])));
            }

            Group.Barrier();
        }

        m = e.ToDouble(shared[0]);
        T shift = e.FromDouble(Ieee.IsNaN(m) || m - m != 0.0 ? 0.0 : m); // as RowShift: 0 when not finite
        Group.Barrier(); // every thread has read the maximum before the sums overwrite it

        T sum = e.FromDouble(0.0);
        for (int j = k; j < classes; j += threads)
        {
            sum = e.Add(sum, ShiftedExp<T, TE>(z[at + j], shift));
        }

        shared[k] = sum;
        Group.Barrier();
        for (int h = threads / 2; h > 0; h /= 2)
        {
            if (k < h)
            {
                shared[k] = e.Add(shared[k], shared[k + h]);
            }

            Group.Barrier();
        }

        sum = shared[0];
        int label = labels[r];
        if (gradient == 0)
        {
            if (k == 0)
            {
                T picked = (uint)label < (uint)classes ? z[at + label] : shift; // a bad label is reported by the host
                y[r] = e.Sub(e.FromDouble(Math.Log(e.ToDouble(sum))), e.Sub(picked, shift));
            }

            return;
        }

        T scale = c[r], one = e.FromDouble(1.0), zero = e.FromDouble(0.0);
        for (int j = k; j < classes; j += threads)
        {
            T p = e.Div(ShiftedExp<T, TE>(z[at + j], shift), sum);
            y[at + j] = e.Mul(e.Sub(p, j == label ? one : zero), scale);
        }
    }
}
