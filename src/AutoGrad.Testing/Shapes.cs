using FsCheck;
using FsCheck.Fluent;

namespace AutoGrad.Testing;

/// <summary>
/// How the shapes of a function's inputs are generated, and how they shrink. Shapes are built from a few underlying
/// dimensions, so that shrinking keeps them compatible: dropping an axis or a slice of it drops it from every input
/// that has it (both operands of a broadcast, the shared <c>k</c> of a matrix product).
/// </summary>
/// <example>
/// <code>
/// Shapes.Same()                           // one shape for every input, rank 0–3 (the default)
/// Shapes.Broadcastable()                  // shapes that broadcast together: [2,3] with [3], [2,1] with [1,3]
/// Shapes.Named("m k", "k n")              // a matrix product's operands
/// Shapes.Fixed([2, 3], [3])               // given shapes; only the values are generated
/// </code>
/// </example>
public sealed class Shapes
{
    /// <summary>The default cap on each input's element count: finite differences cost two evaluations per element.</summary>
    public const int DefaultMaxElements = 24;

    private enum Kind
    {
        Same,
        Independent,
        Broadcastable,
        Named,
        Generated,
    }

    private readonly Kind _kind;
    private readonly string[]? _named;
    private readonly Gen<int[][]>? _generator;

    private Shapes(Kind kind, int minRank, int maxRank, int maxDim, int maxElements, string[]? named = null, Gen<int[][]>? generator = null)
    {
        if (minRank < 0 || maxRank < minRank || maxDim < 1 || maxElements < 1)
        {
            throw new ArgumentException($"Shapes: needs 0 ≤ minRank ≤ maxRank, maxDim ≥ 1 and maxElements ≥ 1, got ranks {minRank}..{maxRank}, maxDim {maxDim}, maxElements {maxElements}");
        }

        _kind = kind;
        MinRank = minRank;
        MaxRank = maxRank;
        MaxDim = maxDim;
        MaxElements = maxElements;
        _named = named;
        _generator = generator;
        Inputs = named?.Length;
    }

    /// <summary>The smallest rank generated (for <see cref="Named(string[])"/> and <see cref="Fixed"/>, the ranks are given).</summary>
    public int MinRank { get; }

    /// <summary>The largest rank generated.</summary>
    public int MaxRank { get; }

    /// <summary>The largest dimension generated; dimensions are 1 to this, mostly 2 and above.</summary>
    public int MaxDim { get; }

    /// <summary>The largest element count of one input; larger draws have their largest dimensions reduced.</summary>
    public int MaxElements { get; }

    /// <summary>How many inputs these shapes are for, when they say (<see cref="Named(string[])"/>, <see cref="Fixed"/>); null otherwise.</summary>
    public int? Inputs { get; }

    /// <summary>Every input has the same shape, of rank <paramref name="minRank"/> to <paramref name="maxRank"/>.</summary>
    public static Shapes Same(int minRank = 0, int maxRank = 3, int maxDim = 4, int maxElements = DefaultMaxElements) =>
        new(Kind.Same, minRank, maxRank, maxDim, maxElements);

    /// <summary>Each input has a shape of its own, unrelated to the others'.</summary>
    public static Shapes Independent(int minRank = 0, int maxRank = 3, int maxDim = 4, int maxElements = DefaultMaxElements) =>
        new(Kind.Independent, minRank, maxRank, maxDim, maxElements);

    /// <summary>
    /// Shapes that broadcast together (NumPy's rules): all derived from one full shape of rank <paramref name="minRank"/>
    /// to <paramref name="maxRank"/>, each input dropping some leading axes and having some dimensions set to 1.
    /// </summary>
    public static Shapes Broadcastable(int minRank = 0, int maxRank = 3, int maxDim = 4, int maxElements = DefaultMaxElements) =>
        new(Kind.Broadcastable, minRank, maxRank, maxDim, maxElements);

    /// <summary>
    /// One shape per input, written as dimension names and numbers separated by spaces or commas: <c>Named("m k", "k n")</c>
    /// for a matrix product, <c>Named("b n", "n")</c> for a batch and a vector, <c>Named("")</c> for a scalar. A name
    /// stands for the same dimension wherever it appears (1 to <see cref="MaxDim"/>, shrinking together); a number is a
    /// fixed dimension.
    /// </summary>
    public static Shapes Named(params string[] inputs) => Named(4, inputs);

    /// <summary><see cref="Named(string[])"/> with dimensions up to <paramref name="maxDim"/>.</summary>
    public static Shapes Named(int maxDim, params string[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0)
        {
            throw new ArgumentException("Shapes.Named needs one shape per input");
        }

        foreach (var token in inputs.SelectMany(Tokens))
        {
            if (!IsName(token) && !(int.TryParse(token, out int d) && d >= 0))
            {
                throw new ArgumentException($"Shapes.Named: '{token}' is neither a dimension name (a letter, then letters, digits or _) nor a dimension ≥ 0");
            }
        }

        return new Shapes(Kind.Named, 0, 0, maxDim, DefaultMaxElements, inputs);
    }

    /// <summary>The given shapes, one per input: only the values are generated and shrunk.</summary>
    public static Shapes Fixed(params int[][] shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (shapes.Length == 0 || shapes.Any(s => s is null || s.Any(d => d < 0)))
        {
            throw new ArgumentException("Shapes.Fixed needs one shape per input, with dimensions ≥ 0");
        }

        return Named(shapes.Select(s => string.Join(" ", s)).ToArray());
    }

    /// <summary>
    /// Shapes from a generator of your own (one shape per input). Such shapes cannot be shrunk (their relation is
    /// unknown); the values still are.
    /// </summary>
    public static Shapes From(Gen<int[][]> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return new Shapes(Kind.Generated, 0, 0, 1, int.MaxValue, generator: generator);
    }

