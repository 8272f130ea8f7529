using BenchmarkDotNet.Attributes;

namespace AutoGrad.Benchmarks;

/// <summary>Elementwise ops and reductions on float32 vectors of 100, 10k and 1M elements.</summary>
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
    public Tensor Add() => _x + _y;

    [Benchmark]
    public Tensor Exp() => _x.Exp();

    [Benchmark]
    public Tensor Tanh() => _x.Tanh();

    [Benchmark]
    public Tensor Sum() => _x.Sum();

    [Benchmark]
    public Tensor SoftmaxRows() => _row.Softmax(-1);
}
