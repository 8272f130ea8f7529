using BenchmarkDotNet.Running;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/AutoGrad.Benchmarks -- --filter '*'</c>
/// (or a narrower filter such as <c>*MatMul*</c>). Results go to BenchmarkDotNet.Artifacts/.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
