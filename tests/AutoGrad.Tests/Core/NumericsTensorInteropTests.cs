using Xunit;
using NT = System.Numerics.Tensors;

namespace AutoGrad.Tests.Core;

/// <summary>To and from System.Numerics.Tensors.Tensor&lt;T&gt;: shapes, dtypes, strided sources, the zero-copy view and its limits.</summary>
public class NumericsTensorInteropTests
{
    [Fact]
    public void FromANumericsTensorCopiesItsElementsAndLengths()
    {
        var source = NT.Tensor.Create(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);
        var t = Tensor.FromNumericsTensor(source);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray<float>());

        var doubles = Tensor.FromNumericsTensor(NT.Tensor.Create(new[] { 1.5, -2.5 }, [2]));
        Assert.Equal(DType.Float64, doubles.DType);
        var ints = Tensor.FromNumericsTensor(NT.Tensor.Create(new[] { 7, 8, 9 }, [3, 1]));
        Assert.Equal(DType.Int32, ints.DType);
        Assert.Equal(new Shape(3, 1), ints.Shape);
    }

    [Fact]
    public void AStridedSourceIsReadInItsLogicalOrder()
    {
        var transposed = NT.Tensor.Transpose(NT.Tensor.Create(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]));
        Assert.False(transposed.IsDense);
        var t = Tensor.FromNumericsTensor(transposed);
        Assert.Equal(new Shape(3, 2), t.Shape);
        Assert.Equal([1.0, 4, 2, 5, 3, 6], t.ToDoubleArray());
    }

    [Fact]
    public void TheViewSharesTheBufferAndTheCopyDoesNot()
    {
        var x = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, [2, 2]);
        var view = x.AsNumericsTensor<float>();
        Assert.Equal([2, 2], view.Lengths.ToArray().Select(l => (int)l));
        Assert.Equal(3f, view[1, 0]);

        var copy = x.ToNumericsTensor<double>();
        Assert.Equal(4.0, copy[1, 1]);

        // The same memory: a write through the view is seen by the tensor (which is why the docs say read-only).
        view[0, 0] = 10f;
        Assert.Equal(10f, x.ToArray<float>()[0]);
        copy[0, 0] = 20.0;
        Assert.Equal(10f, x.ToArray<float>()[0]);

        var scalar = Tensor.Scalar(2.5).AsNumericsTensor<double>();
        Assert.Equal([1], scalar.Lengths.ToArray().Select(l => (int)l));
        Assert.Equal(2.5, scalar[0]);

        var back = Tensor.FromNumericsTensor(x.ToNumericsTensor<float>());
        Assert.Equal(x.ToArray<float>(), back.ToArray<float>());
    }

    [Fact]
    public void AViewThatWouldNeedACopyIsAnErrorNamingTheWayOut()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2 });
        var ex = Assert.Throws<TensorOpException>(() => x.AsNumericsTensor<float>());
        Assert.Contains("needs a CPU tensor of float32, got float64[2] on cpu; use ToNumericsTensor<Single>() for a copy", ex.Message);
        Assert.Contains("NumericsTensorInteropTests.cs", ex.Message);

        var traced = Assert.Throws<TensorOpException>(() => Transforms.Grad((Tensor t) =>
        {
            t.AsNumericsTensor<double>();
            return t.Sum();
        })(x));
        Assert.Contains("traced by a transform", traced.Message);

        var other = Assert.Throws<TensorOpException>(() => Tensor.FromNumericsTensor(NT.Tensor.Create(new[] { 1L }, [1])));
        Assert.Contains("element type Int64 has no AutoGrad dtype", other.Message);
    }
}
