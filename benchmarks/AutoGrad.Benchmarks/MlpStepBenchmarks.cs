using BenchmarkDotNet.Attributes;

namespace AutoGrad.Benchmarks;

/// <summary>
/// One training step of a 784-512-10 MLP in float32: forward, the library's softmax cross-entropy on integer labels,
/// backward through Grad over a parameter tree, and the library's SGD update, in one <see cref="TensorScope"/> per
/// step as <c>Trainer</c> runs it (the memory diagnoser then shows what a steady-state step still allocates);
/// and the same step as a <see cref="CompiledStep"/> (recorded once, replayed kernel by kernel, its parameters and optimizer
/// state updated in place).
/// </summary>
[MemoryDiagnoser]
public class MlpStepBenchmarks
{
    private TensorTree _params = null!;
    private Tensor _x = null!;
    private Tensor _labels = null!;
    private Func<TensorTree, TensorTree> _grad = null!;

    [Params(1, 32, 128, 512)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(3);
        _params = new TensorTree
        {
            { "W1", Tensor.RandomNormal([784, 512], g, std: 0.05) },
            { "b1", Tensor.Zeros([512]) },
            { "W2", Tensor.RandomNormal([512, 10], g, std: 0.05) },
            { "b2", Tensor.Zeros([10]) },
        };
        _x = Tensor.RandomUniform([Batch, 784], g);
        _labels = Tensor.FromArray(Enumerable.Range(0, Batch).Select(i => i % 10).ToArray());
        _grad = Transforms.Grad((TensorTree p) => MlpWorkload.Loss(p, _x, _labels));
        _compiled = MlpWorkload.Compiled(_params.Map(t => t * 1f), _sgd);
        _batch = new TensorTree { { "x", _x }, { "y", _labels } };
    }

    [Benchmark]
    public void CompiledTrainStep()
    {
        using var scope = TensorScope.Begin();
        _compiled.Run(_batch);
    }

    private readonly Nn.Optim.Sgd _sgd = new(0.1);
    private CompiledStep _compiled = null!;
    private TensorTree _batch = null!;
    private TensorTree _state = null!;
    private bool _ownsParams;

    [Benchmark]
    public void TrainStep()
    {
        _state ??= _sgd.Init(_params);
        using var scope = TensorScope.Begin();
        // Trainer's step: the trees it releases after the update are donated to it (updated in place).
        var donate = _ownsParams ? Nn.Optim.Donation.Parameters | Nn.Optim.Donation.State : Nn.Optim.Donation.None;
        var (nextParams, nextState) = _sgd.Update(_grad(_params), _state, _params, donate);
        scope.Keep(nextParams);
        scope.Keep(nextState);
        if (_ownsParams)
        {
            TensorScope.Release(_params, except: nextParams);
            TensorScope.Release(_state, except: nextState);
        }

        _ownsParams = true;
        (_params, _state) = (nextParams, nextState);
    }
}
