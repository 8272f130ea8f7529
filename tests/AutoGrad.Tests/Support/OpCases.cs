using FsCheck;
using FsCheck.Fluent;
using static AutoGrad.Tests.Support.Gens;

namespace AutoGrad.Tests.Support;

/// <summary>
/// The test table: one <see cref="OpCase"/> per registered primitive (the coverage test enforces this),
/// plus the public composites. Each says how to generate valid calls with values away from kinks, what
/// the answer is by a plain scalar reference, and which inputs must be rejected with which message.
/// </summary>
public static partial class OpCases
{
    private static readonly Lazy<Dictionary<string, OpCase>> ByName = new(() =>
        Primitives().Concat(Composites()).ToDictionary(c => c.Name));

    public static OpCase Get(string name) => ByName.Value[name];

    public static bool Has(string name) => ByName.Value.ContainsKey(name);

    public static IEnumerable<OpCase> All => ByName.Value.Values;

    public static IEnumerable<OpCase> Primitives() =>
        UnaryCases().Concat(BinaryCases()).Concat(StructuralCases()).Concat(FusedCases()).Concat(CustomCases());

    private static bool NearZero(double v) => Math.Abs(v) < 0.01;

    private static ErrorCase IntInput(string op, Func<Tensor, Tensor> f) =>
        new("int32 input", () => f(Tensor.FromArray(new[] { 1, 2 })), "expected a float32 or float64 tensor, got int32[2]");

    private static OpCase Unary(string name, Func<Tensor, Tensor> f, Func<double, double> reference,
        double lo = -3, double hi = 3, Func<double, bool>? reject = null, bool differentiable = true) => new()
    {
        Name = name,
        Differentiable = differentiable,
        Samples =
            from shape in Shape()
            from values in Values(Size(shape), lo, hi, reject)
            select new OpSample
            {
                Op = name,
                Data = [values],
                Shapes = [shape],
                Apply = xs => f(xs[0]),
                Reference = d => Ref.Map(d[0], shape, reference),
            },
        Errors = () => [IntInput(name, f)],
    };

    private static IEnumerable<OpCase> UnaryCases()
    {
        yield return Unary("Neg", x => x.Neg(), v => -v);
        yield return Unary("Exp", x => x.Exp(), Math.Exp);
        yield return Unary("Log", x => x.Log(), Math.Log, 0.1, 5);
        yield return Unary("Sqrt", x => x.Sqrt(), Math.Sqrt, 0.1, 5);
        yield return Unary("Abs", x => x.Abs(), Math.Abs, reject: NearZero);
        yield return Unary("Sign", x => x.Sign(), v => Math.Sign(v), differentiable: false);
        yield return Unary("Tanh", x => x.Tanh(), Math.Tanh);
        yield return Unary("Sigmoid", x => x.Sigmoid(), Ref.Sigmoid, -5, 5);
        yield return Unary("Relu", x => x.Relu(), v => Math.Max(v, 0), reject: NearZero);
        yield return Unary("Softplus", x => x.Softplus(), v => Math.Log(1 + Math.Exp(v)), -5, 5);
        yield return Unary("Gelu", x => x.Gelu(), Ref.Gelu);
        yield return Unary("Erf", x => x.Erf(), Ref.Erf);
        yield return Unary("Sin", x => x.Sin(), Math.Sin);
        yield return Unary("Cos", x => x.Cos(), Math.Cos);

        yield return new OpCase
        {
            Name = "LeakyRelu",
            Samples =
                from shape in Shape()
                from slope in Gen.Choose(1, 30).Select(i => i / 100.0)
                from values in Values(Size(shape), -3, 3, NearZero)
                select new OpSample
                {
                    Op = "LeakyRelu", Data = [values], Shapes = [shape], Attrs = $"slope {slope}",
                    Apply = xs => xs[0].LeakyRelu(slope),
                    Reference = d => Ref.Map(d[0], shape, v => v > 0 ? v : slope * v),
                },
            Errors = () => [IntInput("LeakyRelu", x => x.LeakyRelu())],
        };

        yield return new OpCase
        {
            Name = "Elu",
            Samples =
                from shape in Shape()
                from alpha in Gen.Choose(50, 200).Select(i => i / 100.0)
                from values in Values(Size(shape), -3, 3, NearZero)
                select new OpSample
                {
                    Op = "Elu", Data = [values], Shapes = [shape], Attrs = $"alpha {alpha}",
                    Apply = xs => xs[0].Elu(alpha),
                    Reference = d => Ref.Map(d[0], shape, v => v > 0 ? v : alpha * (Math.Exp(v) - 1)),
                },
            Errors = () => [IntInput("Elu", x => x.Elu())],
        };

        yield return new OpCase
        {
            Name = "PowScalar",
            Samples =
                from shape in Shape()
                from p in Gen.Elements(-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0)
                from values in Values(Size(shape), 0.2, 3)
                select new OpSample
                {
                    Op = "PowScalar", Data = [values], Shapes = [shape], Attrs = $"p {p}",
                    Apply = xs => xs[0].Pow(p),
                    Reference = d => Ref.Map(d[0], shape, v => Math.Pow(v, p)),
                },
            Errors = () => [IntInput("PowScalar", x => x.Pow(2.0))],
        };

        yield return new OpCase
        {
            Name = "Clamp",
            Samples =
                from shape in Shape()
                from lo in Gen.Choose(-1000, 0).Select(i => i / 1000.0)
                from hi in Gen.Choose(500, 1500).Select(i => i / 1000.0)
                from values in Values(Size(shape), -3, 3, v => Math.Abs(v - lo) < 0.01 || Math.Abs(v - hi) < 0.01)
                select new OpSample
                {
                    Op = "Clamp", Data = [values], Shapes = [shape], Attrs = $"[{lo}, {hi}]",
                    Apply = xs => xs[0].Clamp(lo, hi),
                    Reference = d => Ref.Map(d[0], shape, v => Math.Min(Math.Max(v, lo), hi)),
                },
            Errors = () =>
            [
                IntInput("Clamp", x => x.Clamp(0, 1)),
                new("NaN bound", () => Tensor.Zeros([2]).Clamp(double.NaN, 0), "needs bounds that are numbers, got [NaN, 0]"),
            ],
        };
    }

