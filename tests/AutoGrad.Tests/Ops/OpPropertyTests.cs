using AutoGrad.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace AutoGrad.Tests.Ops;

/// <summary>
/// The per-op properties, driven by the <see cref="OpCases"/> table (every registered primitive and every
/// public composite). Each theory row runs an FsCheck property over 100 generated cases.
/// </summary>
public class OpPropertyTests
{
    public static TheoryData<string> DifferentiableOps => new(OpCases.All.Where(c => c.Differentiable).Select(c => c.Name));

    public static TheoryData<string> NonDifferentiableOps => new(OpCases.All.Where(c => !c.Differentiable).Select(c => c.Name));

    public static TheoryData<string> AllOps => new(OpCases.All.Select(c => c.Name));

    public static TheoryData<string> OpsWithErrors => new(OpCases.All.Where(c => c.Errors().Any()).Select(c => c.Name));

    private static Gen<(OpSample Sample, int Seed)> WithSeed(OpCase c) =>
        from s in c.Samples
        from seed in Gen.Choose(0, int.MaxValue)
        select (s, seed);

    /// <summary>φ(floats) = ⟨v, op(inputs)⟩ as a function of the float inputs only (indices stay fixed).</summary>
    private static Func<Tensor[], Tensor> Project(OpSample s, Tensor[] xs, Tensor v) => args =>
    {
        var full = (Tensor[])xs.Clone();
        var fl = s.FloatInputs;
        for (int i = 0; i < fl.Length; i++)
        {
            full[fl[i]] = args[i];
        }

        return (s.Apply(full) * v).Sum();
    };

    private static Func<Tensor[], Tensor> OnFloats(OpSample s, Tensor[] xs) => args =>
    {
        var full = (Tensor[])xs.Clone();
        var fl = s.FloatInputs;
        for (int i = 0; i < fl.Length; i++)
        {
            full[fl[i]] = args[i];
        }

        return s.Apply(full);
    };

    /// <summary>A sample's float64 inputs as a function of its float inputs, with random directions (one per float input) from the seed.</summary>
    private sealed record Prepared(Generator Rng, Tensor[] Floats, Func<Tensor[], Tensor> F, Tensor[] Directions);

    private static Prepared Prepare(OpSample s, int seed)
    {
        var rng = new Generator((ulong)seed);
        var xs = s.Tensors(DType.Float64);
        var floats = s.FloatInputs.Select(i => xs[i]).ToArray();
        var directions = floats.Select(x => Tensor.RandomUniform(x.Shape.ToArray(), rng, -1, 1, DType.Float64)).ToArray();
        return new Prepared(rng, floats, OnFloats(s, xs), directions);
    }

