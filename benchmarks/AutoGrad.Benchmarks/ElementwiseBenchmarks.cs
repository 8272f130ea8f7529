using BenchmarkDotNet.Attributes;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Elementwise ops and reductions on float32 vectors of 100, 10k and 1M elements, each in a
/// <see cref="TensorScope"/> as a training step would run them, so the output buffer comes from the pool.
/// </summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private Tensor _x = null!;
    private Tensor _y = null!;
    private Tensor _row = null!;

    [Params(100, 10_000, 1_000_000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(2);
        _x = Tensor.RandomNormal([Size], g);
        _y = Tensor.RandomNormal([Size], g);
        _row = Tensor.RandomNormal([Size / 100, 100], g);
    }

    [Benchmark]
    public void Add()
    {
        using var scope = TensorScope.Begin();
        _ = _x + _y;
    }

    [Benchmark]
    public void Exp()
    {
        using var scope = TensorScope.Begin();
        _ = _x.Exp();
    }

    [Benchmark]
    public void Tanh()
    {
        using var scope = TensorScope.Begin();
        _ = _x.Tanh();
    }

    [Benchmark]
    public void Sum()
    {
        using var scope = TensorScope.Begin();
        _ = _x.Sum();
    }

    [Benchmark]
    public void SoftmaxRows()
    {
        using var scope = TensorScope.Begin();
        _ = _row.Softmax(-1);
    }
}
