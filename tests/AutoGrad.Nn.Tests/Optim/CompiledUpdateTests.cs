using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>
/// Optimizer updates inside Transforms.Jit: those that need no host value of the step counter replay bitwise like the
/// eager update, counter included (the Adam family's bias corrections are tensor ops on it); those that do (learning-rate schedules)
/// say so while tracing.
/// </summary>
public class CompiledUpdateTests
{
    private static TensorTree Parameters() => new()
    {
        { "W", Tensor.FromArray(new[] { 0.5, -1.0, 2.0, 0.25, -0.75, 1.5 }, [2, 3]) },
        { "b", Tensor.FromArray(new[] { 0.1, -0.2, 0.3 }) },
    };

    private static TensorTree Step(IOptimizer optimizer, TensorTree s)
    {
        var grads = Transforms.Grad((TensorTree p) => (s["x"].MatMulAdd(p["W"], p["b"]).Tanh() * s["t"]).Sum())(s.Subtree("params"));
        var (p, state) = optimizer.Update(grads, s.Subtree("state"), s.Subtree("params"));
        return new TensorTree { { "params", p }, { "state", state } };
    }

    public static TheoryData<string> Traceable => new(["sgd", "sgd momentum", "sgd nesterov", "rmsprop centered", "adagrad", "adadelta", "adam", "adam amsgrad", "adamw", "adamax", "nadam"]);

    private static IOptimizer Make(string name) => name switch
    {
        "sgd" => new Sgd(0.1, weightDecay: 0.01),
        "sgd momentum" => new Sgd(0.1, momentum: 0.9),
        "sgd nesterov" => new Sgd(0.1, momentum: 0.9, nesterov: true),
        "rmsprop centered" => new RmsProp(0.01, momentum: 0.5, centered: true),
        "adagrad" => new Adagrad(0.1),
        "adadelta" => new Adadelta(1.0),
        "adam" => new Adam(0.01, weightDecay: 0.01),   // bias corrections from the counter as tensor ops
        "adam amsgrad" => new Adam(0.01, amsgrad: true),
        "adamw" => new AdamW(0.01),
        "adamax" => new Adamax(0.01, weightDecay: 0.01),
        "nadam" => new NAdam(0.01),                      // its momentum schedule's running product is state, as a tensor
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Traceable))]
    public void UpdatesThatNeedNoHostCounterReplayBitwiseLikeEager(string name)
    {
        var optimizer = Make(name);
        var x = Tensor.FromArray(new[] { 1.0, -0.5, 0.25, 2.0 }, [2, 2]);
        var t = Tensor.FromArray(new[] { 0.3, -0.6, 0.9, 1.2, 0.0, -0.4 }, [2, 3]);
        int traces = 0;
        var compiled = Transforms.Jit(s =>
        {
            traces++;
            return Step(optimizer, s);
        });
        var eager = new TensorTree { { "params", Parameters() }, { "state", optimizer.Init(Parameters()) } };
        var replayed = eager;
        for (int i = 0; i < 4; i++)
        {
            eager = Step(optimizer, new TensorTree { { "params", eager.Subtree("params") }, { "state", eager.Subtree("state") }, { "x", x }, { "t", t } });
            replayed = compiled(new TensorTree { { "params", replayed.Subtree("params") }, { "state", replayed.Subtree("state") }, { "x", x }, { "t", t } });
            var e = eager.Leaves();
            var r = replayed.Leaves();
            Assert.Equal(e.Select(l => l.Path), r.Select(l => l.Path));
            for (int k = 0; k < e.Count; k++)
            {
                Assert.True(e[k].Value.ToDoubleArray().SequenceEqual(r[k].Value.ToDoubleArray()), $"{name}, step {i}: '{e[k].Path}' differs");
            }
        }

        Assert.Equal(4.0, replayed["state.step"].Item());
        Assert.Equal(1, traces);
    }

    [Theory]
    [InlineData("scheduled adam")]
    [InlineData("scheduled sgd")]
    public void UpdatesThatReadTheCounterOnTheHostSaySoWhileTracing(string name)
    {
        IOptimizer optimizer = name switch
        {
            "scheduled adam" => new Adam(new ExponentialSchedule(0.01, 0.9)),
            _ => new Sgd(new ExponentialSchedule(0.1, 0.9)),
        };
        var compiled = Transforms.Jit(s => Step(optimizer, s));
        var inputs = new TensorTree
        {
            { "params", Parameters() },
            { "state", optimizer.Init(Parameters()) },
            { "x", Tensor.FromArray(new[] { 1.0, -0.5, 0.25, 2.0 }, [2, 2]) },
            { "t", Tensor.Ones([2, 3], DType.Float64) },
        };
        var e = Assert.Throws<JitTraceException>(() => compiled(inputs));
        Assert.Contains($"{optimizer.GetType().Name}.Update reads its step counter back to the host", e.Message);
        Assert.Contains("outside the compiled function", e.Message);
    }
}