    [Theory]
    [MemberData(nameof(DifferentiableOps))]
    public void VjpMatchesCentralDifferences(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(VjpMatchesCentralDifferences), op, WithSeed(c), t =>
        {
            var (s, seed) = t;
            var xs = s.Tensors(DType.Float64);
            var y = s.Apply(xs);
            var v = Tensor.RandomUniform(y.Shape.ToArray(), new Generator((ulong)seed), -1, 1, DType.Float64);
            var phi = Project(s, xs, v);
            var floats = s.FloatInputs.Select(i => xs[i]).ToArray();
            var analytic = Transforms.Grad(phi)(floats);
            var numeric = Numerical.Gradient(phi, floats, step: c.Step);
            for (int i = 0; i < floats.Length; i++)
            {
                Assert.Equal(floats[i].Shape, analytic[i].Shape);
                Assert.Equal(DType.Float64, analytic[i].DType);
                var a = analytic[i].ToDoubleArray();
                var n = numeric[i].ToDoubleArray();
                for (int k = 0; k < a.Length; k++)
                {
                    double err = Math.Abs(a[k] - n[k]) / Math.Max(1.0, Math.Abs(n[k]));
                    Assert.True(err < c.Tolerance, $"{s}: input {i}[{k}] analytic {a[k]:R} numerical {n[k]:R} (relative error {err:E2})");
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(DifferentiableOps))]
    public void VjpAndJvpSatisfyTheDotProductIdentity(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(VjpAndJvpSatisfyTheDotProductIdentity), op, WithSeed(c), t =>
        {
            var (s, seed) = t;
            var (rng, floats, f, us) = Prepare(s, seed);
            var (value, pullback) = Transforms.Vjp(f, floats);
            var v = Tensor.RandomUniform(value.Shape.ToArray(), rng, -1, 1, DType.Float64);
            var jtv = pullback(v);
            var (jvpValue, ju) = Transforms.Jvp(f, floats, us);

            Assert.Equal(value.ToDoubleArray(), jvpValue.ToDoubleArray());
            Assert.Equal(value.Shape, ju.Shape);
            double lhs = 0, rhs = 0, scale = 0;
            for (int i = 0; i < floats.Length; i++)
            {
                var (u, g) = (us[i].ToDoubleArray(), jtv[i].ToDoubleArray());
                for (int k = 0; k < u.Length; k++)
                {
                    lhs += u[k] * g[k];
                    scale += Math.Abs(u[k] * g[k]);
                }
            }

            var (jv, vv) = (ju.ToDoubleArray(), v.ToDoubleArray());
            for (int k = 0; k < jv.Length; k++)
            {
                rhs += jv[k] * vv[k];
                scale += Math.Abs(jv[k] * vv[k]);
            }

            Assert.True(Math.Abs(lhs - rhs) <= c.DotTolerance * (1 + scale), $"{s}: ⟨u, Jᵀv⟩ = {lhs:R} but ⟨Ju, v⟩ = {rhs:R}");
        });
    }

    /// <summary>
    /// Second order (PyTorch's gradgradcheck): φ(x) = ⟨w, J(x)ᵀv⟩ is computed with the op's VJP rule, and its
    /// gradient — reverse mode over the VJP rule — must match central differences of φ.
    /// </summary>
    [Theory]
    [MemberData(nameof(DifferentiableOps))]
    public void SecondOrderVjpMatchesCentralDifferences(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(SecondOrderVjpMatchesCentralDifferences), op, WithSeed(c), t =>
        {
            var (s, seed) = t;
            var (rng, floats, f, ws) = Prepare(s, seed);
            var v = Tensor.RandomUniform(f(floats).Shape.ToArray(), rng, -1, 1, DType.Float64);
            Func<Tensor[], Tensor> phi = args =>
            {
                var cotangents = Transforms.Vjp(f, args).Pullback(v);
                var total = Tensor.Scalar(0.0);
                for (int i = 0; i < args.Length; i++)
                {
                    total = total + (cotangents[i] * ws[i]).Sum();
                }

                return total;
            };

            var analytic = Transforms.Grad(phi)(floats);
            var numeric = Numerical.Gradient(phi, floats, step: c.Step);
            for (int i = 0; i < floats.Length; i++)
            {
                var (a, n) = (analytic[i].ToDoubleArray(), numeric[i].ToDoubleArray());
                for (int k = 0; k < a.Length; k++)
                {
                    double err = Math.Abs(a[k] - n[k]) / Math.Max(1.0, Math.Abs(n[k]));
                    Assert.True(err < 1e-5, $"{s}: second order, input {i}[{k}] analytic {a[k]:R} numerical {n[k]:R}");
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(DifferentiableOps))]
    public void JvpMatchesTheNumericalDirectionalDerivative(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(JvpMatchesTheNumericalDirectionalDerivative), op, WithSeed(c), t =>
        {
            var (s, seed) = t;
            var (_, floats, f, us) = Prepare(s, seed);
            var (_, tangent) = Transforms.Jvp(f, floats, us);
            double h = c.Step;
            var plus = f(floats.Select((x, i) => x + us[i] * h).ToArray()).ToDoubleArray();
            var minus = f(floats.Select((x, i) => x - us[i] * h).ToArray()).ToDoubleArray();
            var a = tangent.ToDoubleArray();
            for (int k = 0; k < a.Length; k++)
            {
                double n = (plus[k] - minus[k]) / (2 * h);
                double err = Math.Abs(a[k] - n) / Math.Max(1.0, Math.Abs(n));
                Assert.True(err < c.Tolerance, $"{s}: element {k} JVP {a[k]:R}, numerical {n:R}");
            }
        });
    }

    [Theory]
    [MemberData(nameof(NonDifferentiableOps))]
    public void NoGradientFlowsThroughNonDifferentiableOps(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(NoGradientFlowsThroughNonDifferentiableOps), op, WithSeed(c), t =>
        {
            var (s, _) = t;
            var xs = s.Tensors(DType.Float64);

            // Scale every float input by a traced scalar w: the op's output must not depend on w.
            var grad = Transforms.Grad((Tensor w) =>
            {
                var scaled = xs.Select((x, i) => s.Index(i) ? x : x * w).ToArray();
                var y = s.Apply(scaled);
                Assert.False(y.IsTraced, $"{s}: output of a non-differentiable op is traced");
                return y.Sum() + w * 0.0;
            })(Tensor.Scalar(1.0));
            Assert.Equal(0.0, grad.Item());
        });
    }

    [Theory]
    [MemberData(nameof(AllOps))]
    public void ForwardMatchesTheScalarReferenceInFloat64(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(ForwardMatchesTheScalarReferenceInFloat64), op, c.Samples, s =>
            CompareWithReference(s, DType.Float64, 1e-12));
    }

