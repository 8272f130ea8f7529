using FsCheck;
using FsCheck.Fluent;
using AutoGrad.Backends;
using AutoGrad.Ops;
using static AutoGrad.Tests.Support.Gens;

namespace AutoGrad.Tests.Support;

/// <summary>The fused primitives: optimizer updates and activation gradients (one shape for every operand, scalars drawn with the shapes), softmax cross-entropy, the biased product.</summary>
public static partial class OpCases
{
    private static Gen<double> Scale => Gen.Choose(-300, 300).Select(i => i / 100.0);

    private static IEnumerable<OpCase> FusedCases()
    {
        foreach (bool square in new[] { false, true })
        {
            string name = square ? "AxpbySquare" : "Axpby";
            Func<double, Tensor, double, Tensor, Tensor> f = square
                ? (a, x, b, y) => Tensor.AxpbySquare(a, x, b, y)
                : (a, x, b, y) => Tensor.Axpby(a, x, b, y);
            yield return new OpCase
            {
                Name = name,
                Samples =
                    from shape in Shape()
                    from alpha in Scale
                    from beta in Scale
                    from x in Values(Size(shape), -3, 3)
                    from y in Values(Size(shape), -3, 3)
                    select new OpSample
                    {
                        Op = name, Data = [x, y], Shapes = [shape, shape], Attrs = $"alpha {alpha} beta {beta}",
                        Apply = xs => f(alpha, xs[0], beta, xs[1]),
                        Reference = d => (d[0].Select((v, i) => alpha * v + beta * (square ? d[1][i] * d[1][i] : d[1][i])).ToArray(), shape),
                    },
                Errors = () =>
                [
                    new("shapes", () => f(1, Tensor.Zeros([2]), 1, Tensor.Zeros([1])), "operands must have one shape (no broadcasting), got float32[2] and float32[1]"),
                    new("dtypes", () => f(1, Tensor.Zeros([2]), 1, Tensor.Zeros([2], DType.Float64)), "dtypes differ"),
                    new("int32", () => f(1, Tensor.FromArray(new[] { 1, 2 }), 1, Tensor.FromArray(new[] { 1, 2 })), "expected a float32 or float64 tensor, got int32[2]"),
                    new("NaN scale", () => f(double.NaN, Tensor.Zeros([2]), 1, Tensor.Zeros([2])), "alpha must be finite, got NaN"),
                ],
            };
        }

        foreach (var (kind, derivative, reject) in new (ActivationGradKind, Func<double, double>, Func<double, bool>?)[]
        {
            (ActivationGradKind.Sigmoid, s => s * (1 - s), null),
            (ActivationGradKind.Tanh, s => 1 - s * s, null),
            (ActivationGradKind.Relu, s => s > 0 ? 1 : 0, NearZero), // away from the mask's step, where s has no derivative
        })
        {
            string name = ActivationGradPrimitive.NameOf(kind);
            yield return new OpCase
            {
                Name = name,
                Samples =
                    from shape in Shape()
                    from s in Values(Size(shape), -3, 3, reject)
                    from g in Values(Size(shape), -3, 3)
                    select new OpSample
                    {
                        Op = name, Data = [s, g], Shapes = [shape, shape],
                        Apply = xs => ActivationGradPrimitive.Apply(kind, xs[0], xs[1], default),
                        Reference = d => (d[1].Select((v, i) => v * derivative(d[0][i])).ToArray(), shape),
                    },
                Errors = () =>
                [
                    new("shapes", () => ActivationGradPrimitive.Apply(kind, Tensor.Zeros([2]), Tensor.Zeros([3]), default), "operands must have one shape (no broadcasting), got float32[2] and float32[3]"),
                    new("dtypes", () => ActivationGradPrimitive.Apply(kind, Tensor.Zeros([2]), Tensor.Zeros([2], DType.Float64), default), "dtypes differ"),
                ],
            };
        }

        var logits = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]);
        var labels = Tensor.FromArray(new[] { 0, 2 });
        yield return new OpCase
        {
            Name = "SoftmaxCrossEntropy",
            Samples =
                from t in CrossEntropyLayouts()
                select new OpSample
                {
                    Op = "SoftmaxCrossEntropy", Data = [t.Logits, t.Labels], Shapes = [[t.Rows, t.Classes], [t.Rows]], IsIndex = [false, true],
                    Apply = xs => xs[0].SoftmaxCrossEntropy(xs[1]),
                    Reference = d => (CrossEntropyReference(d[0], d[1], t.Classes, null), [t.Rows]),
                },
            Errors = () =>
            [
                new("rank", () => Tensor.Zeros([6]).SoftmaxCrossEntropy(labels), "needs logits [n, classes] and int32 labels [n], got float32[6] and int32[2]"),
                new("rows", () => logits.SoftmaxCrossEntropy(Tensor.FromArray(new[] { 0, 1, 2 })), "needs logits [n, classes] and int32 labels [n], got float64[2,3] and int32[3]"),
                new("float labels", () => logits.SoftmaxCrossEntropy(Tensor.Zeros([2])), "labels must be an int32 tensor, got float32[2]"),
                new("int logits", () => Tensor.FromArray(new[] { 1, 2 }, [1, 2]).SoftmaxCrossEntropy(Tensor.FromArray(new[] { 0 })), "expected a float32 or float64 tensor, got int32[1,2]"),
                new("no classes", () => Tensor.Zeros([2, 0]).SoftmaxCrossEntropy(labels), "logits float32[2,0] have no classes"),
                new("label range", () => logits.SoftmaxCrossEntropy(Tensor.FromArray(new[] { 0, 3 })), "label 3 at position 1 of labels int32[2] is outside [0, 3)"),
                new("negative label", () => logits.SoftmaxCrossEntropy(Tensor.FromArray(new[] { -1, 0 })), "label -1 at position 0 of labels int32[2] is outside [0, 3)"),
            ],
        };

        yield return new OpCase
        {
            Name = "SoftmaxCrossEntropyGrad",
            Samples =
                from t in CrossEntropyLayouts()
                from c in Values(t.Rows, -3, 3)
                select new OpSample
                {
                    Op = "SoftmaxCrossEntropyGrad", Data = [t.Logits, t.Labels, c], Shapes = [[t.Rows, t.Classes], [t.Rows], [t.Rows]], IsIndex = [false, true, false],
                    Apply = xs => SoftmaxCrossEntropyGradPrimitive.Apply(xs[0], xs[1], xs[2], default),
                    Reference = d => (CrossEntropyReference(d[0], d[1], t.Classes, d[2]), [t.Rows, t.Classes]),
                },
            Errors = () =>
            [
                new("cotangent shape", () => SoftmaxCrossEntropyGradPrimitive.Apply(logits, labels, Tensor.Zeros([3], DType.Float64), default), "the cotangent must have one value per row of logits float64[2,3], got float64[3]"),
                new("cotangent dtype", () => SoftmaxCrossEntropyGradPrimitive.Apply(logits, labels, Tensor.Zeros([2]), default), "dtypes differ"),
                new("label range", () => SoftmaxCrossEntropyGradPrimitive.Apply(logits, Tensor.FromArray(new[] { 5, 0 }), Tensor.Zeros([2], DType.Float64), default), "label 5 at position 0 of labels int32[2] is outside [0, 3)"),
            ],
        };

        yield return new OpCase
        {
            Name = "MatMulAdd",
            Float32Tolerance = 1e-4,
            Samples =
                from leadRank in Gen.Choose(0, 2)
                from lead in Gen.ArrayOf(Gen.Choose(0, 3), leadRank)
                from k in Gen.Choose(0, 4)
                from n in Gen.Choose(1, 3)
                let sx = lead.Append(k).ToArray()
                from x in Values(Size(sx), -3, 3)
                from w in Values(k * n, -3, 3)
                from b in Values(n, -3, 3)
                select new OpSample
                {
                    Op = "MatMulAdd", Data = [x, w, b], Shapes = [sx, [k, n], [n]],
                    Apply = xs => xs[0].MatMulAdd(xs[1], xs[2]),
                    Reference = d =>
                    {
                        int rows = Ref.Size(lead);
                        var (y, _) = MatMulReference(d[0], d[1], [], rows, n, k, false, false);
                        return (y.Select((v, i) => v + d[2][i % n]).ToArray(), lead.Append(n).ToArray());
                    },
                },
            Errors = () =>
            [
                new("inner dimensions", () => Tensor.Zeros([2, 3]).MatMulAdd(Tensor.Zeros([4, 5]), Tensor.Zeros([5])), "inner dimensions differ, float32[2,3] · float32[4,5] + float32[5]"),
                new("bias length", () => Tensor.Zeros([2, 2, 3]).MatMulAdd(Tensor.Zeros([3, 4]), Tensor.Zeros([3])), "the bias must have one value per column of the weight, float32[2,2,3] · float32[3,4] + float32[3]"),
                new("bias rank", () => Tensor.Zeros([2, 3]).MatMulAdd(Tensor.Zeros([3, 4]), Tensor.Zeros([1, 4])), "needs x [..., k], a weight [k, n] and a bias [n], got float32[2,3] · float32[3,4] + float32[1,4]"),
                new("weight rank", () => Tensor.Zeros([3]).MatMulAdd(Tensor.Zeros([3]), Tensor.Zeros([1])), "needs x [..., k], a weight [k, n] and a bias [n], got float32[3] · float32[3] + float32[1]"),
                new("scalar x", () => Tensor.Scalar(1f).MatMulAdd(Tensor.Zeros([1, 1]), Tensor.Zeros([1])), "needs x [..., k]"),
                new("dtypes", () => Tensor.Zeros([2, 3]).MatMulAdd(Tensor.Zeros([3, 4]), Tensor.Zeros([4], DType.Float64)), "dtypes differ"),
                new("int32", () => Tensor.FromArray(new[] { 1, 2 }, [1, 2]).MatMulAdd(Tensor.Zeros([2, 1]), Tensor.Zeros([1])), "expected a float32 or float64 tensor, got int32[1,2]"),
            ],
        };

        yield return new OpCase
        {
            Name = "AdaptiveStep",
            Samples =
                from shape in Shape()
                from alpha in Scale
                from gamma in Gen.Choose(10, 200).Select(i => i / 100.0)
                from eps in Gen.Elements(0.0, 1e-8, 0.1)
                from x in Values(Size(shape), -3, 3)
                from y in Values(Size(shape), -3, 3)
                from z in Values(Size(shape), 0.2, 4) // away from √'s pole at 0
                select new OpSample
                {
                    // α and γ are operands too (0-d tensors), so their derivatives are checked with the others'.
                    Op = "AdaptiveStep", Data = [x, [alpha], y, z, [gamma]], Shapes = [shape, [], shape, shape, []], Attrs = $"eps {eps}",
                    Apply = xs => Tensor.AdaptiveStep(xs[0], xs[1], xs[2], xs[3], xs[4], eps),
                    Reference = d => (d[0].Select((v, i) => v - d[1][0] * d[2][i] / (Math.Sqrt(d[3][i]) / d[4][0] + eps)).ToArray(), shape),
                },
            Errors = () =>
            [
                new("shapes", () => Tensor.AdaptiveStep(Tensor.Zeros([2]), 1, Tensor.Zeros([2]), Tensor.Zeros([3]), 1, 0), "operands must have one shape (no broadcasting), got float32[2] and float32[3]"),
                new("dtypes", () => Tensor.AdaptiveStep(Tensor.Zeros([2]), 1, Tensor.Zeros([2], DType.Float64), Tensor.Zeros([2]), 1, 0), "dtypes differ"),
                new("gamma", () => Tensor.AdaptiveStep(Tensor.Zeros([2]), 1, Tensor.Zeros([2]), Tensor.Zeros([2]), 0, 0), "gamma must be positive, got 0"),
                new("eps", () => Tensor.AdaptiveStep(Tensor.Zeros([2]), 1, Tensor.Zeros([2]), Tensor.Zeros([2]), 1, double.PositiveInfinity), "eps must be finite"),
                new("alpha rank", () => Tensor.AdaptiveStep(Tensor.Zeros([2]), Tensor.Zeros([1]), Tensor.Zeros([2]), Tensor.Zeros([2]), Tensor.Scalar(1.0), 0), "alpha must be a 0-d tensor, got float32[1]"),
                new("gamma dtype", () => Tensor.AdaptiveStep(Tensor.Zeros([2]), Tensor.Scalar(1.0), Tensor.Zeros([2]), Tensor.Zeros([2]), Tensor.Scalar(1.0, DType.Int32), 0), "expected a float32 or float64 tensor, got int32[]"),
            ],
        };
    }

    /// <summary>Logits [rows, classes] and labels in [0, classes), both small.</summary>
    private static Gen<(int Rows, int Classes, double[] Logits, double[] Labels)> CrossEntropyLayouts() =>
        from rows in Gen.Choose(1, 4)
        from classes in Gen.Choose(1, 5)
        from z in Values(rows * classes, -3, 3)
        from l in Gen.ArrayOf(Gen.Choose(0, classes - 1).Select(i => (double)i), rows)
        select (rows, classes, z, l);

    /// <summary>Per row, in float64: logsumexp(z) − z[label] (c null), or (softmax(z) − onehot(label))·c[r].</summary>
    private static double[] CrossEntropyReference(double[] z, double[] labels, int classes, double[]? c)
    {
        int rows = labels.Length;
        var result = new double[c is null ? rows : rows * classes];
        for (int r = 0; r < rows; r++)
        {
            var row = z.Skip(r * classes).Take(classes).ToArray();
            double m = row.Max();
            double sum = row.Sum(v => Math.Exp(v - m));
            int label = (int)labels[r];
            if (c is null)
            {
                result[r] = m + Math.Log(sum) - row[label];
                continue;
            }

            for (int j = 0; j < classes; j++)
            {
                result[r * classes + j] = (Math.Exp(row[j] - m) / sum - (j == label ? 1 : 0)) * c[r];
            }
        }

        return result;
    }
}
