using BenchmarkDotNet.Attributes;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Tape overhead: a chain of 1000 scalar ops (add, mul, tanh on 0-d tensors), forward and backward.
/// Divide by 1000 for the cost per op.
/// </summary>
[MemoryDiagnoser]
public class TapeBenchmarks
{
    private readonly Func<Tensor, Tensor> _grad = Transforms.Grad((Tensor x) =>
    {
        var y = x;
        for (int i = 0; i < 333; i++)
        {
            y = (y + 0.5) * 0.9;
            y = y.Tanh();
        }

        return y;
    });

    private readonly Tensor _x = Tensor.Scalar(0.3f);

    [Benchmark]
    public Tensor ScalarChain1000() => _grad(_x);
}
