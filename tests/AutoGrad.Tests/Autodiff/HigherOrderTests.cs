using AutoGrad.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

public class HigherOrderTests
{
    private static Tensor Vec(params double[] v) => Tensor.FromArray(v);

    private static void Close(Tensor expected, Tensor actual, double tol = 1e-9)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]:R}, got {a[i]:R}");
        }
    }

    /// <summary>|expected − actual| ≤ tol · max(1, the largest |expected|) for every element.</summary>
    private static void CloseToScale(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        double scale = Math.Max(1, e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * scale, $"element {i}: expected {e[i]:R}, got {a[i]:R} (scale {scale:G4})");
        }
    }

    /// <summary>Random tensor-valued functions of a [2,3] input: elementwise maps, a matrix product, a reduction, a softmax.</summary>
    private static readonly Func<Tensor, Tensor>[] Functions =
    [
        x => x.Tanh() * x.Sin(),
        x => x.MatMul(x.Transpose()).Exp() * 0.1,
        x => x.Softmax(-1),
        x => (x * x).Sum(0, keepDims: true) + x.Sigmoid(),
        x => x.Reshape([3, 2]).Gelu().Transpose().Reshape([6]).Slice(0, 1, 6),
        x => x.LogSumExp(-1),
    ];

    [Property(MaxTest = 100)]
    public Property JacobiansByForwardModeReverseModeAndFiniteDifferencesAgree() =>
        Prop.ForAll(Arb.From(from which in Gen.Choose(0, Functions.Length - 1) from values in Gens.Values(6, -1.5, 1.5) select (which, values)), t =>
        {
            var (which, values) = t;
            var x = Tensor.FromArray(values, [2, 3]);
            var f = Functions[which];
            var reverse = Jacobian(f, JacobianMode.Reverse)(x);
            var forward = Jacobian(f, JacobianMode.Forward)(x);
            var auto = Jacobian(f)(x);
            var numerical = Numerical.Jacobian(f, x);
            Assert.Equal(new Shape([.. f(x).Shape, 2, 3]), reverse.Shape);
            Close(reverse, forward, 1e-12);
            Close(reverse, auto, 1e-12);
            Close(reverse, numerical, 1e-6);
            PropertyLedger.Record(nameof(JacobiansByForwardModeReverseModeAndFiniteDifferencesAgree));
        });

    [Property(MaxTest = 100)]
    public Property HessiansAreSymmetricAndMatchTheNumericalHessian() =>
        Prop.ForAll(Arb.From(from which in Gen.Choose(0, Functions.Length - 1) from values in Gens.Values(6, -1.5, 1.5) select (which, values)), t =>
        {
            var (which, values) = t;
            var x = Tensor.FromArray(values, [2, 3]);
            Func<Tensor, Tensor> f = v => (Functions[which](v) * Functions[which](v)).Sum();
            var h = Hessian(f)(x);
            Assert.Equal(new Shape(2, 3, 2, 3), h.Shape);
            var flat = h.Reshape([6, 6]);
            Close(flat, flat.Transpose(), 1e-10);
            // Central differences of a second derivative err in proportion to the function's scale, not to each
            // entry: exp(x·xᵀ)² reaches 10⁵ here, so a 10⁻³ entry carries the absolute error of the largest.
            CloseToScale(Numerical.Hessian(f, x), h, 1e-5);
            var v = Tensor.FromArray(values.Select(z => 0.3 - z).ToArray(), [2, 3]);
            Close(flat.MatMul(v.Reshape([6])).Reshape([2, 3]), HessianVectorProduct(f)(x, v), 1e-10);
            PropertyLedger.Record(nameof(HessiansAreSymmetricAndMatchTheNumericalHessian));
        });

    [Fact]
    public void HessianOfAQuadraticFormIsTheSymmetricPartOfItsMatrix()
    {
        var a = Tensor.FromArray(new double[,] { { 2, 1, 0 }, { 3, 4, -1 }, { 0.5, 0, 1 } });
        var h = Hessian((Tensor x) => x.MatMul(a.MatMul(x)) * 0.5)(Vec(0.3, -0.2, 0.9));
        Close((a + a.Transpose()) * 0.5, h, 1e-14);
    }

    [Theory]
    [InlineData(-1.1)]
    [InlineData(0.0)]
    [InlineData(0.4)]
    [InlineData(1.7)]
    public void DerivativesOfTanhUpToFourthOrderMatchClosedForms(double at)
    {
        double t = Math.Tanh(at), s = 1 - t * t;
        Func<Tensor, Tensor> f = x => x.Tanh();
        var d1 = Grad(f);
        var d2 = Grad(d1);
        var d3 = Grad(d2);
        var d4 = Grad(d3);
        var x0 = Tensor.Scalar(at);
        Assert.Equal(s, d1(x0).Item(), 13);
        Assert.Equal(-2 * t * s, d2(x0).Item(), 13);
        Assert.Equal(-2 * s * (1 - 3 * t * t), d3(x0).Item(), 12);
        Assert.Equal(8 * t * s * (2 - 3 * t * t), d4(x0).Item(), 11);

        // The same fourth derivative by forward mode over reverse over forward…
        var (_, viaJvp) = Jvp((Tensor x) => Grad((Tensor y) => Jvp(d1, y, Tensor.Scalar(1.0)).Tangent)(x), x0, Tensor.Scalar(1.0));
        Assert.Equal(8 * t * s * (2 - 3 * t * t), viaJvp.Item(), 11);
    }

    /// <summary>The derivative at y = 1 of x + y, taken by each transform.</summary>
    private static readonly (string Name, Func<Tensor, Tensor> Inner)[] InnerTransforms =
    [
        ("Grad", x => Grad((Tensor y) => x + y)(Tensor.Scalar(1.0))),
        ("Jvp", x => Jvp((Tensor y) => x + y, Tensor.Scalar(1.0), Tensor.Scalar(1.0)).Tangent),
        ("Vjp", x => Vjp((Tensor y) => x + y, Tensor.Scalar(1.0)).Pullback(Tensor.Scalar(1.0))),
        ("Linearize", x => Linearize((Tensor y) => x + y, Tensor.Scalar(1.0)).Jvp(Tensor.Scalar(1.0))),
    ];

    /// <summary>d/dx of a scalar function, taken by each transform.</summary>
    private static readonly (string Name, Func<Func<Tensor, Tensor>, Tensor, double> Outer)[] OuterTransforms =
    [
        ("Grad", (f, x) => Grad(f)(x).Item()),
        ("Jvp", (f, x) => Jvp(f, x, Tensor.Scalar(1.0)).Tangent.Item()),
        ("Vjp", (f, x) => Vjp(f, x).Pullback(Tensor.Scalar(1.0)).Item()),
        ("Linearize", (f, x) => Linearize(f, x).Jvp(Tensor.Scalar(1.0)).Item()),
        ("Jacobian", (f, x) => Jacobian(f)(x).Item()),
    ];

    [Fact]
    public void NoPairOfTransformsConfusesItsPerturbations()
    {
        // d/dx [x · (d/dy (x + y))|y=1] = d/dx [x · 1] = 1. Confusing the two levels would give 2.
        foreach (var (outerName, outer) in OuterTransforms)
        {
            foreach (var (innerName, inner) in InnerTransforms)
            {
                double d = outer(x => x * inner(x), Tensor.Scalar(3.0));
                Assert.True(d == 1.0, $"{outerName} of {innerName}: got {d}, expected 1");
            }
        }
    }

    [Fact]
    public void LinearizeEvaluatesTheFunctionOnceAndIsReusable()
    {
        int calls = 0;
        var (value, jvp) = Linearize((Tensor x) =>
        {
            calls++;
            return x.Sin() * x;
        }, Vec(0.5, 1.5));
        var first = jvp(Vec(1, 0));
        var second = jvp(Vec(0, 2));
        Assert.Equal(1, calls);
        Close(Vec(Math.Sin(0.5) * 0.5, Math.Sin(1.5) * 1.5), value);
        Close(Vec(Math.Cos(0.5) * 0.5 + Math.Sin(0.5), 0), first, 1e-14);
        Close(Vec(0, 2 * (Math.Cos(1.5) * 1.5 + Math.Sin(1.5))), second, 1e-14);
        Assert.Throws<TensorOpException>(() => jvp(Vec(1, 2, 3)));
    }

    [Fact]
    public void JvpWorksForSeveralInputsAndTrees()
    {
        var (_, t) = Jvp((Tensor[] xs) => (xs[0] * xs[1]).Sum(), [Vec(1, 2), Vec(3, 4)], [Vec(1, 0), Vec(0, 1)]);
        Assert.Equal(3.0 + 2.0, t.Item());
        var p = new TensorTree { { "w", Vec(2) }, { "b", Vec(1) } };
        var (_, tt) = Jvp((TensorTree q) => (q["w"] * q["w"] + q["b"]).Sum(), p, new TensorTree { { "w", Vec(1) }, { "b", Vec(10) } });
        Assert.Equal(4.0 + 10.0, tt.Item());
    }

    [Fact]
    public void CustomRulesAreUsedAndCheckedByGradCheck()
    {
        // A stable log-sum-exp whose gradient is the softmax.
        var lse = Custom.Vjp(
            (Tensor x) =>
            {
                var m = x.Max().Detach();
                return (x - m).Exp().Sum().Log() + m;
            },
            (x, y, g) => g * (x - y).Exp());
        var big = Vec(1000, 1001, 1002);
        Assert.Equal(1002 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), lse(big).Item(), 10);
        Close(big.Softmax(), Grad(lse)(big), 1e-12);
        Assert.True(Numerical.GradCheck(lse, Vec(0.3, -1.2, 2.0)).Passed);
        Assert.True(Numerical.GradGradCheck(lse, Vec(0.3, -1.2, 2.0)).Passed);

        // A wrong rule is caught.
        var wrong = Custom.Vjp((Tensor x) => (x * x).Sum(), (x, y, g) => g * x);
        var report = Numerical.GradCheck(wrong, Vec(1.0, 2.0));
        Assert.False(report.Passed);

        // A custom JVP rule drives forward mode; reverse mode differentiates the forward computation.
        int jvpCalls = 0;
        var square = Custom.Jvp((Tensor x) => x * x, (x, y, t) =>
        {
            jvpCalls++;
            return 2.0 * x * t;
        });
        Assert.Equal(6.0, Jvp(square, Tensor.Scalar(3.0), Tensor.Scalar(1.0)).Tangent.Item());
        Assert.Equal(1, jvpCalls);
        Assert.Equal(6.0, Grad((Tensor x) => square(x))(Tensor.Scalar(3.0)).Item());
        Assert.Equal(2.0, Grad(Grad((Tensor x) => lse(Tensor.Stack([x, x])) * 0.0 + square(x)))(Tensor.Scalar(3.0)).Item(), 12);
    }

    [Fact]
    public void NumericalJvpHessianAndGradGradCheckMatchTheirAnalyticCounterparts()
    {
        var x = Vec(0.2, -0.7, 1.1);
        Func<Tensor, Tensor> f = t => (t.Tanh() * t.Exp()).Sum();
        Close(Jvp(f, x, Vec(1, -1, 0.5)).Tangent, Numerical.Jvp(f, x, Vec(1, -1, 0.5)), 1e-8);
        Close(Hessian(f)(x), Numerical.Hessian(f, x), 1e-6);
        var check = Numerical.GradGradCheck(f, x);
        Assert.True(check.Passed, check.ToString());
        var vector = Numerical.GradGradCheck((Tensor t) => t.Sin() * t.Sum(), x);
        Assert.True(vector.Passed, vector.ToString());

        // A gradient rule that is right to first order but wrong to second is caught.
        var firstOnly = Custom.Vjp((Tensor t) => (t * t * t).Sum(), (t, y, g) => g * 3.0 * (t * t).Detach());
        Assert.True(Numerical.GradCheck(firstOnly, x).Passed);
        Assert.False(Numerical.GradGradCheck(firstOnly, x).Passed);
    }

    [Fact]
    public void NewtonsMethodWithTheHessianMinimizesRosenbrock()
    {
        // Rosenbrock's banana: f(x, y) = (1 − x)² + 100(y − x²)², minimum at (1, 1).
        static Tensor Rosenbrock(Tensor p)
        {
            var (x, y) = (p.Slice(0, 0, 1).Sum(), p.Slice(0, 1, 2).Sum());
            return (1.0 - x).Pow(2.0) + 100.0 * (y - x * x).Pow(2.0);
        }

        var gradient = Grad(Rosenbrock);
        var hessian = Hessian(Rosenbrock);
        var p = Tensor.FromArray(new[] { -1.2, 1.0 });
        int steps = 0;
        while (gradient(p).Abs().Max().Item() > 1e-10 && steps < 20)
        {
            // Newton step: solve H·d = g for this 2×2 Hessian, then p ← p − d.
            var h = hessian(p).ToDoubleArray();
            var g = gradient(p).ToDoubleArray();
            double det = h[0] * h[3] - h[1] * h[2];
            var d = Tensor.FromArray(new[] { (h[3] * g[0] - h[1] * g[1]) / det, (h[0] * g[1] - h[2] * g[0]) / det });
            p -= d;
            steps++;
        }

        Console.WriteLine($"minimum at ({p.ToDoubleArray()[0]:F6}, {p.ToDoubleArray()[1]:F6}) after {steps} Newton steps");
        Assert.True(steps <= 10, $"{steps} steps");
        Assert.Equal(1.0, p.ToDoubleArray()[0], 9);
        Assert.Equal(1.0, p.ToDoubleArray()[1], 9);
    }


    private static class Console
    {
        public static void WriteLine(string text) => Assert.Contains("Newton steps", text);
    }
}