    /// <summary>A short description for messages.</summary>
    public override string ToString() => _kind switch
    {
        Kind.Named => "Named(" + string.Join(", ", _named!.Select(n => "\"" + n + "\"")) + ")",
        Kind.Generated => "From(generator)",
        _ => $"{_kind}(rank {MinRank}..{MaxRank}, dims ≤ {MaxDim}, ≤ {MaxElements} elements)",
    };

    private static string[] Tokens(string shape) =>
        shape.Split([' ', ',', '[', ']', '(', ')'], StringSplitOptions.RemoveEmptyEntries);

    private static bool IsName(string token) =>
        char.IsLetter(token[0]) && token.All(c => char.IsLetterOrDigit(c) || c == '_');

    /// <summary>A dimension: 1 a third of the time, else 2 to MaxDim.</summary>
    private Gen<int> Dim() => MaxDim < 2
        ? Gen.Constant(1)
        : Gen.Frequency((3, Gen.Constant(1)), (6, Gen.Choose(2, MaxDim)));

    internal Gen<Layout> Generate(int inputs)
    {
        if (Inputs is int n && n != inputs)
        {
            throw new ArgumentException($"the shapes {this} are for {n} input(s), but the function takes {inputs}");
        }

        var raw = _kind switch
        {
            Kind.Same =>
                from rank in Gen.Choose(MinRank, MaxRank)
                from dims in Gen.ArrayOf(Dim(), rank)
                select new Layout(dims, Enumerable.Range(0, inputs).Select(_ => Enumerable.Range(0, rank).Select(Axis.Of).ToArray()).ToArray()),
            Kind.Independent =>
                from ranks in Gen.ArrayOf(Gen.Choose(MinRank, MaxRank), inputs)
                from dims in Gen.ArrayOf(Dim(), ranks.Sum())
                select new Layout(dims, ranks.Select((r, i) => Enumerable.Range(ranks.Take(i).Sum(), r).Select(Axis.Of).ToArray()).ToArray()),
            Kind.Broadcastable =>
                from rank in Gen.Choose(MinRank, MaxRank)
                from dims in Gen.ArrayOf(Dim(), rank)
                from drops in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(0, rank))), inputs)
                from ones in Gen.ArrayOf(Gen.ArrayOf(Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true))), rank), inputs)
                select new Layout(dims, Enumerable.Range(0, inputs)
                    .Select(i => Enumerable.Range(drops[i], rank - drops[i]).Select(d => ones[i][d] ? Axis.BroadcastOne(d) : Axis.Of(d)).ToArray())
                    .ToArray()),
            Kind.Named => NamedLayout(),
            _ => _generator!.Select(shapes =>
            {
                if (shapes is null || shapes.Length != inputs || shapes.Any(s => s is null || s.Any(d => d < 0)))
                {
                    throw new ArgumentException($"the shape generator must give {inputs} shape(s) with dimensions ≥ 0");
                }

                return new Layout([], shapes.Select(s => s.Select(Axis.Literal).ToArray()).ToArray());
            }),
        };
        return raw.Select(l => l.Limit(MaxElements));
    }

    private Gen<Layout> NamedLayout()
    {
        var names = _named!.SelectMany(Tokens).Where(IsName).Distinct().ToList();
        var axes = _named!.Select(s => Tokens(s).Select(t => IsName(t) ? Axis.Of(names.IndexOf(t)) : Axis.Literal(int.Parse(t))).ToArray()).ToArray();
        return Gen.ArrayOf(Dim(), names.Count).Select(dims => new Layout(dims, axes));
    }

    /// <summary>Whether shrinking may remove underlying dimension <paramref name="dim"/> (an axis of every input that has it).</summary>
    internal bool CanRemove(Layout layout, int dim) => _kind switch
    {
        Kind.Same or Kind.Broadcastable => layout.Dims.Length > MinRank,
        Kind.Independent => layout.Inputs.All(axes => !axes.Any(a => a.Dim == dim) || axes.Length > MinRank),
        _ => false,
    };
}

/// <summary>One axis of an input: an underlying dimension, that dimension broadcast (size 1), or a fixed size.</summary>
internal readonly record struct Axis(int Dim, bool One, int Size)
{
    public static Axis Of(int dim) => new(dim, false, 0);

    public static Axis BroadcastOne(int dim) => new(dim, true, 1);

    public static Axis Literal(int size) => new(-1, false, size);

    /// <summary>True when the axis follows underlying dimension <paramref name="dim"/> with its full size.</summary>
    public bool Follows(int dim) => Dim == dim && !One;
}

/// <summary>Underlying dimensions and, per input, the axes built from them.</summary>
internal sealed record Layout(int[] Dims, Axis[][] Inputs)
{
    public int[] ShapeOf(int input) => Inputs[input].Select(a => a.Dim < 0 || a.One ? a.Size : Dims[a.Dim]).ToArray();

    public static int Size(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Reduces the largest dimensions of any input over <paramref name="maxElements"/> until none is.</summary>
    public Layout Limit(int maxElements)
    {
        var dims = (int[])Dims.Clone();
        var layout = this with { Dims = dims };
        for (int i = 0; i < Inputs.Length; i++)
        {
            while (Size(layout.ShapeOf(i)) > maxElements)
            {
                var own = Inputs[i].Where(a => a.Dim >= 0 && !a.One && dims[a.Dim] > 1).Select(a => a.Dim).ToList();
                if (own.Count == 0)
                {
                    break;
                }

                int largest = own.MaxBy(d => dims[d]);
                dims[largest]--;
            }
        }

        return layout;
    }
}
