using BenchmarkDotNet.Running;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/AutoGrad.Benchmarks -- --filter '*'</c>
/// (or a narrower filter such as <c>*MatMul*</c>); results go to BenchmarkDotNet.Artifacts/.
/// With the single argument <c>compare</c> it times the side-by-side workloads instead (see benchmarks/compare).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["compare"])
        {
            Compare.Run();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
