using FsCheck;
using FsCheck.Fluent;
using static AutoGrad.Tests.Support.Gens;

namespace AutoGrad.Tests.Support;

/// <summary>The Custom primitive, exercised through a user log-sum-exp whose VJP rule is the softmax.</summary>
public static partial class OpCases
{
    /// <summary>Log-sum-exp over the last axis with a hand-written, stable gradient; the JVP falls back to differentiating the forward.</summary>
    private static readonly Func<Tensor, Tensor> CustomLogSumExp = Custom.Vjp(
        (Tensor x) =>
        {
            var m = x.Max(-1, keepDims: true).Detach();
            return (x - m).Exp().Sum(-1).Log() + m.Squeeze(-1);
        },
        (x, y, g) => g.Unsqueeze(-1) * (x - y.Unsqueeze(-1)).Exp(),
        name: "logsumexp");

    private static IEnumerable<OpCase> CustomCases()
    {
        yield return new OpCase
        {
            Name = "Custom",
            Samples =
                from shape in Shape(minRank: 1, maxRank: 3, allowZero: false)
                from values in Values(Size(shape), -4, 4)
                select Single("Custom", shape, values, "logsumexp over the last axis", x => CustomLogSumExp(x),
                    d => Ref.Reduce(d, shape, [shape.Length - 1], false, g => Math.Log(g.Sum(Math.Exp)))),
            Errors = () =>
            [
                new("VJP rule of the wrong shape",
                    () => Transforms.Grad((Tensor t) => Custom.Vjp((Tensor x) => x.Sum(), (x, y, g) => g, name: "bad")(t))(Tensor.Ones([3], DType.Float64)),
                    "the VJP rule's cotangent 0 must match its input float64[3], got float64[]", "Custom(bad)"),
                new("null input", () => Custom.Vjp((Tensor x) => x, (x, y, g) => g)(null!), "input 0 is null", "Custom(custom)"),
            ],
        };
    }
}
