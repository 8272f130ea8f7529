using AutoGrad.Nn.Optim;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>
/// Updates with donated parameters and state (what <c>Trainer</c> does after the first step) give bitwise the
/// values of updates without, and every donated buffer is really taken: the old trees fail on use.
/// </summary>
public class DonationTests
{
    public static TheoryData<string> ConfigNames => new(OptimizerFixture.Configs.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(ConfigNames))]
    public void DonatedUpdatesMatchPlainOnesAndTakeEveryParameterAndSlotBuffer(string name)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var config = OptimizerFixture.Config(name);
            var optimizer = OptimizerFixture.CreateOptimizer(config, out _);
            var plain = OptimizerFixture.InitialParameters(dtype);
            var plainState = optimizer.Init(plain);
            var donated = OptimizerFixture.InitialParameters(dtype);
            var donatedState = optimizer.Init(donated);
            for (int k = 0; k < config.Steps.Count; k++)
            {
                var gradients = OptimizerFixture.Tree(config.Steps[k].Gradients, dtype);
                if (config.ClipMaxNorm is { } maxNorm)
                {
                    gradients = GradientClipping.ClipByGlobalNorm(gradients, maxNorm).Gradients;
                }

                (plain, plainState) = optimizer.Update(gradients, plainState, plain);
                var (oldParameters, oldState) = (donated, donatedState);
                (donated, donatedState) = optimizer.Update(gradients, donatedState, donated, Donation.Parameters | Donation.State);

                Assert.Equal(Snapshot(plain), Snapshot(donated));
                Assert.Equal(Snapshot(plainState), Snapshot(donatedState));
                foreach (var (path, old) in oldParameters.Leaves())
                {
                    Assert.True(Taken(old), $"{name} {dtype.Name()} step {k}: parameter {path} was not updated in place");
                }

                foreach (var (path, old) in oldState.Leaves().Where(l => l.Path is not "step" and not "mu_product"))
                {
                    // A slot that an update replaces by another tensor (SGD's momentum at step 0 is the gradient) has nothing to overwrite.
                    bool replacedOutright = k == 0 && path.StartsWith("momentum", StringComparison.Ordinal) && config.Optimizer == "SGD";
                    Assert.True(replacedOutright || Taken(old), $"{name} {dtype.Name()} step {k}: state {path} was not updated in place");
                }

                Assert.All(gradients.Leaves(), l => Assert.False(Taken(l.Value))); // gradients are never donated
            }
        }
    }

    [Fact]
    public void WithoutDonationTheOldTreesStayValid()
    {
        var optimizer = new Adam(0.1);
        var parameters = TensorTree.Leaf(Tensor.FromArray(new[] { 1.0, -2.0 }));
        var state = optimizer.Init(parameters);
        var before = (Snapshot(parameters), Snapshot(state));
        _ = optimizer.Update(parameters.Map(Tensor.OnesLike), state, parameters, Donation.None);
        Assert.Equal(before, (Snapshot(parameters), Snapshot(state)));
    }

    [Fact]
    public void AnOptimizerWithoutItsOwnDonatingUpdateIgnoresTheOffer()
    {
        IOptimizer optimizer = new PlainStep();
        var parameters = TensorTree.Leaf(Tensor.FromArray(new[] { 1.0, -2.0 }));
        var (next, _) = optimizer.Update(parameters.Map(Tensor.OnesLike), optimizer.Init(parameters), parameters, Donation.Parameters | Donation.State);
        Assert.Equal(new[] { 0.5, -2.5 }, next.Value.ToDoubleArray());
        Assert.Equal(new[] { 1.0, -2.0 }, parameters.Value.ToDoubleArray());
    }

    /// <summary>A user's optimizer that knows nothing of donation: w − ½·(g + 0·w), reading w twice.</summary>
    private sealed class PlainStep : IOptimizer
    {
        public string Name => "plain";

        public Schedule LearningRate => new ConstantSchedule(0.5);

        public TensorTree Init(TensorTree parameters) => [];

        public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
            (parameters.Zip(gradients, (w, g) => w - (g + w * 0.0) * 0.5), state);
    }

    private static bool Taken(Tensor t)
    {
        try
        {
            _ = t.ToDoubleArray();
            return false;
        }
        catch (ObjectDisposedException e) when (e.Message.Contains("donated to", StringComparison.Ordinal))
        {
            return true;
        }
    }

    private static string Snapshot(TensorTree tree) => string.Join("\n", tree.Leaves().Select(l =>
        $"{l.Path} {l.Value.DType}{l.Value.Shape} {string.Join(",", l.Value.ToDoubleArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}"));
}
