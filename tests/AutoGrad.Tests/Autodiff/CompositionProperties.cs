using AutoGrad.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>
/// FsCheck.Xunit properties over random programs: chains of differentiable ops checked against finite
/// differences, broadcast gradient shapes, and second derivatives. Each records its cases in the ledger.
/// </summary>
public class CompositionProperties
{
    /// <summary>Smooth unary steps a random program may take (values stay in a moderate range).</summary>
    private static readonly (string Name, Func<Tensor, Tensor> F)[] Steps =
    [
        ("tanh", x => x.Tanh()),
        ("sin", x => x.Sin()),
        ("sigmoid", x => x.Sigmoid()),
        ("softplus", x => x.Softplus()),
        ("square/4", x => x * x * 0.25),
        ("exp(x/4)", x => (x * 0.25).Exp()),
        ("gelu", x => x.Gelu()),
        ("softmax", x => x.Rank == 0 ? x : x.Softmax()),
        ("logsumexp keep", x => x.Rank == 0 ? x : x.LogSumExp(-1, keepDims: true)),
        ("transpose", x => x.Rank < 2 ? x : x.Transpose()),
        ("x·xᵀ/4", x => x.Rank != 2 ? x : x.MatMul(x.Transpose()) * 0.25),
        ("sum last keep", x => x.Rank == 0 ? x : x.Sum(-1, keepDims: true)),
        ("mean all", x => x.Mean()),
        ("concat self", x => x.Rank == 0 ? x : Tensor.Concat([x, x * 0.5], -1)),
        ("slice", x => x.Rank == 0 || x.Shape[0] < 2 ? x : x.Slice(0, 1, x.Shape[0])),
    ];

    public sealed record Program(int[] Shape, double[] X, double[] Y, int[] StepIds, int[] Combine)
    {
        public override string ToString() =>
            $"shape [{string.Join(",", Shape)}] steps [{string.Join(" → ", StepIds.Select(i => Steps[i].Name))}] combine [{string.Join(",", Combine)}]";
    }

    private static Gen<Program> Programs() =>
        from shape in Gens.Shape(maxRank: 3, allowZero: false)
        from x in Gens.Values(Gens.Size(shape), -2, 2)
        from y in Gens.Values(Gens.Size(shape), -2, 2)
        from count in Gen.Choose(1, 6)
        from steps in Gen.ArrayOf(Gen.Choose(0, Steps.Length - 1), count)
        from combine in Gen.ArrayOf(Gen.Choose(0, 3), count)
        select new Program(shape, x, y, steps, combine);

    /// <summary>Runs the program: each step transforms the state, then mixes in y (kept broadcastable).</summary>
    private static Tensor Run(Program p, Tensor x, Tensor y)
    {
        var state = x;
        for (int i = 0; i < p.StepIds.Length; i++)
        {
            state = Steps[p.StepIds[i]].F(state);
            var mix = y.Sum() * 0.1;
            state = p.Combine[i] switch
            {
                0 => state + mix,
                1 => state * (mix.Tanh() + 1.5),
                2 => state - state * mix * 0.1,
                _ => state,
            };
        }

        return state.Sum();
    }

