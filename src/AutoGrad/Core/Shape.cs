using System.Collections;

namespace AutoGrad;

/// <summary>
/// The dimensions of a tensor, outermost first. Immutable; rank 0 is a scalar.
/// Printed as <c>[2,3]</c>, the form used in every error message.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private static readonly int[] Empty = [];
    private readonly int[]? _dims;

    /// <summary>Creates a shape from its dimensions; each must be non-negative.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape: dimensions must be non-negative, got {Format(dims)}", nameof(dims));
            }
        }

        _dims = (int[])dims.Clone();
    }

    private Shape(int[] dims, bool _) => _dims = dims;

    /// <summary>The shape of a scalar: rank 0, one element.</summary>
    public static Shape Scalar => new(Empty, true);

    internal static Shape Wrap(int[] dims) => new(dims, true);

    internal int[] Dims => _dims ?? Empty;

    /// <summary>The number of dimensions.</summary>
    public int Rank => Dims.Length;

    /// <summary>The number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Size
    {
        get
        {
            long n = 1;
            foreach (int d in Dims)
            {
                n *= d;
            }

            return n > int.MaxValue ? throw new OverflowException($"Shape {this} has more than {int.MaxValue} elements") : (int)n;
        }
    }

    /// <summary>The number of elements, same as <see cref="Rank"/> (for <see cref="IReadOnlyCollection{T}"/>).</summary>
    public int Count => Dims.Length;

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis]
    {
        get
        {
            int a = axis < 0 ? axis + Rank : axis;
            if (a < 0 || a >= Rank)
            {
                throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Shape {this}: axis {axis} is out of range for rank {Rank}");
            }

            return Dims[a];
        }
    }

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])Dims.Clone();

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims)
        {
            h.Add(d);
        }

        return h.ToHashCode();
    }

    /// <summary>Equality of dimensions.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Inequality of dimensions.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Converts dimensions to a shape.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The shape as <c>[2,3]</c>.</summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(",", dims.ToArray()) + "]";

    /// <summary>Row-major (C order) strides of this shape, in elements.</summary>
    internal int[] Strides()
    {
        var dims = Dims;
        var strides = new int[dims.Length];
        int s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= dims[i];
        }

        return strides;
    }
}
