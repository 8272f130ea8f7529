using AutoGrad.Backends.Cpu;
using BenchmarkDotNet.Attributes;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Square float32 matrix products (2n³ flops each): the public MatMul (packed, register-tiled kernel) and,
/// in the same run, the reference row kernel it replaced, so the two compare as a ratio.
/// </summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    private Tensor _a = null!;
    private Tensor _b = null!;
    private float[] _ra = null!;
    private float[] _rb = null!;
    private float[] _rc = null!;

    [Params(64, 256, 512, 1024)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        _a = Tensor.RandomNormal([N, N], g);
        _b = Tensor.RandomNormal([N, N], g);
        (_ra, _rb, _rc) = (_a.ToFloatArray(), _b.ToFloatArray(), new float[N * N]);
    }

    [Benchmark(Baseline = true)]
    public float[] RowKernel()
    {
        CpuBackend.ReferenceMatMul(1, N, N, N, _ra, false, _rb, false, _rc);
        return _rc;
    }

    [Benchmark]
    public Tensor MatMul() => _a.MatMul(_b);
}
