namespace AutoGrad.Tests.Support;

/// <summary>One generated call of an op: input data and shapes, the call itself and its scalar reference.</summary>
public sealed class OpSample
{
    public required string Op { get; init; }

    public required double[][] Data { get; init; }

    public required int[][] Shapes { get; init; }

    /// <summary>Inputs that are int32 indices rather than float values.</summary>
    public bool[]? IsIndex { get; init; }

    public required Func<Tensor[], Tensor> Apply { get; init; }

    /// <summary>Output values and shape, computed by loops over doubles.</summary>
    public required Func<double[][], (double[] Values, int[] Shape)> Reference { get; init; }

    public string Attrs { get; init; } = "";

    public bool Index(int i) => IsIndex is not null && IsIndex[i];

    /// <summary>The inputs as tensors; float inputs in <paramref name="dtype"/>.</summary>
    public Tensor[] Tensors(DType dtype) => Data.Select((d, i) =>
        Index(i) ? Tensor.FromArray(d.Select(v => (int)v).ToArray(), Shapes[i]) :
        dtype == DType.Float64 ? Tensor.FromArray(d, Shapes[i]) :
        Tensor.FromArray(d.Select(v => (float)v).ToArray(), Shapes[i])).ToArray();

    /// <summary>Positions of the float inputs.</summary>
    public int[] FloatInputs => Enumerable.Range(0, Data.Length).Where(i => !Index(i)).ToArray();

    public override string ToString() =>
        $"{Op}({string.Join(", ", Shapes.Select((s, i) => (Index(i) ? "int32" : "") + "[" + string.Join(",", s) + "]"))}){(Attrs.Length > 0 ? " " + Attrs : "")} " +
        $"data: {string.Join(" | ", Data.Select(d => string.Join(",", d.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))))}";
}

/// <summary>An input the op must reject, and a fragment of the expected message.</summary>
public sealed record ErrorCase(string Description, Action Act, string Fragment, string? Op = null);

/// <summary>Everything the generic op tests need to know about one op (PyTorch's OpInfo, in small).</summary>
public sealed class OpCase
{
    public required string Name { get; init; }

    public required FsCheck.Gen<OpSample> Samples { get; init; }

    public Func<IEnumerable<ErrorCase>> Errors { get; init; } = () => [];

    /// <summary>Finite-difference step (float64). Linear ops that round may use a large one: they are exact for any step.</summary>
    public double Step { get; init; } = 1e-6;

    /// <summary>Largest accepted |analytic − numerical| / max(1, |numerical|) for the VJP check.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Accepted |⟨u, Jᵀv⟩ − ⟨Ju, v⟩| relative to Σ|terms|: float64 rounding, unless the op itself rounds.</summary>
    public double DotTolerance { get; init; } = 1e-12;

    /// <summary>Accepted float32 forward error relative to max(1, |reference|); float64 uses 1e-12.</summary>
    public double Float32Tolerance { get; init; } = 1e-5;

    public bool Differentiable { get; init; } = true;

    /// <summary>
    /// Why the op cannot run inside a compiled function (<c>Transforms.Jit</c>), or null when it can; the Jit property
    /// then checks that tracing it fails with a <see cref="JitTraceException"/> saying so.
    /// </summary>
    public string? NotCompilable { get; init; }

    public override string ToString() => Name;
}
