using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>Behaviour at the edges: no-grad scopes, threads, aux values, NaN-free rules, located errors.</summary>
public class EdgeBehaviourTests
{
    private static Tensor Vec(params double[] v) => Tensor.FromArray(v);

    [Fact]
    public void GradStartedInsideANoGradScopeWorks()
    {
        using (NoGrad())
        {
            Assert.Equal([2.0, 4], Grad((Tensor x) => (x * x).Sum())(Vec(1, 2)).ToDoubleArray());
            var (_, t) = Jvp((Tensor x) => x * x, Vec(3), Vec(1));
            Assert.Equal(6.0, t.Item());
        }
    }

    [Fact]
    public void NoGradScopeCanBeDisposedTwice()
    {
        var scope = NoGrad();
        scope.Dispose();
        scope.Dispose();
        var g = Grad((Tensor x) =>
        {
            using (NoGrad())
            {
                Assert.False((x * 2.0).IsTraced);
            }

            return (x * x).Sum();
        })(Vec(2));
        Assert.Equal(4.0, g.Item());
    }

    [Fact]
    public void GradsOnWorkerThreadsInsideAGradNestCorrectly()
    {
        // Inner gradients computed on other threads, inside an outer Grad: d/dx Σ_i (d/dy (x·y·i))|y=1 = Σ i.
        var g = Grad((Tensor x) =>
        {
            var parts = new Tensor[4];
            Parallel.For(0, parts.Length, i => parts[i] = Grad((Tensor y) => x * y * (double)i)(Tensor.Scalar(1.0)));
            return parts.Aggregate((a, b) => a + b);
        })(Tensor.Scalar(5.0));
        Assert.Equal(0.0 + 1 + 2 + 3, g.Item());
    }

    [Fact]
    public void ManyThreadsRecordingOntoOneTapeLoseNoNodes()
    {
        // Every worker appends to the outer tape at once; a lost or duplicated node changes the sum.
        // d/dx Σ_i Σ_k x·(i + k) = Σ_i Σ_k (i + k) over i < 64, k < 50.
        for (int round = 0; round < 4; round++)
        {
            AssertAllNodesRecorded();
        }
    }

