using BenchmarkDotNet.Running;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/AutoGrad.Benchmarks -- --filter '*'</c>
/// (or a narrower filter such as <c>*MatMul*</c>); results go to BenchmarkDotNet.Artifacts/.
/// With the single argument <c>compare</c> it times the side-by-side workloads instead (see benchmarks/compare);
/// <c>compare gemm</c> times the square products alone.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["compare"] or ["compare", "gemm"])
        {
            Compare.Run(gemmOnly: args.Length == 2);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
