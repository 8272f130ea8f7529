namespace AutoGrad.Ops;

/// <summary>Input validation shared by the ops; every failure names the op, the location and the shapes or dtypes.</summary>
internal static class OpCheck
{
    public static void NotNull(string op, CallSite site, Tensor? x, string role)
    {
        if (x is null)
        {
            throw site.Error(op, $"{role} is null");
        }
    }

    public static void Floating(string op, CallSite site, Tensor x)
    {
        NotNull(op, site, x, "input");
        if (!x.DType.IsFloating())
        {
            throw site.Error(op, $"expected a float32 or float64 tensor, got {Describe(x)}");
        }
    }

    public static void Int32(string op, CallSite site, Tensor x, string role)
    {
        if (x.DType != DType.Int32)
        {
            throw site.Error(op, $"{role} must be an int32 tensor, got {Describe(x)}");
        }
    }

    public static void SameDTypeAndDevice(string op, CallSite site, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
        {
            throw site.Error(op, $"dtypes differ, {Describe(a)} and {Describe(b)}; convert one with To(DType)");
        }

        SameDevice(op, site, a, b);
    }

    public static void SameDevice(string op, CallSite site, Tensor a, Tensor b)
    {
        if (!a.Device.Equals(b.Device))
        {
            throw site.Error(op, $"tensors are on different devices, {a.Device} and {b.Device}");
        }
    }

    /// <summary>Resolves a possibly negative axis against <paramref name="rank"/>.</summary>
    public static int Axis(string op, CallSite site, int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw site.Error(op, $"axis {axis} is out of range for a tensor of rank {rank} (valid: {-rank}..{rank - 1})");
        }

        return a;
    }

    /// <summary>Resolves a list of axes (null = all) to sorted, distinct, non-negative axes.</summary>
    public static int[] Axes(string op, CallSite site, int[]? axes, int rank)
    {
        if (axes is null)
        {
            var all = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                all[i] = i;
            }

            return all;
        }

        var result = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            result[i] = Axis(op, site, axes[i], rank);
        }

        Array.Sort(result);
        for (int i = 1; i < result.Length; i++)
        {
            if (result[i] == result[i - 1])
            {
                throw site.Error(op, $"axis {result[i]} is repeated in [{string.Join(",", axes)}]");
            }
        }

        return result;
    }

    /// <summary>The NumPy broadcast of two shapes, or an error naming both.</summary>
    public static int[] Broadcast(string op, CallSite site, int[] a, int[] b)
    {
        // The common cases return an operand's own dims (never mutated anywhere) instead of a new array.
        if (b.Length == 0 || a.AsSpan().SequenceEqual(b))
        {
            return a;
        }

        if (a.Length == 0)
        {
            return b;
        }

        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw site.Error(op, $"shapes {Shape.Format(a)} and {Shape.Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    public static void DefinedDType(string op, CallSite site, DType dtype)
    {
        if (!Enum.IsDefined(dtype))
        {
            throw site.Error(op, $"unknown dtype {(int)dtype}");
        }
    }

    /// <summary>The element count of <paramref name="dims"/>, or an error if it exceeds what a tensor can hold.</summary>
    public static int Size(string op, CallSite site, ReadOnlySpan<int> dims)
    {
        long n = 1;
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw site.Error(op, $"dimensions must be non-negative, got {Shape.Format(dims)}");
            }

            n *= d;
            if (n > int.MaxValue)
            {
                throw site.Error(op, $"shape {Shape.Format(dims)} has more than {int.MaxValue} elements");
            }
        }

        return (int)n;
    }

    public static string Describe(Tensor x) => $"{x.DType.Name()}{x.Shape}";
}
