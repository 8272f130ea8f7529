using System.Numerics.Tensors;
using AutoGrad.Backends.Cpu;

namespace AutoGrad.Backends;

/// <summary>What kinds of non-finite value a tensor holds.</summary>
[Flags]
internal enum NonFinite
{
    None = 0,
    Infinity = 1,
    NaN = 2,
}

/// <summary>
/// Reads a tensor's elements back to tell whether they are all finite, for anomaly mode. CPU buffers are scanned in place
/// (vectorized, no copy); other backends' buffers are copied to the host first.
/// </summary>
internal static class FiniteScan
{
    /// <summary>
    /// The kinds of non-finite value in <paramref name="t"/>'s concrete value (int32 tensors never have any). A donated
    /// input whose buffer the op's result now occupies has no values left to read; it counts as finite.
    /// </summary>
    public static NonFinite Of(Tensor t)
    {
        var storage = t.ConcreteStorage;
        int n = t.Size;
        return storage switch
        {
            _ when storage.DType == DType.Int32 || storage.IsReleased => NonFinite.None,
            CpuStorage<float> f => Of(f.Data.AsSpan(0, n)),
            CpuStorage<double> d => Of(d.Data.AsSpan(0, n)),
            _ => Of(HostCopy(storage, n)),
        };
    }

    /// <summary>The kinds of non-finite value in any of <paramref name="ts"/> (null entries skipped).</summary>
    public static NonFinite Of(IEnumerable<Tensor?> ts)
    {
        var kinds = NonFinite.None;
        foreach (var t in ts)
        {
            if (t is not null)
            {
                kinds |= Of(t);
            }
        }

        return kinds;
    }

    /// <summary>The index and value of the first element of <paramref name="t"/> of a kind in <paramref name="kinds"/>; (-1, 0) if none.</summary>
    public static (int Index, double Value) First(Tensor t, NonFinite kinds)
    {
        var storage = t.ConcreteStorage;
        var values = storage.DType == DType.Int32 ? [] : HostCopy(storage, t.Size);
        for (int i = 0; i < values.Length; i++)
        {
            if ((double.IsNaN(values[i]) && kinds.HasFlag(NonFinite.NaN)) || (double.IsInfinity(values[i]) && kinds.HasFlag(NonFinite.Infinity)))
            {
                return (i, values[i]);
            }
        }

        return (-1, 0);
    }

    private static NonFinite Of<T>(ReadOnlySpan<T> values)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (TensorPrimitives.IsFiniteAll(values))
        {
            return NonFinite.None; // the common case: one vectorized pass
        }

        return (TensorPrimitives.IsNaNAny(values) ? NonFinite.NaN : NonFinite.None) |
            (TensorPrimitives.IsInfinityAny(values) ? NonFinite.Infinity : NonFinite.None);
    }

    private static double[] HostCopy(TensorStorage storage, int n)
    {
        var all = storage.Backend.ToArray(storage);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = Convert.ToDouble(all.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        }

        return values;
    }
}
