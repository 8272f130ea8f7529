using AutoGrad.Autodiff;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Autodiff;

/// <summary>
/// The transforms over functions of several arguments of any tree type: argnums, wrt selectors, tuples, arrays, lists,
/// TensorTrees and user records, several outputs (Vjp, Jvp, Jacobian), tree Hessians and Jit. Gradients are checked
/// against central finite differences in float64 (relative 1e-6).
/// </summary>
public class TreeTransformTests
{
    private static readonly Generator Rng = new(11);

    private static Tensor Rand(params int[] shape) => Tensor.RandomNormal(shape, Rng, DType.Float64);

    /// <summary>A user type that is a tree through ITree: the gradient comes back as a Layer.</summary>
    private sealed record Layer(Tensor W, Tensor B, string Name) : ITree<Layer>
    {
        public void Flatten(TreeWriter leaves)
        {
            leaves.Add(W);
            leaves.Add(B);
        }

        public Layer Unflatten(TreeReader leaves) => new(leaves.Next(W), leaves.Next(B), Name);
    }

    private static void Close(Tensor expected, Tensor actual, double relative = 1e-6, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= relative * Math.Max(1, Math.Abs(e[i])), $"{what} element {i}: expected {e[i]:R}, got {a[i]:R}");
        }
    }

    /// <summary>The finite-difference gradient of <paramref name="f"/> with respect to each of <paramref name="xs"/>.</summary>
    private static Tensor[] Numeric(Func<Tensor[], Tensor> f, params Tensor[] xs) => Numerical.Gradient(f, xs);

    private static Tensor Mse(Tensor w, Tensor b, Tensor s, Tensor t) => (s.MatMul(w) + b - t).Pow(2.0).Mean();

    [Fact]
    public void TheJaxExamplePortsWithArgnumsAndAux()
    {
        var (w, b, s, t) = (Rand(2, 2), Rand(2), Rand(5, 2), Rand(5, 2));
        var lossGrad = GradWithAux((Tensor W, Tensor B, Tensor S, Tensor T) =>
        {
            var loss = Mse(W, B, S, T);
            return (loss, loss);
        }, argnums: (0, 1));
        var ((dw, db), aux) = lossGrad(w, b, s, t);

        var expected = Numeric(x => Mse(x[0], x[1], s, t), w, b);
        Close(expected[0], dw, what: "dW");
        Close(expected[1], db, what: "db");
        Assert.Equal(Mse(w, b, s, t).Item(), aux.Item(), 12);
        Assert.False(aux.IsTraced);
    }

    [Fact]
    public void TheDefaultIsTheFirstArgumentAndTheOthersAreData()
    {
        var p = new TensorTree { { "W", Rand(3, 2) }, { "b", Rand(2) } };
        var (x, y) = (Rand(4, 3), Tensor.FromArray(new[] { 0, 1, 1, 0 }));
        var (value, g) = ValueAndGrad((TensorTree q, Tensor xs, Tensor labels) => (xs.MatMul(q["W"]) + q["b"]).SoftmaxCrossEntropy(labels).Mean())(p, x, y);

        var reference = ValueAndGrad((TensorTree q) => (x.MatMul(q["W"]) + q["b"]).SoftmaxCrossEntropy(y).Mean())(p);
        Assert.Equal(reference.Value.Item(), value.Item());
        Assert.True(g.HasSameStructure(p));
        Close(reference.Grad["W"], g["W"], 0);
        Close(reference.Grad["b"], g["b"], 0);
    }

    [Fact]
    public void ImplicitlyTypedLambdasAndMethodGroupsOfTensorsInfer()
    {
        var (w, b, s, t) = (Rand(2, 2), Rand(2), Rand(5, 2), Rand(5, 2));
        var byMethod = Grad(Mse, argnums: (1, 0))(w, b, s, t);
        var byLambda = Grad((W, B, S, T) => Mse(W, B, S, T))(w, b, s, t);
        Close(byLambda, byMethod.Item2, 0);
        Close(Numeric(x => Mse(w, x[0], s, t), b)[0], byMethod.Item1, what: "db");
    }

    [Fact]
    public void WrtSelectsArgumentsAndPartsOfThem()
    {
        var p = new TensorTree { { "body", new TensorTree { { "W", Rand(3, 3) } } }, { "head", new TensorTree { { "W", Rand(3, 2) } } } };
        var x = Rand(4, 3);
        Tensor Loss(TensorTree q, Tensor xs) => xs.MatMul(q["body.W"]).Tanh().MatMul(q["head.W"]).Pow(2.0).Sum();

        var headOnly = Grad((TensorTree q, Tensor xs) => Loss(q, xs), wrt: (q, xs) => q.Subtree("head"))(p, x);
        Assert.Equal(["W"], headOnly.Keys);
        var full = Grad((TensorTree q, Tensor xs) => Loss(q, xs))(p, x);
        Close(full["head.W"], headOnly["W"], 0);

        var (dx, dHead) = Grad((TensorTree q, Tensor xs) => Loss(q, xs), wrt: (q, xs) => (xs, q["head.W"]))(p, x);
        Close(Numeric(v => Loss(p, v[0]), x)[0], dx, what: "dx");
        Close(full["head.W"], dHead, 0);
    }

    [Fact]
    public void TheSameTensorInTwoPlacesIsTwoVariables()
    {
        var x = Rand(3);
        var (ga, gb) = Grad((Tensor a, Tensor b) => (a * a * b).Sum(), wrt: (a, b) => (a, b))(x, x);
        Close(2 * x * x, ga, 1e-12);
        Close(x * x, gb, 1e-12);
    }

    [Fact]
    public void TuplesArraysListsAndRecordsComeBackInTheirOwnTypes()
    {
        var layer = new Layer(Rand(2, 2), Rand(2), "dense");
        var x = Rand(3, 2);
        var g = Grad((Layer l, Tensor xs) => (xs.MatMul(l.W) + l.B).Sin().Sum())(layer, x);
        Assert.Equal("dense", g.Name);
        var expected = Numeric(v => (x.MatMul(v[0]) + v[1]).Sin().Sum(), layer.W, layer.B);
        Close(expected[0], g.W, what: "W");
        Close(expected[1], g.B, what: "B");

        var tuple = (A: Rand(2), B: new[] { Rand(2), Rand(2) }, C: new List<Tensor> { Rand(2) });
        var gt = Grad(((Tensor A, Tensor[] B, List<Tensor> C) q) => (q.A * q.B[0] * q.B[1] * q.C[0]).Sum())(tuple);
        Close(tuple.B[0] * tuple.B[1] * tuple.C[0], gt.A, 1e-12);
        Close(tuple.A * tuple.B[0] * tuple.C[0], gt.B[1], 1e-12);
        Assert.IsType<List<Tensor>>(gt.C);
        Close(tuple.A * tuple.B[0] * tuple.B[1], gt.C[0], 1e-12);
    }

    [Fact]
    public void AuxHoldingAUserTreeComesBackUntraced()
    {
        var layer = new Layer(Rand(2, 2), Rand(2), "l");
        var (_, aux) = GradWithAux((Layer l) => (l.W.Sum() + l.B.Sum(), l with { W = l.W * 2.0 }))(layer);
        Assert.False(aux.W.IsTraced);
        Close(layer.W * 2.0, aux.W, 0);
    }

    [Fact]
    public void SecondOrderThroughSeveralArguments()
    {
        var (x, y) = (Rand(3), Rand(3));

        // d/dx Σ ∂/∂y (x²·y³) = d/dx Σ 3x²y² = 6xy².
        var h = Grad((Tensor a, Tensor b) => Grad((Tensor u, Tensor v) => (u * u * v * v * v).Sum(), argnums: 1)(a, b).Sum())(x, y);
        Close(6.0 * x * y * y, h, 1e-12);
    }

    [Fact]
    public void VjpOfSeveralInputsAndOutputsIsOneBackwardPass()
    {
        var (a, b) = (Rand(3), Rand(3));
        var (value, pullback) = Vjp((Tensor u, Tensor v) => (Sum: (u * v).Sum(), Prod: u.Exp() * v), a, b);
        Close((a * b).Sum(), value.Sum, 1e-12);
        var (ca, cb) = pullback((Tensor.Scalar(2.0), Tensor.Ones([3], DType.Float64)));
        Close(2.0 * b + a.Exp() * b, ca, 1e-12);
        Close(2.0 * a + a.Exp(), cb, 1e-12);

        var ex = Assert.Throws<TensorOpException>(() => pullback((Tensor.Scalar(1.0), Tensor.Ones([2], DType.Float64))));
        Assert.Contains("the cotangent of output 'Item2' must match the output float64[3], got float64[2]", ex.Message);
    }

    [Fact]
    public void JvpOfSeveralInputsAndOutputs()
    {
        var (a, b, ta, tb) = (Rand(3), Rand(3), Rand(3), Rand(3));
        var (value, tangent) = Jvp((Tensor u, Tensor v) => (u * v, u.Sin()), (a, b), (ta, tb));
        Close(a * b, value.Item1, 0);
        Close(ta * b + a * tb, tangent.Item1, 1e-12);
        Close(a.Cos() * ta, tangent.Item2, 1e-12);
    }

    [Fact]
    public void HessianVectorProductOverATreeIsOnePassAndMatchesTheHessian()
    {
        var p = (W: Rand(2, 2), B: Rand(2));
        var v = (W: Rand(2, 2), B: Rand(2));
        Tensor F((Tensor W, Tensor B) q) => (q.W.MatMul(q.B).Tanh().Sum() + (q.B * q.B * q.B).Sum());

        var hv = HessianVectorProduct<(Tensor W, Tensor B)>(F)(p, v);

        // The same from the full Hessian, block by block: Hv_a = Σ_b H[a][b]·v_b.
        var h = Hessian<(Tensor W, Tensor B)>(F)(p);
        Tensor Apply(string a)
        {
            var shapeA = a == "Item1" ? p.W.Shape : p.B.Shape;
            var total = Tensor.Zeros(shapeA.ToArray(), DType.Float64);
            foreach (var (bKey, vb) in new[] { ("Item1", v.W), ("Item2", v.B) })
            {
                var block = h.Subtree(a)[bKey].Reshape([shapeA.Size, vb.Size]);
                total += block.MatMul(vb.Reshape([vb.Size])).Reshape(shapeA);
            }

            return total;
        }

        Close(Apply("Item1"), hv.W, 1e-10, "W");
        Close(Apply("Item2"), hv.B, 1e-10, "B");

        // And against finite differences of the gradient along v.
        var grad = Grad<(Tensor W, Tensor B)>(F);
        const double step = 1e-6;
        var plus = grad((p.W + step * v.W, p.B + step * v.B));
        var minus = grad((p.W - step * v.W, p.B - step * v.B));
        Close((plus.W - minus.W) / (2 * step), hv.W, 1e-6, "W by differences");
    }

    [Fact]
    public void JacobiansOfTreesKeepTheirStructure()
    {
        var p = (W: Rand(2, 3), B: Rand(3));
        var x = Rand(4, 2);
        var jTree = Jacobian(((Tensor W, Tensor B) q) => x.MatMul(q.W) + q.B)(p);
        Assert.Equal(new Shape(4, 3, 2, 3), jTree.W.Shape);
        Assert.Equal(new Shape(4, 3, 3), jTree.B.Shape);
        var jW = Transforms.Jacobian((Tensor w) => x.MatMul(w) + p.B)(p.W);
        Close(jW, jTree.W, 1e-12);

        var jOut = Jacobian((Tensor v) => (Square: v * v, Total: v.Sum()))(Rand(3));
        Assert.Equal(new Shape(3, 3), jOut.Square.Shape);
        Assert.Equal(new Shape(3), jOut.Total.Shape);
        Close(Tensor.Ones([3], DType.Float64), jOut.Total, 0);

        var nested = Jacobian(((Tensor W, Tensor B) q) => (q.W.Sum(), q.B * 2.0))(p);
        Assert.Equal(new Shape(3, 3), nested.Subtree("Item2")["Item2"].Shape);
        Assert.Equal(new Shape(2, 3), nested.Subtree("Item1")["Item1"].Shape);
    }

    [Fact]
    public void JitTakesSeveralTreesAndReturnsATree()
    {
        var p = new TensorTree { { "W", Rand(3, 2) } };
        int traced = 0;
        var step = Jit((TensorTree q, Tensor x, (Tensor Scale, Tensor Shift) c) =>
        {
            traced++;
            var g = Grad((TensorTree r) => (x.MatMul(r["W"]) * c.Scale + c.Shift).Pow(2.0).Sum())(q);
            return (Loss: (x.MatMul(q["W"])).Sum(), Next: q.Zip(g, (w, dw) => w - 0.1 * dw));
        });

        var x1 = Rand(4, 3);
        var c = (Tensor.Scalar(2.0), Tensor.Scalar(0.5));
        var first = step(p, x1, c);
        var second = step(p, x1, c);
        Assert.Equal(1, traced);
        Close(first.Next["W"], second.Next["W"], 0);
        var eager = Grad((TensorTree r) => (x1.MatMul(r["W"]) * 2.0 + 0.5).Pow(2.0).Sum())(p);
        Close(p["W"] - 0.1 * eager["W"], second.Next["W"], 1e-12);

        var other = new TensorTree { { "V", Rand(3, 2) } };
        var ex = Assert.ThrowsAny<Exception>(() => { step(other, x1, c); });
        Assert.Equal(2, traced); // another structure is another signature: traced again (and here the function fails on the missing key)
        Assert.Contains("W", ex.Message);
    }

    [Fact]
    public void ErrorsNameTheArgumentAndTheLeaf()
    {
        var p = new TensorTree { { "x", Rand(2) }, { "labels", Tensor.FromArray(new[] { 1, 0 }) } };
        var ex = Assert.Throws<TensorOpException>(() => Grad((TensorTree q, Tensor y) => q["x"].Sum() * y.Sum())(p, Rand(2)));
        Assert.Contains("argument 0, leaf 'labels' is int32[2]", ex.Message);
        Assert.Contains("TreeTransformTests.cs", ex.Message);

        var outOfRange = Assert.Throws<TensorOpException>(() => Grad((Tensor a, Tensor b) => a.Sum(), argnums: 2)(Rand(1), Rand(1)));
        Assert.Contains("argnum 2 is out of range for 2 argument(s)", outOfRange.Message);

        var computed = Assert.Throws<TensorOpException>(() => Grad((Tensor a, Tensor b) => a.Sum(), wrt: (a, b) => a * 2.0)(Rand(1), Rand(1)));
        Assert.Contains("wrt returned a tensor at '(root)' that is not one of the arguments' tensors", computed.Message);

        var twice = Assert.Throws<TensorOpException>(() => Grad((Tensor a, Tensor b) => a.Sum(), wrt: (a, b) => (a, a))(Rand(1), Rand(1)));
        Assert.Contains("wrt returns argument 0's leaf '(root)' twice", twice.Message);

        var notATree = Assert.Throws<TensorOpException>(() => Jit((Tensor a, double k) => a * k)(Rand(1), 2.0));
        Assert.Contains("argument 1 is a Double, not a tree of tensors", notATree.Message);
    }

    [Fact]
    public void TreeFunctionsMapZipAndConvert()
    {
        var layer = new Layer(Rand(2, 2), Rand(2), "l");
        Assert.Equal(["W", "B"], Tree.Leaves(layer).Select(l => l.Path));
        var doubled = Tree.Map(layer, t => t * 2.0);
        Close(layer.B * 2.0, doubled.B, 0);
        var sum = Tree.Zip(layer, doubled, (a, b) => a + b);
        Close(layer.W * 3.0, sum.W, 0);

        var nested = (First: layer, Second: new[] { Rand(1) });
        var tree = Tree.ToTensorTree(nested);
        Assert.Equal(["Item1.W", "Item1.B", "Item2.0"], tree.Leaves().Select(l => l.Path));
        var back = Tree.FromTensorTree(nested, tree.Map(t => t + 1.0));
        Close(layer.W + 1.0, back.First.W, 0);
        Assert.Equal("l", back.First.Name);

        var ex = Assert.Throws<ArgumentException>(() => Tree.Leaves((1, Rand(1))));
        Assert.Contains("Item1 is a Int32, which is not a tree", ex.Message);
    }
}
