namespace AutoGrad.Benchmarks;

/// <summary>
/// The 784-512-10 training step both benchmark programs time (BenchmarkDotNet's MlpStepBenchmarks and the side-by-side
/// comparison): the library's dense-layer product (MatMulAdd, as nn.Linear's addmm), its fused softmax cross-entropy (as
/// nn.CrossEntropyLoss) and its SGD (as torch.optim.SGD, one fused pass per parameter).
/// </summary>
internal static class MlpWorkload
{
    /// <summary>The mean cross-entropy of the network on a batch of inputs <paramref name="x"/> and int32 labels.</summary>
    public static Tensor Loss(TensorTree p, Tensor x, Tensor labels)
    {
        var h = x.MatMulAdd(p["W1"], p["b1"]).Sigmoid();
        return Nn.Losses.Loss.CrossEntropy(h.MatMulAdd(p["W2"], p["b2"]), labels);
    }

    /// <summary>
    /// The step as Trainer runs it: a CompiledStep that owns the parameters and SGD's state (updated in place, as
    /// torch.optim.SGD updates its parameters), taking a batch { x, y } and returning its loss.
    /// </summary>
    public static CompiledStep Compiled(TensorTree parameters, Nn.Optim.Sgd sgd) =>
        new(new TensorTree { { "params", parameters }, { "opt", sgd.Init(parameters) } }, (s, batch) =>
        {
            var (loss, grads) = Transforms.ValueAndGrad((TensorTree q) => Loss(q, batch["x"], batch["y"]))(s.Subtree("params"));
            var (nextParams, nextOpt) = sgd.Update(grads, s.Subtree("opt"), s.Subtree("params"));
            return (new TensorTree { { "params", nextParams }, { "opt", nextOpt } }, new TensorTree { { "loss", loss } });
        });
}
