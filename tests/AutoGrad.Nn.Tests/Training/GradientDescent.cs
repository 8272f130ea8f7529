using AutoGrad.Nn.Optim;

namespace AutoGrad.Nn.Tests.Training;

/// <summary>The plainest update, p ← p − lr·g, for tests of the training loop independent of the optimizers.</summary>
public sealed class GradientDescent(double learningRate) : IOptimizer
{
    public string Name => "gd";

    public Schedule LearningRate { get; } = learningRate;

    public TensorTree Init(TensorTree parameters) => new() { { "step", Tensor.Scalar(0.0) } };

    public (TensorTree Parameters, TensorTree State) Update(TensorTree gradients, TensorTree state, TensorTree parameters) =>
        (parameters.Zip(gradients, (p, g) => p - g * learningRate), new TensorTree { { "step", state["step"] + 1.0 } });
}
