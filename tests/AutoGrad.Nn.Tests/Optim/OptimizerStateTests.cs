using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>
/// Optimizers are values plus pure functions: the state tree is everything they remember, Update mutates
/// nothing, and the state is laid out as documented.
/// </summary>
public class OptimizerStateTests
{
    /// <summary>One configuration per optimizer, each with the most state that optimizer can have.</summary>
    public static TheoryData<string> RichestConfigs => new(
        "sgd_nesterov_weight_decay", "rmsprop_centered_momentum", "adam_amsgrad", "adamw_amsgrad",
        "adadelta_weight_decay", "adamax_weight_decay", "nadam_weight_decay", "adagrad_lr_decay");

    /// <summary>Every optimizer with non-default settings, and the state keys it documents.</summary>
    public static TheoryData<string, string[]> DocumentedLayouts => new()
    {
        { "sgd", ["step"] },
        { "sgd_momentum", ["step", "momentum"] },
        { "rmsprop_defaults", ["step", "square_avg"] },
        { "rmsprop_centered_momentum", ["step", "square_avg", "grad_avg", "momentum"] },
        { "adam", ["step", "m", "v"] },
        { "adam_amsgrad", ["step", "m", "v", "v_max"] },
        { "adamw_amsgrad", ["step", "m", "v", "v_max"] },
        { "adadelta_defaults", ["step", "square_avg", "acc_delta"] },
        { "adamax_defaults", ["step", "m", "u"] },
        { "nadam_defaults", ["step", "mu_product", "m", "v"] },
        { "adagrad_lr_decay", ["step", "sum"] },
    };

    [Theory]
    [MemberData(nameof(RichestConfigs))]
    public void UpdateTwiceWithTheSameInputsGivesTheSameResultAndLeavesTheInputsUnchanged(string name)
    {
        var config = OptimizerFixture.Config(name);
        var optimizer = OptimizerFixture.CreateOptimizer(config, out _);
        var (parameters, state) = Run(optimizer, config, steps: 2);
        var gradients = OptimizerFixture.Tree(config.Steps[2].Gradients);
        var before = (Snapshot(parameters), Snapshot(state), Snapshot(gradients));

        var first = optimizer.Update(gradients, state, parameters);
        var second = optimizer.Update(gradients, state, parameters);

        Assert.Equal(Snapshot(first.Parameters), Snapshot(second.Parameters));
        Assert.Equal(Snapshot(first.State), Snapshot(second.State));
        Assert.Equal(before, (Snapshot(parameters), Snapshot(state), Snapshot(gradients)));
        Assert.NotEqual(Snapshot(parameters), Snapshot(first.Parameters));
        Assert.Equal(2, (int)state["step"].Item());
        Assert.Equal(3, (int)first.State["step"].Item());
    }

    [Theory]
    [MemberData(nameof(RichestConfigs))]
    public void ACopyOfTheStateResumesExactlyOnAnotherOptimizerInstance(string name)
    {
        var config = OptimizerFixture.Config(name);
        var optimizer = OptimizerFixture.CreateOptimizer(config, out _);
        var (parameters, state) = Run(optimizer, config, steps: 2);

        // Rebuild every tensor from its values, as if loaded from disk, and continue with a new instance.
        static TensorTree Copy(TensorTree tree) => tree.Map(t => Tensor.FromArray(t.ToDoubleArray(), t.Shape.ToArray()).To(t.DType));
        var resumed = OptimizerFixture.CreateOptimizer(config, out _);
        var (p1, s1) = (parameters, state);
        var (p2, s2) = (Copy(parameters), Copy(state));
        for (int k = 2; k < config.Steps.Count; k++)
        {
            var gradients = OptimizerFixture.Tree(config.Steps[k].Gradients);
            (p1, s1) = optimizer.Update(gradients, s1, p1);
            (p2, s2) = resumed.Update(gradients, s2, p2);
        }

        Assert.Equal(Snapshot(p1), Snapshot(p2));
        Assert.Equal(Snapshot(s1), Snapshot(s2));
    }