    private static void AssertAllNodesRecorded()
    {
        const int workers = 64, opsEach = 50;
        var g = Grad((Tensor x) =>
        {
            var parts = new Tensor[workers];
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                var acc = x * (double)i;
                for (int k = 1; k < opsEach; k++)
                {
                    acc = acc + x * (double)(i + k);
                }

                parts[i] = acc;
            });
            return parts.Aggregate((a, b) => a + b);
        })(Tensor.Scalar(2.0));
        double expected = 0;
        for (int i = 0; i < workers; i++)
        {
            for (int k = 0; k < opsEach; k++)
            {
                expected += i + k;
            }
        }

        Assert.Equal(expected, g.Item());
    }

    [Fact]
    public void AuxTuplesListsAndDictionariesComeBackUntraced()
    {
        var (_, aux) = GradWithAux((Tensor x) => (x.Sum(), (First: x * 2.0, Others: new List<Tensor> { x }, Named: new Dictionary<string, Tensor> { ["x"] = x })))(Vec(1));
        Assert.False(aux.First.IsTraced);
        Assert.False(aux.Others[0].IsTraced);
        Assert.False(aux.Named["x"].IsTraced);
        Assert.Equal(3.0, (aux.First + 1.0).Item());
    }

    [Fact]
    public void GradWithAuxOverSeveralTensorsHonoursArgnums()
    {
        var (grads, aux) = GradWithAux((Tensor[] xs) => ((xs[0] * xs[1]).Sum(), xs[1] * 1.0), argnums: [1])([Vec(3), Vec(4)]);
        Assert.Single(grads);
        Assert.Equal(3.0, grads[0].Item());
        Assert.Equal(4.0, aux.Item());
    }

    [Fact]
    public void PowGradientsAreFiniteAtZeroToAnyOrder()
    {
        // 0^0: ∂/∂a is 0 (not NaN); ∂/∂b at a = 0 is 0.
        var (ga, gb) = Grad((Tensor a, Tensor b) => a.Pow(b).Sum(), argnums: (0, 1))(Vec(0, 0, 2), Vec(0, 2, 3));
        Assert.Equal([0.0, 0, 12], ga.ToDoubleArray());
        Assert.Equal([0.0, 0, 8 * Math.Log(2)], gb.ToDoubleArray());
        var second = Grad((Tensor b) => Grad((Tensor bb) => Vec(0, 3).Pow(bb).Sum())(b).Sum())(Vec(2, 2)).ToDoubleArray();
        Assert.Equal(0.0, second[0]);
        Assert.Equal(9 * Math.Log(3) * Math.Log(3), second[1], 10);
    }

    [Fact]
    public void MatMulPropagatesNaNAndInfinityThroughZeros()
    {
        var a = Tensor.FromArray(new double[,] { { 0, 1 } });
        var b = Tensor.FromArray(new double[,] { { double.PositiveInfinity }, { 1 } });
        Assert.True(double.IsNaN(a.MatMul(b).Item()));
    }

    [Fact]
    public void BatchedMatMulAgainstAMatrixNeedsNoBroadcast()
    {
        var a = Tensor.Arange(0, 12, 1, DType.Float64).Reshape([2, 3, 2]);
        var b = Tensor.FromArray(new double[,] { { 1, 0, 2 }, { 0, 1, 3 } });
        var c = a.MatMul(b);
        Assert.Equal(new Shape(2, 3, 3), c.Shape);
        Assert.Equal([0.0, 1, 3, 2, 3, 13], c.ToDoubleArray()[..6]);
        Assert.True(Numerical.GradCheck(xs => xs[0].MatMul(xs[1]).Sum(), [a, b]).Passed);
    }

    [Fact]
    public void RandomUniformFloat32NeverReturnsTheUpperBound()
    {
        var v = Tensor.RandomUniform([100000], new Generator(1), 0, 1e-7).ToFloatArray();
        Assert.All(v, x => Assert.True(x < 1e-7f));
    }

    [Fact]
    public void CastToInt32RejectsValuesWithoutAnInt32()
    {
        Assert.Equal([1, -2], Tensor.FromArray(new[] { 1.7, -2.2 }).To(DType.Int32).ToInt32Array());
        var ex = Assert.Throws<TensorOpException>(() => Tensor.FromArray(new[] { 1.0, double.NaN }).To(DType.Int32));
        Assert.StartsWith("Cast at EdgeBehaviourTests.cs:", ex.Message);
        Assert.Contains("element 1 of float64[2] is NaN, which has no int32 value", ex.Message);
        Assert.Throws<TensorOpException>(() => Tensor.FromArray(new[] { 3e9 }).To(DType.Int32));
    }

    [Fact]
    public void Int32ArangeNeedsWholeNumbers()
    {
        Assert.Equal([0, 2, 4], Tensor.Arange(0, 5, 2, DType.Int32).ToInt32Array());
        Assert.Throws<TensorOpException>(() => Tensor.Arange(0, 2, 0.5, DType.Int32));
    }

    [Fact]
    public void CompositesReportTheirOwnName()
    {
        var labels = Tensor.FromArray(new[] { 1, 2 });
        Assert.Equal("Softmax", Assert.Throws<TensorOpException>(() => labels.Softmax()).Op);
        Assert.Equal("LogSoftmax", Assert.Throws<TensorOpException>(() => Tensor.Zeros([2]).LogSoftmax(1)).Op);
        Assert.Equal("LogSumExp", Assert.Throws<TensorOpException>(() => Tensor.Zeros([2, 0]).LogSumExp(1)).Op);
        Assert.Equal("Mean", Assert.Throws<TensorOpException>(() => labels.Mean()).Op);
        Assert.Equal("Stack", Assert.Throws<TensorOpException>(() => Tensor.Stack([Tensor.Zeros([2]), Tensor.Zeros([2], DType.Float64)])).Op);
    }

    [Fact]
    public void ArithmeticWithAConstantOnInt32NamesTheOp()
    {
        var ex = Assert.Throws<TensorOpException>(() => Tensor.FromArray(new[] { 1, 2 }) * 0.5);
        Assert.Equal("Mul", ex.Op);
        Assert.Contains("got int32[2]", ex.Message);
    }

    [Fact]
    public void Int32TensorsCanBeComparedForAccuracy()
    {
        var logits = Tensor.FromArray(new double[,] { { 0.1, 0.9 }, { 0.8, 0.2 }, { 0.3, 0.7 } });
        var labels = Tensor.FromArray(new[] { 1, 0, 0 });
        var correct = logits.ArgMax(1).Equal(labels);
        Assert.Equal(DType.Float32, correct.DType);
        Assert.Equal(2.0 / 3, correct.Mean().Item(), 6);
        Assert.Equal([0.0, 1, 1], labels.Equal(0).ToDoubleArray());
    }

    [Fact]
    public void UnknownDtypesAndOversizedShapesAreOpErrors()
    {
        Assert.Equal("Full", Assert.Throws<TensorOpException>(() => Tensor.Zeros([2], (DType)9)).Op);
        Assert.Equal("OneHot", Assert.Throws<TensorOpException>(() => Tensor.FromArray(new[] { 0 }).OneHot(2, (DType)9)).Op);
        Assert.Equal("BroadcastTo", Assert.Throws<TensorOpException>(() => Tensor.Zeros([1, 1]).BroadcastTo([100000, 100000])).Op);
        Assert.Equal("Eye", Assert.Throws<TensorOpException>(() => Tensor.Eye(50000)).Op);
        Assert.Equal("Full", Assert.Throws<TensorOpException>(() => Tensor.Zeros([70000, 70000])).Op);
    }

    [Fact]
    public void AnEscapedTracerErrorNamesTheCallersLine()
    {
        Tensor? leaked = null;
        Grad((Tensor x) =>
        {
            leaked = x;
            return x.Sum();
        })(Vec(1));
        var ex = Assert.Throws<InvalidOperationException>(() => leaked!.Exp());
        Assert.Contains("EdgeBehaviourTests.cs:", ex.Message);
    }

    [Fact]
    public void JvpRejectsATangentTreeOfAnotherStructure()
    {
        var p = new TensorTree { { "a", Vec(1) } };
        var t = new TensorTree { { "b", Vec(1) } };
        var ex = Assert.Throws<TensorOpException>(() => Jvp((TensorTree q) => q["a"].Sum(), p, t));
        Assert.Contains("the tangent of argument 0 must have its structure [a], got [b]", ex.Message);
    }

    [Fact]
    public void NumericalGradientTakesArgnumsAndSkipsLabels()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2 }, { 0.5, -1 } });
        var labels = Tensor.FromArray(new[] { 1, 0 }, [2, 1]);
        Func<Tensor[], Tensor> loss = xs => -xs[0].LogSoftmax().TakeAlongAxis(xs[1], 1).Mean();
        var numeric = Numerical.Gradient(loss, [logits, labels], argnums: [0]);
        var analytic = Grad(loss, argnums: [0])([logits, labels]);
        var (n, a) = (numeric[0].ToDoubleArray(), analytic[0].ToDoubleArray());
        for (int i = 0; i < n.Length; i++)
        {
            Assert.Equal(a[i], n[i], 8);
        }

        var ex = Assert.Throws<TensorOpException>(() => Numerical.Gradient(loss, [logits, labels]));
        Assert.Contains("leave it out of argnums", ex.Message);
    }

    [Fact]
    public void NumericalStepsScaleWithLargeValuesAndCollapseIsReported()
    {
        // With an absolute step of 1e-3, float32 could not move 1e8 at all; the relative step can.
        var g = Numerical.Gradient(t => (t * 2.0).Sum(), Tensor.FromArray(new[] { 1e8f }));
        Assert.Equal(2.0, g.ToDoubleArray()[0], 1);
        var ex = Assert.Throws<TensorOpException>(() => Numerical.Gradient(t => t.Sum(), Tensor.FromArray(new[] { 1.0f }), step: 1e-12));
        Assert.Contains("is lost to rounding", ex.Message);
    }

    [Fact]
    public void GradCheckUsesFloat32TolerancesForFloat32Inputs()
    {
        var result = Numerical.GradCheck(t => (t.Exp() * 3.0).Sum(), Tensor.FromArray(new[] { 1.3f, -0.4f, 2.2f }));
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(1e-3, result.Inputs[0].Atol);
        Assert.Equal(1e-2, result.Inputs[0].Rtol);
    }

    [Fact]
    public void GradCheckReportsNullInputsAndResults()
    {
        Assert.Throws<TensorOpException>(() => Numerical.GradCheck(xs => xs[0].Sum(), [null!]));
        Assert.Throws<TensorOpException>(() => Numerical.GradCheck(_ => null!, Vec(1)));
    }

    [Fact]
    public void ToArrayConvertsToTheRequestedElementType()
    {
        var t = Tensor.FromArray(new[] { 1.5, 2.5 });
        Assert.Equal([1.5f, 2.5f], t.ToArray<float>());
        Assert.Equal([1.5, 2.5], t.ToArray<double>());
        Assert.Equal([3, 4], Tensor.FromArray(new[] { 3, 4 }).ToArray<int>());
        Assert.Throws<TensorOpException>(() => t.ToArray<int>());
        Assert.Throws<TensorOpException>(() => t.ToArray<long>());
    }
}
