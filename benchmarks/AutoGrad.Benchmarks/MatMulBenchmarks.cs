using BenchmarkDotNet.Attributes;

namespace AutoGrad.Benchmarks;

/// <summary>Square float32 matrix products, forward only (2n³ flops each).</summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    private Tensor _a = null!;
    private Tensor _b = null!;

    [Params(64, 256, 512)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        _a = Tensor.RandomNormal([N, N], g);
        _b = Tensor.RandomNormal([N, N], g);
    }

    [Benchmark]
    public Tensor MatMul() => _a.MatMul(_b);
}
