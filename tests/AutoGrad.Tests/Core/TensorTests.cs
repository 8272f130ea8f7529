using Xunit;

namespace AutoGrad.Tests.Core;

public class TensorTests
{
    [Fact]
    public void FromArrayKeepsShapeDtypeAndValues()
    {
        var t = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], t.ToDoubleArray());
        Assert.Equal(DType.Float32, Tensor.FromArray(new[] { 1f }).DType);
        Assert.Equal(DType.Int32, Tensor.FromArray(new[] { 1 }).DType);
    }

    [Fact]
    public void FromSpanCopiesASliceOfABuffer()
    {
        var buffer = new[] { 9f, 1, 2, 3, 4, 9 };
        var t = Tensor.FromSpan(buffer.AsSpan(1, 4), [2, 2]);
        buffer[1] = 0;
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal([1.0, 2, 3, 4], t.ToDoubleArray());
        Assert.Equal(DType.Float64, Tensor.FromSpan(new[] { 1.0 }.AsSpan()).DType);
        Assert.Equal([7], Tensor.FromSpan(new[] { 7 }.AsSpan()).ToInt32Array());
        Assert.Throws<TensorOpException>(() => Tensor.FromSpan(buffer.AsSpan(0, 3), [2, 2]));
    }

    [Fact]
    public void NullTensorsAreReportedByTheOp()
    {
        Tensor? none = null;
        var ex = Assert.Throws<TensorOpException>(() => Tensor.Ones([2]) + none!);
        Assert.StartsWith("Add at TensorTests.cs:", ex.Message);
        Assert.Contains("input is null", ex.Message);
        Assert.Throws<TensorOpException>(() => none! * 2.0);
        Assert.Throws<TensorOpException>(() => Tensor.Concat([Tensor.Ones([2]), none!]));
        Assert.Throws<ArgumentNullException>(() => Tensor.Ones([2]).MatMul(none!));
    }

    [Fact]
    public void ShapeIndexerChecksTheAxis()
    {
        var s = new Shape(2, 3);
        Assert.Equal(3, s[-1]);
        Assert.Equal(2, s[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => s[2]);
        Assert.Equal("[2,3]", s.ToString());
        Assert.Throws<ArgumentException>(() => new Shape(2, -1));
    }

    [Fact]
    public void FromArrayCopiesItsInput()
    {
        var data = new[] { 1.0, 2.0 };
        var t = Tensor.FromArray(data);
        data[0] = 99;
        Assert.Equal(1.0, t.ToDoubleArray()[0]);
    }

    [Fact]
    public void FromArrayRejectsAShapeThatDoesNotFit()
    {
        var ex = Assert.Throws<TensorOpException>(() => Tensor.FromArray(new[] { 1.0, 2, 3 }, [2, 2]));
        Assert.Equal("FromArray", ex.Op);
        Assert.Equal("TensorTests.cs", Path.GetFileName(ex.CallerFile));
        Assert.Contains("3 values do not fill shape [2,2] (4 elements)", ex.Message);
    }

    [Fact]
    public void ConstantsAndRanges()
    {
        Assert.Equal([0.0, 0, 0, 0], Tensor.Zeros([2, 2]).ToDoubleArray());
        Assert.Equal([1.0, 1], Tensor.Ones([2], DType.Float64).ToDoubleArray());
        Assert.Equal([2.5, 2.5], Tensor.Full([2], 2.5).ToDoubleArray());
        Assert.Equal([0.0, 0.5, 1.0, 1.5], Tensor.Arange(0, 2, 0.5).ToDoubleArray());
        Assert.Equal([3.0, 2, 1], Tensor.Arange(3, 0, -1).ToDoubleArray());
        Assert.Equal([1.0, 0, 0, 1], Tensor.Eye(2).ToDoubleArray());
        Assert.Equal(Shape.Scalar, Tensor.Scalar(3.0).Shape);
        Assert.Equal(3.0, Tensor.Scalar(3.0).Item());
        Assert.Throws<TensorOpException>(() => Tensor.Arange(0, 1, 0));
        Assert.Throws<TensorOpException>(() => Tensor.Zeros([-1]));
    }

    [Fact]
    public void ItemNeedsExactlyOneElement()
    {
        var ex = Assert.Throws<TensorOpException>(() => Tensor.Zeros([2]).Item());
        Assert.Contains("needs a tensor with exactly one element, got float32[2]", ex.Message);
    }

    [Fact]
    public void ToInt32ArrayNeedsAnInt32Tensor()
    {
        Assert.Equal([1, 2], Tensor.FromArray(new[] { 1, 2 }).ToInt32Array());
        Assert.Throws<TensorOpException>(() => Tensor.Zeros([2]).ToInt32Array());
    }

    [Fact]
    public void ToStringShowsShapeDtypeDeviceAndValues()
    {
        var s = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, [2, 2]).ToString();
        Assert.Equal("Tensor(float64[2,2], cpu)\n[[1, 2],\n [3, 4]]", s);
        Assert.Equal("Tensor(float32[], cpu)\n1.5", Tensor.Scalar(1.5f).ToString());
    }

    [Fact]
    public void ToStringAbridgesLargeTensors()
    {
        var s = Tensor.Arange(0, 2000).Reshape([2, 1000]).ToString();
        Assert.Contains("[[0, 1, 2, ..., 997, 998, 999],", s);
        Assert.True(s.Length < 200, s);
    }

    [Fact]
    public void ToStringOfATracedTensorSaysWhichTransformTracesIt()
    {
        string? text = null;
        Transforms.Grad((Tensor x) =>
        {
            text = x.ToString();
            return x.Sum();
        })(Tensor.Scalar(1.0));
        Assert.Contains("Tensor(float64[], cpu, traced by Grad)", text);
    }

    [Fact]
    public void GeneratorIsReproducibleAndPinnedAcrossMachines()
    {
        // Pinned values: xoshiro256** seeded by SplitMix64, and a normal sampler built from IEEE basic
        // operations only, so these hold on every platform and runtime.
        var g = new Generator(42);
        Assert.Equal([1546998764402558742UL, 6990951692964543102UL, 12544586762248559009UL], new[] { g.NextUInt64(), g.NextUInt64(), g.NextUInt64() });
        var h = new Generator(42);
        Assert.Equal([-0.7262191382447857, -0.21119691823195985, 0.2216227015035933], new[] { h.NextNormal(), h.NextNormal(), h.NextNormal() });
        Assert.Equal([0.9643618527255183, -1.0637531974798473, -0.3039301238656567, -1.0989693210013467],
            Tensor.RandomNormal([4], new Generator(7), DType.Float64).ToDoubleArray());
    }

    [Fact]
    public void RandomNormalHasTheRequestedMoments()
    {
        var v = Tensor.RandomNormal([20000], new Generator(3), DType.Float64, mean: 2, std: 3).ToDoubleArray();
        double mean = v.Average();
        double std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, 1.9, 2.1);
        Assert.InRange(std, 2.9, 3.1);
    }

    [Fact]
    public void RandomUniformStaysInRange()
    {
        var v = Tensor.RandomUniform([5000], new Generator(5), -2, 3).ToDoubleArray();
        Assert.All(v, x => Assert.InRange(x, -2, 3));
        Assert.InRange(v.Average(), 0.4, 0.6);
    }

    [Fact]
    public void PermutationIsAPermutationAndIntsAreInRange()
    {
        var g = new Generator(11);
        var p = g.Permutation(100);
        Assert.Equal(Enumerable.Range(0, 100), p.OrderBy(i => i));
        Assert.NotEqual(Enumerable.Range(0, 100), p);
        for (int i = 0; i < 1000; i++)
        {
            Assert.InRange(g.NextInt(7), 0, 6);
        }
    }

    [Fact]
    public void DeterministicLogAgreesWithMathLog()
    {
        var g = new Generator(9);
        for (int i = 0; i < 20000; i++)
        {
            double x = Math.Exp((g.NextDouble() - 0.5) * 80);
            double expected = Math.Log(x);
            Assert.True(Math.Abs(DeterministicMath.Log(x) - expected) <= 4e-16 * Math.Max(1, Math.Abs(expected)), $"log({x:R})");
        }

        Assert.Equal(double.NegativeInfinity, DeterministicMath.Log(0));
        Assert.True(double.IsNaN(DeterministicMath.Log(-1)));
        Assert.Equal(Math.Log(double.Epsilon), DeterministicMath.Log(double.Epsilon), 12);
    }

    [Fact]
    public void ShapeOpsMoveTheRightElements()
    {
        var x = Tensor.Arange(0, 6, 1, DType.Float64).Reshape([2, 3]);
        Assert.Equal([0.0, 3, 1, 4, 2, 5], x.Transpose().ToDoubleArray());
        Assert.Equal(new Shape(3, 2), x.Reshape([-1, 2]).Shape);
        Assert.Equal(new Shape(2, 1, 3), x.Unsqueeze(1).Shape);
        Assert.Equal(new Shape(2, 3), x.Unsqueeze(0).Squeeze().Shape);
        Assert.Equal([1.0, 2, 4, 5], x.Slice(1, 1, 3).ToDoubleArray());
        Assert.Equal([2.0, 5], x.Slice(1, -1, 3).ToDoubleArray());
        var parts = x.Split(3, axis: 1);
        Assert.Equal([0.0, 3], parts[0].ToDoubleArray());
        Assert.Equal(new Shape(2, 2, 3), Tensor.Stack([x, x]).Shape);
        Assert.Equal(new Shape(2, 6), Tensor.Concat([x, x], 1).Shape);
        Assert.Equal(new Shape(6), x.Flatten().Shape);
    }

    [Fact]
    public void SqueezeOfANonUnitAxisIsAnError()
    {
        var ex = Assert.Throws<TensorOpException>(() => Tensor.Zeros([2, 3]).Squeeze(0));
        Assert.Contains("axis 0 of [2,3] has size 2, not 1", ex.Message);
    }

    [Fact]
    public void SplitSizesMustAddUp()
    {
        var ex = Assert.Throws<TensorOpException>(() => Tensor.Zeros([5]).Split([2, 2]));
        Assert.Contains("sizes [2,2] do not add up to 5", ex.Message);
    }

    [Fact]
    public void MatMulFollowsNumpySemantics()
    {
        var v = Tensor.FromArray(new[] { 1.0, 2 });
        var m = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(Shape.Scalar, v.MatMul(v).Shape);
        Assert.Equal(5.0, v.MatMul(v).Item());
        Assert.Equal([5.0, 11], m.MatMul(v).ToDoubleArray());
        Assert.Equal([7.0, 10], v.MatMul(m).ToDoubleArray());
        var batch = Tensor.Ones([3, 2, 2], DType.Float64);
        Assert.Equal(new Shape(3, 2, 2), batch.MatMul(m).Shape);
    }

    [Fact]
    public void MatMulNamesTheCallersLineAndBothShapes()
    {
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4, 5]);
        var ex = Assert.Throws<TensorOpException>(() => a.MatMul(b));
        Assert.Matches(@"^MatMul at TensorTests\.cs:\d+: inner dimensions differ, \[2,3\] @ \[4,5\]$", ex.Message);
    }

    [Fact]
    public void OperatorErrorsFindTheCallersLineFromTheStack()
    {
        var ex = Assert.Throws<TensorOpException>(() => Tensor.Zeros([2]) + Tensor.Zeros([3]));
        Assert.Matches(@"^Add at TensorTests\.cs:\d+: shapes \[2\] and \[3\] cannot be broadcast together", ex.Message);
    }

    [Fact]
    public void SoftmaxIsStableForLargeInputsAndSumsToOne()
    {
        var x = Tensor.FromArray(new[] { 1000.0, 1001, 1002 });
        var s = x.Softmax().ToDoubleArray();
        Assert.Equal(1.0, s.Sum(), 12);
        Assert.All(s, v => Assert.False(double.IsNaN(v)));
        Assert.Equal(1002 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), x.LogSumExp().Item(), 10);
        var negInf = Tensor.FromArray(new[] { double.NegativeInfinity, double.NegativeInfinity });
        Assert.Equal(double.NegativeInfinity, negInf.LogSumExp().Item());
    }

    [Fact]
    public void SoftplusAndSigmoidDoNotOverflow()
    {
        var x = Tensor.FromArray(new[] { -1000.0, 1000 });
        Assert.Equal([0.0, 1000], x.Softplus().ToDoubleArray());
        Assert.Equal([0.0, 1], x.Sigmoid().ToDoubleArray());
        var g = Transforms.Grad((Tensor t) => t.Softplus().Sum())(x).ToDoubleArray();
        Assert.Equal([0.0, 1], g);
    }

    [Fact]
    public void TreesIndexByPathAndReportMissingKeys()
    {
        var tree = new TensorTree { { "a", new TensorTree { { "w", Tensor.Zeros([2]) } } } };
        Assert.Equal(new Shape(2), tree["a.w"].Shape);
        Assert.Equal(["a.w"], tree.Leaves().Select(l => l.Path));
        var ex = Assert.Throws<KeyNotFoundException>(() => tree["a.b"]);
        Assert.Contains("no 'b' under 'a' (keys: w)", ex.Message);
        Assert.Throws<KeyNotFoundException>(() => tree["a"]);
        Assert.Throws<ArgumentException>(() => tree.Add("a", Tensor.Zeros([1])));
        Assert.Throws<ArgumentException>(() => tree.Add("x.y", Tensor.Zeros([1])));
        var doubled = tree.Map(t => t + 1.0);
        Assert.True(doubled.HasSameStructure(tree));
        Assert.Equal([1.0, 1], doubled["a.w"].ToDoubleArray());
        var list = TensorTree.FromList([TensorTree.Leaf(Tensor.Zeros([1])), TensorTree.Leaf(Tensor.Ones([1]))]);
        Assert.Equal(["0", "1"], list.Keys);
    }
}
