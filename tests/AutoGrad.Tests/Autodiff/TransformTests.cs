using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

public class TransformTests
{
    private static Tensor Vec(params double[] v) => Tensor.FromArray(v);

    private static void Close(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {a[i]:R}");
        }
    }

    [Fact]
    public void GradOfSumOfSquaresIsTwiceTheInput()
    {
        var g = Grad((Tensor x) => (x * x).Sum())(Vec(1, -2, 3));
        Close([2, -4, 6], g);
        Assert.False(g.IsTraced);
    }

    [Fact]
    public void ArgnumsZeroOneGiveBothGradients()
    {
        var (ga, gb) = Grad((Tensor a, Tensor b) => (a * b).Sum(), argnums: (0, 1))(Vec(1, 2), Vec(3, 4));
        Close([3, 4], ga);
        Close([1, 2], gb);
    }

    [Fact]
    public void ArgnumChoosesTheArgumentToDifferentiate()
    {
        var gb = Grad((Tensor a, Tensor b) => (a * b * b).Sum(), argnums: 1)(Vec(1, 2), Vec(3, 4));
        Close([6, 16], gb);
    }

    [Fact]
    public void ArgnumsReturnGradientsInTheOrderAsked()
    {
        var grads = Grad((Tensor[] xs) => (xs[0] * 2.0 + xs[1] * 3.0 + xs[2] * 5.0).Sum(), argnums: [2, 0])([Vec(1), Vec(1), Vec(1)]);
        Assert.Equal(2, grads.Length);
        Close([5], grads[0]);
        Close([2], grads[1]);
    }

    [Fact]
    public void ArgnumOutOfRangeIsAnError()
    {
        var ex = Assert.Throws<TensorOpException>(() => Grad((Tensor[] xs) => xs[0].Sum(), argnums: [3])([Vec(1)]));
        Assert.Contains("argnum 3 is out of range for 1 argument(s)", ex.Message);
        Assert.StartsWith("Grad at TransformTests.cs:", ex.Message);
    }

    [Fact]
    public void ValueAndGradReturnsAPlainValue()
    {
        var (value, grad) = ValueAndGrad((Tensor x) => x.Exp().Sum())(Vec(0, 1));
        Assert.False(value.IsTraced);
        Close([1 + Math.E], value);
        Close([1, Math.E], grad);
    }

    [Fact]
    public void GradOfAParameterTreeHasTheSameStructure()
    {
        var p = new TensorTree
        {
            { "layer", new TensorTree { { "W", Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }) }, { "b", Vec(0.5, -0.5) } } },
            { "scale", Tensor.Scalar(2.0) },
        };
        var x = Tensor.FromArray(new double[,] { { 1, 1 } });
        var g = Grad((TensorTree q) => ((x.MatMul(q["layer.W"]) + q["layer.b"]) * q["scale"]).Sum())(p);
        Assert.True(g.HasSameStructure(p));
        Close([2, 2, 2, 2], g["layer.W"]);
        Close([2, 2], g["layer.b"]);
        Close([(1 + 3 + 0.5) + (2 + 4 - 0.5)], g["scale"]);
    }

    [Fact]
    public void HasAuxReturnsTheAuxiliaryOutputUntraced()
    {
        var p = new TensorTree { { "w", Vec(1, 2) } };
        var (g, aux) = GradWithAux((TensorTree q) => ((q["w"] * q["w"]).Sum(), q["w"] * 10.0))(p);
        Close([2, 4], g["w"]);
        Assert.False(aux.IsTraced);
        Close([10, 20], aux);

        var (g1, aux1) = GradWithAux((Tensor x) => (x.Sum(), (Label: "sum", Double: x * 2.0)))(Vec(3));
        Close([1], g1);
        Assert.Equal("sum", aux1.Label);
    }

    [Fact]
    public void ValueAndGradWithAuxReturnsAllThree()
    {
        var p = new TensorTree { { "w", Vec(3) } };
        var (value, g, aux) = ValueAndGradWithAux((TensorTree q) => ((q["w"] * q["w"]).Sum(), 42))(p);
        Close([9], value);
        Close([6], g["w"]);
        Assert.Equal(42, aux);
    }

    [Fact]
    public void VjpPullbackCanBeCalledRepeatedly()
    {
        var (y, pullback) = Vjp((Tensor x) => x * x, Vec(1, 2, 3));
        Close([1, 4, 9], y);
        Close([2, 4, 6], pullback(Vec(1, 1, 1)));
        Close([0, 4, 0], pullback(Vec(0, 1, 0)));
    }

    [Fact]
    public void VjpRejectsACotangentOfTheWrongShape()
    {
        var (_, pullback) = Vjp((Tensor x) => x * x, Vec(1, 2, 3));
        var ex = Assert.Throws<TensorOpException>(() => pullback(Vec(1, 2)));
        Assert.Contains("the cotangent must match the output float64[3], got float64[2]", ex.Message);
    }

    [Fact]
    public void VjpOfATreeReturnsATree()
    {
        var p = new TensorTree { { "a", Vec(1, 2) }, { "b", Vec(3, 4) } };
        var (_, pullback) = Vjp((TensorTree q) => q["a"] * q["b"], p);
        var g = pullback(Vec(1, 1));
        Close([3, 4], g["a"]);
        Close([1, 2], g["b"]);
    }

    [Fact]
    public void JvpGivesTheDirectionalDerivative()
    {
        var (y, t) = Jvp((Tensor x) => x.Sin() * x, Vec(0.5, 1.5), Vec(1, 2));
        Close([Math.Sin(0.5) * 0.5, Math.Sin(1.5) * 1.5], y);
        Close([Math.Cos(0.5) * 0.5 + Math.Sin(0.5), 2 * (Math.Cos(1.5) * 1.5 + Math.Sin(1.5))], t);
    }

    [Fact]
    public void JvpOfAFunctionThatIgnoresItsInputHasZeroTangent()
    {
        var c = Vec(1, 2);
        var (_, t) = Jvp((Tensor x) => c * 2.0, Vec(5, 6), Vec(1, 1));
        Close([0, 0], t);
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(-0.3)]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(1.9)]
    public void SecondDerivativesOfTanhAndExpAreExact(double at)
    {
        double t = Math.Tanh(at);
        Close([-2 * t * (1 - t * t)], Grad(Grad((Tensor x) => x.Tanh()))(Tensor.Scalar(at)));
        Close([Math.Exp(at)], Grad(Grad((Tensor x) => x.Exp()))(Tensor.Scalar(at)));
    }

    [Fact]
    public void ThirdDerivativeOfSinIsMinusCos()
    {
        var d3 = Grad(Grad(Grad((Tensor x) => x.Sin())));
        Close([-Math.Cos(0.4)], d3(Tensor.Scalar(0.4)));
    }

    [Fact]
    public void NestedGradsDoNotConfuseTheirPerturbations()
    {
        // d/dx [x · (d/dy (x + y))|y=1] = d/dx [x · 1] = 1, not 2.
        var inner = (Tensor x) => Grad((Tensor y) => x + y)(Tensor.Scalar(1.0));
        Close([1], Grad((Tensor x) => x * inner(x))(Tensor.Scalar(3.0)));

        // d/dx [x · (d/dy (x · y))|y=2] = d/dx [x · x] = 2x.
        var inner2 = (Tensor x) => Grad((Tensor y) => x * y)(Tensor.Scalar(2.0));
        Close([6], Grad((Tensor x) => x * inner2(x))(Tensor.Scalar(3.0)));
    }

    [Fact]
    public void GradientsOfAValueUsedSeveralTimesAddUp()
    {
        // f = x² + x + x·sin(x): three uses of x on the tape.
        var g = Grad((Tensor x) => (x * x + x + x * x.Sin()).Sum())(Vec(0.5));
        Close([2 * 0.5 + 1 + Math.Sin(0.5) + 0.5 * Math.Cos(0.5)], g);
    }

    [Fact]
    public void UnusedInputsGetZerosOfTheirShapeAndDtype()
    {
        var b = Tensor.Ones([2, 3], DType.Float32);
        var gb = Grad((Tensor a, Tensor bb) => a.Sum(), argnums: 1)(Tensor.Ones([4], DType.Float32), b);
        Assert.Equal(b.Shape, gb.Shape);
        Assert.Equal(DType.Float32, gb.DType);
        Assert.All(gb.ToDoubleArray(), v => Assert.Equal(0, v));

        var gConst = Grad((Tensor x) => Tensor.Scalar(5.0))(Vec(1, 2));
        Close([0, 0], gConst);
    }

    [Fact]
    public void BroadcastGradientsHaveExactlyTheInputShape()
    {
        var (ga, gb) = Grad((Tensor a, Tensor b) => (a * b).Sum(), argnums: (0, 1))(Tensor.Ones([3, 1], DType.Float64), Tensor.Ones([4], DType.Float64));
        Assert.Equal(new Shape(3, 1), ga.Shape);
        Assert.Equal(new Shape(4), gb.Shape);
        Close([4, 4, 4], ga);
        Close([3, 3, 3, 3], gb);
    }

    [Fact]
    public void NoGradScopeStopsRecording()
    {
        var g = Grad((Tensor x) =>
        {
            Tensor frozen;
            using (NoGrad())
            {
                frozen = x * x;
                Assert.False(frozen.IsTraced);
            }

            return (frozen * x).Sum();
        })(Vec(3));
        Close([9], g); // d/dx (c·x) with c = x² held constant
    }

    [Fact]
    public void DetachAndStopGradientCutTheGraph()
    {
        Close([2], Grad((Tensor x) => (x * x.Detach()).Sum())(Vec(2)));
        Close([2], Grad((Tensor x) => (x * x.StopGradient()).Sum())(Vec(2)));
    }

    [Fact]
    public void GradOfANonScalarOutputIsAClearError()
    {
        var ex = Assert.Throws<TensorOpException>(() => Grad((Tensor x) => x * 2.0)(Vec(1, 2)));
        Assert.StartsWith("Grad at TransformTests.cs:", ex.Message);
        Assert.Contains("must return a float scalar (rank 0) to differentiate, got float64[2]", ex.Message);
    }

    [Fact]
    public void GradWithRespectToAnIntegerTensorIsAClearError()
    {
        var ex = Assert.Throws<TensorOpException>(() => Grad((Tensor x) => x.To(DType.Float64).Sum())(Tensor.FromArray(new[] { 1, 2 })));
        Assert.Contains("argument 0 is int32[2]; only float32/float64 tensors can be differentiated", ex.Message);
    }

    [Fact]
    public void UsingATracedTensorAfterItsTransformReturnedIsAClearError()
    {
        Tensor? leaked = null;
        Grad((Tensor x) =>
        {
            leaked = x * 2.0;
            return x.Sum();
        })(Vec(1));
        var ex = Assert.Throws<InvalidOperationException>(() => leaked! + 1.0);
        Assert.Contains("was used after that transform returned", ex.Message);
    }

    [Fact]
    public void Float32GradientsStayFloat32()
    {
        var g = Grad((Tensor x) => x.Tanh().Sum())(Tensor.Ones([3], DType.Float32));
        Assert.Equal(DType.Float32, g.DType);
        Close(Enumerable.Repeat(1 - Math.Tanh(1) * Math.Tanh(1), 3).ToArray(), g, 1e-6);
    }

    [Fact]
    public void GradientsOfZeroSizeTensorsAreEmpty()
    {
        var g = Grad((Tensor x) => (x * x).Sum())(Tensor.Zeros([0, 3], DType.Float64));
        Assert.Equal(new Shape(0, 3), g.Shape);
    }

    [Fact]
    public void TransformsAreIndependentAcrossThreads()
    {
        var results = new double[8];
        Parallel.For(0, results.Length, i =>
        {
            results[i] = Grad(Grad((Tensor x) => x * x * x))(Tensor.Scalar((double)i)).Item();
        });
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(6.0 * i, results[i], 12);
        }
    }

    [Fact]
    public void GradOfAFunctionThatCallsGradInsideWorks()
    {
        // g(x) = Σ (∇ ½‖x‖²)² = Σ x², so ∇g = 2x.
        var inner = Grad((Tensor x) => (x * x).Sum() * 0.5);
        Close([2, -4], Grad((Tensor x) => (inner(x) * inner(x)).Sum())(Vec(1, -2)));
    }

    [Fact]
    public void JvpOfGradGivesHessianVectorProducts()
    {
        // f = Σ x³: ∇f = 3x², H = diag(6x), H·v = 6x·v.
        var grad = Grad((Tensor x) => (x * x * x).Sum());
        var (_, hv) = Jvp(grad, Vec(1, 2), Vec(1, -1));
        Close([6, -12], hv);
    }
}