    private static IEnumerable<ErrorCase> BinaryErrors(Func<Tensor, Tensor, Tensor> f, bool comparison)
    {
        var cases = new List<ErrorCase>
        {
            new("shapes that do not broadcast", () => f(Tensor.Zeros([2, 3], DType.Float64), Tensor.Zeros([3, 2], DType.Float64)),
                "shapes [2,3] and [3,2] cannot be broadcast together"),
            new("mixed dtypes", () => f(Tensor.Zeros([2], DType.Float32), Tensor.Zeros([2], DType.Float64)),
                "dtypes differ, float32[2] and float64[2]"),
            new("mixed devices", () => f(Tensor.Zeros([2]), Tensor.Zeros([2], device: TestDevices.Other)),
                "tensors are on different devices, cpu and other"),
        };

        // Comparisons accept int32 (labels); arithmetic does not.
        if (!comparison)
        {
            cases.Add(new("int32 input", () => f(Tensor.FromArray(new[] { 1, 2 }), Tensor.FromArray(new[] { 1, 2 })),
                "expected a float32 or float64 tensor, got int32[2]"));
        }

        return cases;
    }

    private static OpCase Binary(string name, Func<Tensor, Tensor, Tensor> f, Func<double, double, double> reference,
        Func<int, Gen<double[]>> aValues, Func<int, Gen<double[]>> bValues, bool differentiable = true) => new()
    {
        Name = name,
        Differentiable = differentiable,
        Samples =
            from pair in BroadcastPair()
            from a in aValues(Size(pair.A))
            from b in bValues(Size(pair.B))
            select new OpSample
            {
                Op = name,
                Data = [a, b],
                Shapes = [pair.A, pair.B],
                Apply = xs => f(xs[0], xs[1]),
                Reference = d => Ref.Zip(d[0], pair.A, d[1], pair.B, reference),
            },
        Errors = () => BinaryErrors(f, comparison: !differentiable),
    };

    private static Gen<double[]> Any(int n) => Values(n, -3, 3);

    /// <summary>Even and odd thousandths: a and b never tie and always differ by more than the FD step.</summary>
    private static Gen<double[]> Even(int n) => Values(n, -3, 3).Select(v => v.Select(x => Math.Round(x * 500) / 500).ToArray());

    private static Gen<double[]> Odd(int n) => Even(n).Select(v => v.Select(x => x + 0.001).ToArray());

    /// <summary>A small grid so that comparisons meet many ties.</summary>
    private static Gen<double[]> Grid(int n) => Gen.ArrayOf(Gen.Elements(-1.0, 0.0, 1.0), n);

    private static IEnumerable<OpCase> BinaryCases()
    {
        yield return Binary("Add", (a, b) => a + b, (x, y) => x + y, Any, Any);
        yield return Binary("Sub", (a, b) => a - b, (x, y) => x - y, Any, Any);
        yield return Binary("Mul", (a, b) => a * b, (x, y) => x * y, Any, Any);
        yield return Binary("Div", (a, b) => a / b, (x, y) => x / y, Any, n => Values(n, -3, 3, v => Math.Abs(v) < 0.3));
        yield return Binary("Pow", (a, b) => a.Pow(b), Math.Pow, n => Values(n, 0.2, 3), n => Values(n, -2, 2));
        yield return Binary("Maximum", (a, b) => a.Maximum(b), Math.Max, Even, Odd);
        yield return Binary("Minimum", (a, b) => a.Minimum(b), Math.Min, Even, Odd);
        yield return Binary("Equal", (a, b) => a.Equal(b), (x, y) => x == y ? 1 : 0, Grid, Grid, false);
        yield return Binary("NotEqual", (a, b) => a.NotEqual(b), (x, y) => x != y ? 1 : 0, Grid, Grid, false);
        yield return Binary("Less", (a, b) => a.Less(b), (x, y) => x < y ? 1 : 0, Grid, Grid, false);
        yield return Binary("LessEqual", (a, b) => a.LessEqual(b), (x, y) => x <= y ? 1 : 0, Grid, Grid, false);
        yield return Binary("Greater", (a, b) => a.Greater(b), (x, y) => x > y ? 1 : 0, Grid, Grid, false);
        yield return Binary("GreaterEqual", (a, b) => a.GreaterEqual(b), (x, y) => x >= y ? 1 : 0, Grid, Grid, false);
    }
}