    [Theory]
    [MemberData(nameof(AllOps))]
    public void ForwardMatchesTheScalarReferenceInFloat32(string op)
    {
        var c = OpCases.Get(op);
        PropertyRunner.Check(nameof(ForwardMatchesTheScalarReferenceInFloat32), op, c.Samples, s =>
            CompareWithReference(s, DType.Float32, c.Float32Tolerance));
    }

    private static void CompareWithReference(OpSample s, DType dtype, double tolerance)
    {
        var xs = s.Tensors(dtype);
        var y = s.Apply(xs);
        var rounded = s.Data.Select((d, i) => s.Index(i) || dtype == DType.Float64 ? d : d.Select(v => (double)(float)v).ToArray()).ToArray();
        var (expected, shape) = s.Reference(rounded);
        Assert.Equal(new Shape(shape), y.Shape);
        bool dtypeFollowsInputs = y.DType != DType.Int32 && s.FloatInputs.Length > 0;
        Assert.True(!dtypeFollowsInputs || y.DType == dtype, $"{s}: output dtype {y.DType}");
        var actual = y.ToDoubleArray();
        for (int k = 0; k < actual.Length; k++)
        {
            double err = Math.Abs(actual[k] - expected[k]) / Math.Max(1.0, Math.Abs(expected[k]));
            Assert.True(err <= tolerance, $"{s} ({dtype}): element {k} is {actual[k]:R}, reference {expected[k]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(OpsWithErrors))]
    public void BadInputRaisesAnErrorNamingOpCallerAndDetail(string op)
    {
        foreach (var e in OpCases.Get(op).Errors())
        {
            var ex = Assert.Throws<TensorOpException>(e.Act);
            string expectedOp = e.Op ?? op;
            Assert.Equal(expectedOp, ex.Op);
            Assert.StartsWith($"{expectedOp} at OpCases", ex.Message);
            Assert.StartsWith("OpCases", Path.GetFileName(ex.CallerFile));
            Assert.True(ex.CallerLine > 0, $"{op} / {e.Description}: no caller line");
            Assert.Contains(e.Fragment, ex.Message);
        }
    }
}