    [Property(MaxTest = 100)]
    public Property RandomCompositionsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(Programs()), p =>
        {
            var x = Tensor.FromArray(p.X, p.Shape);
            var y = Tensor.FromArray(p.Y, p.Shape);
            var analytic = Grad((Tensor[] xs) => Run(p, xs[0], xs[1]))([x, y]);
            var numeric = Numerical.Gradient(xs => Run(p, xs[0], xs[1]), [x, y]);
            for (int i = 0; i < 2; i++)
            {
                var a = analytic[i].ToDoubleArray();
                var n = numeric[i].ToDoubleArray();
                for (int k = 0; k < a.Length; k++)
                {
                    Assert.True(Math.Abs(a[k] - n[k]) <= 1e-6 * Math.Max(1, Math.Abs(n[k])), $"{p}: input {i}[{k}] analytic {a[k]:R} numerical {n[k]:R}");
                }
            }

            PropertyLedger.Record(nameof(RandomCompositionsMatchFiniteDifferences));
        });

    [Property(MaxTest = 100)]
    public Property ForwardAndReverseModeAgreeOnRandomCompositions() =>
        Prop.ForAll(Arb.From(Programs()), p =>
        {
            var x = Tensor.FromArray(p.X, p.Shape);
            var y = Tensor.FromArray(p.Y, p.Shape);
            var u = Tensor.FromArray(p.Y.Select(v => v * 0.5 - 0.1).ToArray(), p.Shape);
            var grad = Grad((Tensor t) => Run(p, t, y))(x);
            var (_, directional) = Jvp((Tensor t) => Run(p, t, y), x, u);
            double reverse = (grad * u).Sum().Item();
            Assert.True(Math.Abs(reverse - directional.Item()) <= 1e-10 * (1 + Math.Abs(reverse)), $"{p}: ∇f·u = {reverse:R}, jvp = {directional.Item():R}");
            PropertyLedger.Record(nameof(ForwardAndReverseModeAgreeOnRandomCompositions));
        });

    [Property(MaxTest = 100)]
    public Property BroadcastGradientsHaveTheShapeOfTheirInputs() =>
        Prop.ForAll(Arb.From(Gens.BroadcastPair()), pair =>
        {
            var a = Tensor.Ones(pair.A, DType.Float64);
            var b = Tensor.Full(pair.B, 2.0, DType.Float64);
            var (ga, gb) = Grad((Tensor p, Tensor q) => (p * q).Sum(), argnums: (0, 1))(a, b);
            Assert.Equal(a.Shape, ga.Shape);
            Assert.Equal(b.Shape, gb.Shape);

            // Each element of a meets as many elements of b as the broadcast repeats it.
            int full = Ref.Size(Ref.BroadcastShape(pair.A, pair.B));
            if (full > 0)
            {
                Assert.All(ga.ToDoubleArray(), v => Assert.Equal(2.0 * full / Math.Max(1, a.Size), v, 12));
                Assert.All(gb.ToDoubleArray(), v => Assert.Equal(1.0 * full / Math.Max(1, b.Size), v, 12));
            }

            PropertyLedger.Record(nameof(BroadcastGradientsHaveTheShapeOfTheirInputs));
        });

    [Property(MaxTest = 100)]
    public Property SecondDerivativesMatchClosedForms() =>
        Prop.ForAll(Arb.From(Gen.Choose(-3000, 3000).Select(i => i / 1000.0)), x =>
        {
            var at = Tensor.Scalar(x);
            double t = Math.Tanh(x), s = Ref.Sigmoid(x);
            Assert.Equal(-2 * t * (1 - t * t), Grad(Grad((Tensor v) => v.Tanh()))(at).Item(), 12);
            Assert.Equal(Math.Exp(x), Grad(Grad((Tensor v) => v.Exp()))(at).Item(), 10);
            Assert.Equal(s * (1 - s) * (1 - 2 * s), Grad(Grad((Tensor v) => v.Sigmoid()))(at).Item(), 12);
            Assert.Equal(-Math.Sin(x), Grad(Grad((Tensor v) => v.Sin()))(at).Item(), 12);
            PropertyLedger.Record(nameof(SecondDerivativesMatchClosedForms));
        });

    [Property(MaxTest = 100)]
    public Property ShapeGeneratorsCoverRanksZeroToFourAndDimsZeroAndOne() =>
        Prop.ForAll(Arb.From(Gens.Shape()), shape =>
        {
            Assert.InRange(shape.Length, 0, 4);
            Assert.True(Gens.Size(shape) <= Gens.MaxSize);
            var t = Tensor.Zeros(shape);
            Assert.Equal(shape, t.Shape.ToArray());
            PropertyLedger.Record(nameof(ShapeGeneratorsCoverRanksZeroToFourAndDimsZeroAndOne));
        });

    [Fact]
    public void ShapeGeneratorsProduceEveryRankAndEdgeDimension()
    {
        var shapes = Gen.Sample(Gens.Shape(), 500);
        for (int r = 0; r <= 4; r++)
        {
            Assert.Contains(shapes, s => s.Length == r);
        }

        Assert.Contains(shapes, s => s.Contains(0));
        Assert.Contains(shapes, s => s.Contains(1));
        var pairs = Gen.Sample(Gens.BroadcastPair(), 500);
        Assert.Contains(pairs, p => p.A.Length != p.B.Length);
        Assert.Contains(pairs, p => p.A.Zip(p.B).Any(d => d.First != d.Second));
    }
}