    [Theory]
    [MemberData(nameof(DocumentedLayouts))]
    public void InitLaysOutTheDocumentedStateWithSlotsShapedLikeTheParameters(string name, string[] keys)
    {
        var optimizer = OptimizerFixture.CreateOptimizer(OptimizerFixture.Config(name), out _);
        var parameters = new TensorTree
        {
            { "hidden", new TensorTree { { "W", Tensor.Ones([3, 2], DType.Float32) }, { "b", Tensor.Ones([2], DType.Float32) } } },
            { "scale", Tensor.Ones([], DType.Float64) },
        };

        var state = optimizer.Init(parameters);

        Assert.Equal(keys, state.Keys);
        var step = state["step"];
        Assert.Equal((DType.Int32, 0, 0.0), (step.DType, step.Rank, step.Item()));
        foreach (var key in keys.Where(k => k is not "step" and not "mu_product"))
        {
            var slot = state.Subtree(key);
            Assert.True(slot.HasSameStructure(parameters), $"state '{key}' should have the parameters' structure");
            foreach (var ((_, s), (path, p)) in slot.Leaves().Zip(parameters.Leaves()))
            {
                Assert.Equal((p.DType, p.Shape), (s.DType, s.Shape));
                double expected = name == "adagrad_lr_decay" ? 0.2 : 0.0;
                expected = s.DType == DType.Float32 ? (float)expected : expected;
                Assert.All(s.ToDoubleArray(), v => Assert.Equal(expected, v));
            }
        }

        var (_, next) = optimizer.Update(parameters.Map(Tensor.OnesLike), state, parameters);
        Assert.Equal(keys, next.Keys);
    }

    [Fact]
    public void NAdamKeepsItsMuProductInFloat64ForFloat32Parameters()
    {
        var optimizer = new NAdam();
        var parameters = TensorTree.Leaf(Tensor.FromArray(new[] { 1f, 2f }));
        var (_, state) = optimizer.Update(parameters, optimizer.Init(parameters), parameters);
        var muProduct = state["mu_product"];
        double mu1 = 0.9 * (1 - 0.5 * Math.Pow(0.96, 0.004));
        Assert.Equal((DType.Float64, mu1), (muProduct.DType, muProduct.Item()));
    }

    [Fact]
    public void ARootLeafOfParametersIsUpdatedLikeANamedOne()
    {
        var optimizer = new Adam(0.1);
        var leaf = TensorTree.Leaf(Tensor.FromArray(new[] { 1.0, -2.0 }));
        var named = new TensorTree { { "x", Tensor.FromArray(new[] { 1.0, -2.0 }) } };
        var (p1, _) = optimizer.Update(leaf, optimizer.Init(leaf), leaf);
        var (p2, _) = optimizer.Update(named, optimizer.Init(named), named);
        Assert.True(p1.IsLeaf);
        Assert.Equal(p2["x"].ToDoubleArray(), p1.Value.ToDoubleArray());

        // First Adam step: m̂ = g and v̂ = g², so each element moves by lr·g / (|g| + eps).
        Tolerance.AssertClose([1 - 0.1 / (1 + 1e-8), -2 + 0.2 / (2 + 1e-8)], p1.Value.ToDoubleArray(), 1e-15, "first Adam step");
    }

    [Fact]
    public void AScheduleIsEvaluatedAtTheStepCounterInTheState()
    {
        var optimizer = new Sgd(new StepSchedule(1.0, stepSize: 1, gamma: 0.5));
        var parameters = TensorTree.Leaf(Tensor.FromArray(new[] { 0.0 }));
        var gradients = TensorTree.Leaf(Tensor.FromArray(new[] { 1.0 }));
        var state = optimizer.Init(parameters);
        for (int k = 0; k < 3; k++)
        {
            (parameters, state) = optimizer.Update(gradients, state, parameters);
        }

        Assert.Equal(-(1.0 + 0.5 + 0.25), parameters.Value.Item());

        // Replaying from a state whose counter says 10 uses the rate for step 10.
        var late = new TensorTree { { "step", Tensor.Scalar(10, DType.Int32) } };
        var (after, _) = optimizer.Update(gradients, late, TensorTree.Leaf(Tensor.FromArray(new[] { 0.0 })));
        Assert.Equal(-Math.Pow(0.5, 10), after.Value.Item());
    }

    private static (TensorTree Parameters, TensorTree State) Run(IOptimizer optimizer, FixtureConfig config, int steps)
    {
        var parameters = OptimizerFixture.InitialParameters();
        var state = optimizer.Init(parameters);
        for (int k = 0; k < steps; k++)
        {
            (parameters, state) = optimizer.Update(OptimizerFixture.Tree(config.Steps[k].Gradients), state, parameters);
        }

        return (parameters, state);
    }

    /// <summary>Every leaf's path, dtype, shape and values, for exact comparison.</summary>
    private static string Snapshot(TensorTree tree) => string.Join("\n", tree.Leaves().Select(l =>
        $"{l.Path} {l.Value.DType}{l.Value.Shape} {string.Join(",", l.Value.ToDoubleArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}"));
}
