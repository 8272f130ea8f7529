using AutoGrad.Nn.Optim;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>Optimizers driven by <see cref="Transforms.Grad(Func{TensorTree, Tensor}, string, int)"/> in a training loop.</summary>
public class TrainingLoopTests
{
    public static TheoryData<string> Optimizers => new("sgd", "rmsprop", "adam", "adamw", "adadelta", "adamax", "nadam", "adagrad");

    private static readonly TensorTree Target = new()
    {
        { "hidden", new TensorTree { { "W", Tensor.FromArray(new[] { 1.0, -2.0, 0.5, 3.0 }, [2, 2]) }, { "b", Tensor.FromArray(new[] { 0.1, -0.3 }) } } },
        { "scale", Tensor.Scalar(2.0) },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void EveryOptimizerReducesAQuadraticLossWithGradFromTheTransforms(string name)
    {
        IOptimizer optimizer = name switch
        {
            "sgd" => new Sgd(0.05, momentum: 0.9, nesterov: true),
            "rmsprop" => new RmsProp(0.02),
            "adam" => new Adam(0.05),
            "adamw" => new AdamW(0.05),
            "adadelta" => new Adadelta(10.0),
            "adamax" => new Adamax(0.05),
            "nadam" => new NAdam(0.05),
            "adagrad" => new Adagrad(0.5),
            _ => throw new ArgumentException(name),
        };
        var parameters = Target.Map(Tensor.ZerosLike);
        var state = optimizer.Init(parameters);
        double initial = Loss(parameters).Item();
        for (int step = 0; step < 200; step++)
        {
            (parameters, state) = optimizer.Update(Grad(Loss)(parameters), state, parameters);
        }

        double final = Loss(parameters).Item();
        Assert.True(final < 0.1 * initial, $"{optimizer}: loss {initial} → {final} after 200 steps");
    }

    [Fact]
    public void DocumentedLoopWithWarmupCosineAndClippingConverges()
    {
        var optimizer = new Adam(new LinearWarmupSchedule(new CosineSchedule(0.1, tMax: 300), warmupSteps: 20));
        var parameters = Target.Map(Tensor.ZerosLike);
        var state = optimizer.Init(parameters);
        double firstNorm = double.NaN;
        for (int step = 0; step < 320; step++)
        {
            var grads = Grad(Loss)(parameters);
            (grads, double norm) = GradientClipping.ClipByGlobalNorm(grads, maxNorm: 1.0);
            firstNorm = step == 0 ? norm : firstNorm;
            (parameters, state) = optimizer.Update(grads, state, parameters);
        }

        Assert.True(firstNorm > 1.0, "the first gradients should have been clipped");
        Assert.True(Loss(parameters).Item() < 1e-4, $"loss {Loss(parameters).Item()}");
        Assert.Equal(320, (int)state["step"].Item());
    }

    private static Tensor Loss(TensorTree p)
    {
        var diff = Target.Leaves().Zip(p.Leaves()).Select(pair => pair.Second.Value - pair.First.Value);
        return diff.Select(d => (d * d).Sum()).Aggregate((a, b) => a + b);
    }
}
