using BenchmarkDotNet.Running;

namespace AutoGrad.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/AutoGrad.Benchmarks -- --filter '*'</c>
/// (or a narrower filter such as <c>*MatMul*</c>); results go to BenchmarkDotNet.Artifacts/.
/// With the single argument <c>compare</c> it times the side-by-side workloads instead (see benchmarks/compare);
/// <c>compare gemm</c> times the square products alone; <c>ab DIR_A DIR_B [ROUNDS] [SECONDS]</c> times the MLP step of two
/// builds in one process (see benchmarks/compare/ab.sh); <c>tutorial-loop [ROWS] [ROUNDS]</c> times docs/tutorial.md's MNIST loop
/// against <c>Trainer</c>; <c>fma-peak</c> measures the CPU's float32 FMA peak (see <see cref="FmaPeak"/>).
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

        if (args is ["fma-peak"])
        {
            FmaPeak.Run();
            return;
        }

        if (args is ["ab", var dirA, var dirB, ..])
        {
            AbCompare.Run(dirA, dirB, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20,
                args.Length > 4 ? double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 0.2);
            return;
        }

        if (args is ["tutorial-loop", ..])
        {
            TutorialLoopCompare.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000,
                args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
