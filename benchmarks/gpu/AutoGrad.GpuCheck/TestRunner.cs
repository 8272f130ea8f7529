using System.Diagnostics;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AutoGrad.GpuCheck;

/// <summary>
/// Runs the xunit v2 tests of AutoGrad.Gpu.Tests in this process through xunit's own engine (xunit.execution's
/// <see cref="XunitTestFramework"/>: its discoverer, then its executor, reporting to a message sink), on the device named by
/// <c>AUTOGRAD_GPU_TEST_DEVICE</c>, so that a machine without the .NET SDK (no <c>dotnet test</c>) runs the same suite from a
/// self-contained executable. Theories are enumerated before the run, as <c>dotnet test</c> does, so the counts match it.
/// Tests run one at a time by default: a device is meant for one thread at a time.
/// </summary>
internal static class TestRunner
{
    /// <summary>The variable the tests read (tests/AutoGrad.Gpu.Tests/Backends.cs).</summary>
    public const string DeviceVariable = "AUTOGRAD_GPU_TEST_DEVICE";

    public static int Run(string device, string? filter, bool parallel, bool verbose)
    {
        Environment.SetEnvironmentVariable(DeviceVariable, device);
        var clock = Stopwatch.StartNew();
        try
        {
            _ = Program.OpenDevice(device); // one clear line instead of every test failing the same way
        }
        catch (Exception e) when (e is not UsageException)
        {
            Console.WriteLine($"cannot open device {device}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine("0 passed, 0 failed, 0 skipped");
            return 1;
        }

        var assembly = Assembly.Load(new AssemblyName("AutoGrad.Gpu.Tests"));
        Console.WriteLine($"AutoGrad.Gpu.Tests on {device} ({(parallel ? "test classes in parallel" : "one test at a time")}{(filter is null ? "" : $", names containing '{filter}'")})");

        var diagnostics = new DiagnosticSink();
        using var framework = new XunitTestFramework(diagnostics);
        using var discoverer = framework.GetDiscoverer(Reflector.Wrap(assembly));
        var discovery = new DiscoverySink();
        var discoveryOptions = new Options { ["xunit.discovery.PreEnumerateTheories"] = true };
        discoverer.Find(includeSourceInformation: false, discovery, discoveryOptions);
        discovery.Finished.WaitOne();
        var cases = discovery.TestCases
            .Where(c => filter is null || c.DisplayName.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .ToList();
        Console.WriteLine($"discovered {discovery.TestCases.Count} test cases, running {cases.Count}");

        using var executor = framework.GetExecutor(assembly.GetName());
        var execution = new ExecutionSink(verbose);
        var executionOptions = new Options
        {
            ["xunit.execution.DisableParallelization"] = !parallel,
            ["xunit.execution.MaxParallelThreads"] = parallel ? Environment.ProcessorCount : 1,
        };
        executor.RunTests(cases, execution, executionOptions);
        execution.Finished.WaitOne();

        Console.WriteLine();
        foreach (var (name, seconds) in execution.Slowest.OrderByDescending(t => t.Seconds).Take(5))
        {
            Console.WriteLine($"slow: {seconds,7:F2} s  {name}");
        }

        Console.WriteLine($"device {device}: {execution.Passed + execution.Failed + execution.Skipped} tests in {clock.Elapsed.TotalSeconds:F1} s" +
            (execution.Errors > 0 ? $", {execution.Errors} errors outside tests" : ""));
        Console.WriteLine($"{execution.Passed} passed, {execution.Failed} failed, {execution.Skipped} skipped");
        return execution.Failed == 0 && execution.Errors == 0 && cases.Count > 0 ? 0 : 1;
    }

    /// <summary>Discovery and execution options: xunit reads them by name and falls back to its defaults for the rest.</summary>
    private sealed class Options : Dictionary<string, object?>, ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        public TValue GetValue<TValue>(string name) => TryGetValue(name, out var v) && v is TValue t ? t : default!;

        public void SetValue<TValue>(string name, TValue value) => this[name] = value;
    }

    private sealed class DiagnosticSink : LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is IDiagnosticMessage d)
            {
                Console.WriteLine($"[xunit] {d.Message}");
            }

            return true;
        }
    }

    private sealed class DiscoverySink : LongLivedMarshalByRefObject, IMessageSink
    {
        public List<ITestCase> TestCases { get; } = [];

        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestCaseDiscoveryMessage found:
                    TestCases.Add(found.TestCase);
                    break;
                case IDiscoveryCompleteMessage:
                    Finished.Set();
                    break;
                case IErrorMessage error:
                    Console.WriteLine($"[discovery error] {string.Join(" | ", error.Messages)}");
                    break;
            }

            return true;
        }
    }

    private sealed class ExecutionSink(bool verbose) : LongLivedMarshalByRefObject, IMessageSink
    {
        public int Passed { get; private set; }

        public int Failed { get; private set; }

        public int Skipped { get; private set; }

        /// <summary>Failures outside any one test: a class's or collection's setup or cleanup, a catastrophic error.</summary>
        public int Errors { get; private set; }

        public List<(string Name, double Seconds)> Slowest { get; } = [];

        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestPassed passed:
                    Passed++;
                    Slowest.Add((passed.Test.DisplayName, (double)passed.ExecutionTime));
                    if (verbose)
                    {
                        Console.WriteLine($"[pass] {passed.ExecutionTime,7:F3} s  {passed.Test.DisplayName}");
                    }

                    break;
                case ITestFailed failed:
                    Failed++;
                    Slowest.Add((failed.Test.DisplayName, (double)failed.ExecutionTime));
                    Console.WriteLine($"[FAIL] {failed.ExecutionTime,7:F3} s  {failed.Test.DisplayName}");
                    for (int i = 0; i < failed.Messages.Length; i++)
                    {
                        Console.WriteLine($"       {failed.ExceptionTypes[i]}: {failed.Messages[i]}");
                        foreach (var line in (failed.StackTraces[i] ?? "").Split('\n').Where(l => l.Length > 0).Take(8))
                        {
                            Console.WriteLine($"         {line.TrimEnd()}");
                        }
                    }

                    if (!string.IsNullOrEmpty(failed.Output))
                    {
                        Console.WriteLine($"       output: {failed.Output.TrimEnd()}");
                    }

                    break;
                case ITestSkipped skipped:
                    Skipped++;
                    Console.WriteLine($"[skip] {skipped.Test.DisplayName}: {skipped.Reason}");
                    break;
                case IErrorMessage error:
                    Errors++;
                    Console.WriteLine($"[ERROR] {string.Join(" | ", error.ExceptionTypes.Zip(error.Messages, (t, m) => $"{t}: {m}"))}");
                    break;
                case IFailureInformation failure and (ITestAssemblyCleanupFailure or ITestCollectionCleanupFailure or ITestClassCleanupFailure
                    or ITestCaseCleanupFailure or ITestMethodCleanupFailure or ITestCleanupFailure):
                    Errors++;
                    Console.WriteLine($"[ERROR] cleanup: {string.Join(" | ", failure.ExceptionTypes.Zip(failure.Messages, (t, m) => $"{t}: {m}"))}");
                    break;
                case ITestAssemblyFinished:
                    Finished.Set();
                    break;
            }

            return true;
        }
    }
}
