using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>Ops passed as functions through <see cref="F"/>: method groups the transforms and Tree.Map accept.</summary>
public class FunctionValueTests
{
    private static readonly Tensor X = Tensor.FromArray(new[] { -1.5, 0.25, 2.0 });

    [Fact]
    public void MethodGroupsOfFAreFunctionsForTheTransforms()
    {
        var g = Grad(Compose(F.Sum, F.Tanh))(X);
        Assert.Equal((1.0 - X.Tanh() * X.Tanh()).ToDoubleArray(), g.ToDoubleArray());

        var (value, pullback) = Vjp(F.Exp, X);
        Assert.Equal(X.Exp().ToDoubleArray(), value.ToDoubleArray());
        Assert.Equal((X.Exp() * 2.0).ToDoubleArray(), pullback(Tensor.Full([3], 2.0, DType.Float64)).ToDoubleArray());

        var (_, tangent) = Jvp(F.Sin, X, Tensor.Ones([3], DType.Float64));
        Assert.Equal(X.Cos().ToDoubleArray(), tangent.ToDoubleArray());

        var b = Tensor.FromArray(new[] { 3.0, 4.0, 5.0 });
        var (ga, gb) = Grad(Compose2(F.Sum, F.Mul), argnums: (0, 1))(X, b);
        Assert.Equal(b.ToDoubleArray(), ga.ToDoubleArray());
        Assert.Equal(X.ToDoubleArray(), gb.ToDoubleArray());

        var negated = Tree.Map((X, b), F.Neg);
        Assert.Equal((-b).ToDoubleArray(), negated.Item2.ToDoubleArray());
    }

    [Fact]
    public void AnErrorInsideAnFFunctionNamesTheCallersLine()
    {
        var ex = Assert.Throws<TensorOpException>(() => F.MatMul(Tensor.Ones([2, 3]), Tensor.Ones([2, 3])));
        Assert.Contains("FunctionValueTests.cs:36", ex.Message);
    }

    private static Func<Tensor, Tensor> Compose(Func<Tensor, Tensor> outer, Func<Tensor, Tensor> inner) => x => outer(inner(x));

    private static Func<Tensor, Tensor, Tensor> Compose2(Func<Tensor, Tensor> outer, Func<Tensor, Tensor, Tensor> inner) => (a, b) => outer(inner(a, b));
}
