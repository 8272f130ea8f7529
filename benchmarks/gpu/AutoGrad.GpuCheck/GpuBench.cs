using System.Diagnostics;
using System.Text.Json;
using AutoGrad.Backends;
using AutoGrad.Benchmarks;
using AutoGrad.Gpu;
using AutoGrad.Nn.Data;
using AutoGrad.Nn.Layers;
using AutoGrad.Nn.Losses;
using AutoGrad.Nn.Optim;
using AutoGrad.Nn.Training;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.Cuda.API;

namespace AutoGrad.GpuCheck;

/// <summary>
/// The GPU workloads of benchmarks/gpu, timed on one device; benchmarks/gpu/torch_gpu.py times the same names in PyTorch.
/// Every figure is seconds per operation: a first run (kernel compilation), then warm-up rounds, then the median over
/// timed rounds, each round a batch of operations followed by one device synchronization (so a round measures the
/// device's throughput, launches included, not one launch's latency). Each workload is caught on its own: a failure is
/// reported under <c>errors</c> and the rest still run.
/// </summary>
internal sealed class GpuBench
{
    private readonly Device _device;
    private readonly IBackend _be;
    private readonly GpuBackend? _gpu;
    private readonly bool _quick;
    private readonly string[]? _only;
    private readonly Dictionary<string, Dictionary<string, object>> _results = [];
    private readonly Dictionary<string, string> _errors = [];
    private readonly Dictionary<string, object> _info = [];
    private string? _jsonPath;

    private GpuBench(Device device, bool quick, string[]? only)
    {
        _device = device;
        _be = device.Backend;
        _gpu = _be as GpuBackend;
        _quick = quick;
        _only = only;
    }

    /// <summary>Warm-up and measuring time per workload, in seconds.</summary>
    private double WarmSeconds => _quick ? 0.02 : 0.3;

    private double MeasureSeconds => _quick ? 0.05 : 1.0;

    /// <summary>The MLP's hidden width: 512 (784-512-10); 16 in a quick run, where ILGPU's CPU accelerator would take seconds per step.</summary>
    private int Hidden => _quick ? 16 : 512;

    public static int Run(string deviceName, bool quick, string? jsonPath, string? mnistDir, string[]? only)
    {
        var device = Program.OpenDevice(deviceName);
        var bench = new GpuBench(device, quick, only) { _jsonPath = jsonPath };
        bench.Describe();
        bench.Save();
        Console.WriteLine($"AutoGrad GPU benchmark on {device.Name} ({bench._info["device_description"]}){(quick ? ", quick sizes" : "")}");
        Console.WriteLine($"| {"workload",-34} | {"time/op",12} | {"rate",18} |");
        Console.WriteLine($"|{new string('-', 36)}|{new string('-', 14)}|{new string('-', 20)}|");
        bench.Bandwidth();
        bench.Reductions();
        bench.Softmax();
        bench.Gemm();
        bench.Launch();
        bench.MlpSteps();
        bench.MnistEpochs(mnistDir);

        if (jsonPath is not null)
        {
            bench.Save();
            Console.WriteLine($"wrote {jsonPath}");
        }
        else
        {
            Console.WriteLine(bench.Document());
        }

        foreach (var (name, error) in bench._errors)
        {
            Console.WriteLine($"error in {name}: {error}");
        }

        return bench._errors.Count == 0 ? 0 : 1;
    }

    private string Document() => JsonSerializer.Serialize(
        new Dictionary<string, object>
        {
            ["side"] = "autograd",
            ["quick"] = _quick,
            ["info"] = _info,
            ["results"] = _results,
            ["errors"] = _errors,
        },
        new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The JSON so far, after every workload: a run stopped by its timeout keeps what it measured.</summary>
    private void Save()
    {
        if (_jsonPath is not null)
        {
            File.WriteAllText(_jsonPath, Document());
        }
    }

    private void Describe()
    {
        var info = GpuDevices.List().FirstOrDefault(d => d.Name == _device.Name);
        _info["device"] = _device.Name;
        _info["device_description"] = _device == Device.Cpu ? "AutoGrad's CPU backend" : info?.Description ?? "?";
        _info["device_memory_bytes"] = info?.MemoryBytes ?? 0;
        _info["autograd"] = typeof(Tensor).Assembly.GetName().Version?.ToString() ?? "?";
        _info["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
        _info["processors"] = Environment.ProcessorCount;
        _info["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        if (_gpu?.Accelerator is CudaAccelerator cuda)
        {
            _info["cuda_architecture"] = cuda.Architecture.ToString();
            _info["cuda_driver_version"] = cuda.DriverVersion.ToString();
            _info["ptx_instruction_set"] = cuda.InstructionSet.ToString();
        }
    }

    private bool Wanted(string name) => _only is null || _only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase));

    private void Synchronize() => _gpu?.Accelerator.Synchronize();

    /// <summary>Seconds per call of <paramref name="op"/>: the median over timed rounds of (a batch of calls, then a synchronization).</summary>
    private double Time(Action op, int maxPerRound = 1000)
    {
        op();
        Synchronize();
        var clock = Stopwatch.StartNew();
        op();
        Synchronize();
        double one = Math.Max(clock.Elapsed.TotalSeconds, 1e-7);
        int perRound = (int)Math.Clamp(MeasureSeconds / 10 / one, 1, maxPerRound);

        double Round()
        {
            var c = Stopwatch.StartNew();
            for (int i = 0; i < perRound; i++)
            {
                op();
            }

            Synchronize();
            return c.Elapsed.TotalSeconds / perRound;
        }

        // Warm-up: the host code's JIT tiers and the device's clocks settle.
        var warm = Stopwatch.StartNew();
        do
        {
            Round();
        }
        while (warm.Elapsed.TotalSeconds < WarmSeconds);

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 3 || (total.Elapsed.TotalSeconds < MeasureSeconds && times.Count < 100))
        {
            times.Add(Round());
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private void Record(string name, double seconds, string unit, double rate, Dictionary<string, object>? extra = null)
    {
        var entry = new Dictionary<string, object> { ["seconds"] = seconds, ["unit"] = unit, ["rate"] = rate };
        foreach (var (k, v) in extra ?? [])
        {
            entry[k] = v;
        }

        _results[name] = entry;
        Save();
        Console.WriteLine($"| {name,-34} | {FormatTime(seconds),12} | {rate,10:G4} {unit,-7} |");
    }

    private void Attempt(string name, Action body)
    {
        if (!Wanted(name))
        {
            return;
        }

        try
        {
            using var scope = TensorScope.Begin();
            body();
        }
        catch (Exception e)
        {
            _errors[name] = $"{e.GetType().Name}: {e.Message}";
            Save();
            Console.WriteLine($"| {name,-34} | {"failed",12} | {e.GetType().Name,18} |");
        }
    }

    private static string FormatTime(double s) =>
        s >= 1 ? $"{s:F3} s" : s >= 1e-3 ? $"{s * 1e3:F3} ms" : $"{s * 1e6:F2} µs";

    private TensorStorage Random(int n, int seed, double scale = 1.0)
    {
        var r = new Random(seed);
        var data = new float[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        }

        return _be.FromArray(data);
    }

    /// <summary>Copy and elementwise kernels over float32 vectors: GB/s counting each element read and written once.</summary>
    private void Bandwidth()
    {
        int n = _quick ? 1 << 12 : 1 << 26;
        Attempt($"copy {n}", () =>
        {
            var (x, y) = (Random(n, 1), _be.Allocate(DType.Float32, n, clear: false));
            int[] unit = [1], shape = [n];
            double s = Time(() => _be.StridedCopy(x, 0, unit, y, 0, unit, shape));
            Record($"copy {n}", s, "GB/s", 8.0 * n / s / 1e9);
            x.Release();
            y.Release();
        });
        Attempt($"add {n}", () =>
        {
            var (a, b, y) = (Random(n, 2), Random(n, 3), _be.Allocate(DType.Float32, n, clear: false));
            double s = Time(() => _be.BinaryFlat(BinaryKernel.Add, a, false, b, false, y));
            Record($"add {n}", s, "GB/s", 12.0 * n / s / 1e9);
            a.Release();
            b.Release();
            y.Release();
        });
        Attempt($"exp {n}", () =>
        {
            var (x, y) = (Random(n, 4), _be.Allocate(DType.Float32, n, clear: false));
            double s = Time(() => _be.Unary(UnaryKernel.Exp, 0, 0, x, y));
            Record($"exp {n}", s, "GB/s", 8.0 * n / s / 1e9);
            x.Release();
            y.Release();
        });
    }

    /// <summary>Sum and max: over a whole vector, over the rows and over the columns of a square matrix (GB/s of input read).</summary>
    private void Reductions()
    {
        int all = _quick ? 1 << 12 : 1 << 22, side = _quick ? 64 : 4096;
        Attempt($"sum all {all}", () =>
        {
            var (x, y) = (Random(all, 5), _be.Allocate(DType.Float32, 1, clear: false));
            double s = Time(() => _be.Reduce(ReduceKernel.Sum, x, 1, all, 1, y), maxPerRound: 100);
            Record($"sum all {all}", s, "GB/s", 4.0 * all / s / 1e9);
            x.Release();
            y.Release();
        });
        foreach (var (name, kernel, rows) in new[] { ("sum rows", ReduceKernel.Sum, true), ("sum cols", ReduceKernel.Sum, false), ("max rows", ReduceKernel.Max, true) })
        {
            string label = $"{name} {side}x{side}";
            Attempt(label, () =>
            {
                var (x, y) = (Random(side * side, 6), _be.Allocate(DType.Float32, side, clear: false));
                double s = rows
                    ? Time(() => _be.Reduce(kernel, x, side, side, 1, y), maxPerRound: 200)
                    : Time(() => _be.Reduce(kernel, x, 1, side, side, y), maxPerRound: 200);
                Record(label, s, "GB/s", 4.0 * side * side / s / 1e9);
                x.Release();
                y.Release();
            });
        }
    }

    /// <summary>Softmax over the last axis through the Tensor API (its kernels as the library composes them); GB/s of one read and one write.</summary>
    private void Softmax()
    {
        var (rows, cols) = _quick ? (64, 100) : (8192, 1024);
        string label = $"softmax {rows}x{cols}";
        Attempt(label, () =>
        {
            var x = Tensor.RandomNormal([rows, cols], new Generator(7)).To(_device);
            double s = Time(() =>
            {
                using var scope = TensorScope.Begin();
                x.Softmax(1);
            }, maxPerRound: 200);
            Record(label, s, "GB/s", 8.0 * rows * cols / s / 1e9);
        });
    }

    /// <summary>Square float32 products into a preallocated C (GFLOP/s = 2n³ / time); on CUDA also cuBLAS through ILGPU.Algorithms.</summary>
    private void Gemm()
    {
        int[] sizes = _quick ? [32, 64] : [1024, 2048, 4096, 8192];
        CuBlas<CuBlasPointerModeHandlers.ManualMode>? blas = null;
        if (_gpu?.Accelerator is CudaAccelerator cuda && Wanted("cublas"))
        {
            // The newest binding whose library loads (libcublas.so.12, .11, .10 on Linux; run.sh links the one it finds).
            var failures = new List<string>();
            foreach (var version in new[] { CuBlasAPIVersion.V12, CuBlasAPIVersion.V11, CuBlasAPIVersion.V10 })
            {
                try
                {
                    blas = new CuBlas<CuBlasPointerModeHandlers.ManualMode>(cuda, version);
                    _info["cublas_binding"] = version.ToString();
                    _info["cublas_version"] = blas.Version;
                    _info["cublas_math_mode"] = blas.MathMode.ToString();
                    break;
                }
                catch (Exception e)
                {
                    failures.Add($"{version}: {e.GetType().Name}: {e.Message}");
                }
            }

            if (blas is null)
            {
                _errors["gemm cublas (ILGPU.Algorithms)"] = string.Join("; ", failures);
                Console.WriteLine($"cuBLAS through ILGPU.Algorithms is not available: {string.Join("; ", failures)}");
            }
        }

        foreach (int n in sizes)
        {
            TensorStorage? a = null, b = null, c = null;
            Attempt($"gemm {n}", () =>
            {
                (a, b, c) = (Random(n * n, 10 + n), Random(n * n, 20 + n), _be.Allocate(DType.Float32, n * n, clear: false));
                double s = Time(() => _be.MatMul(1, n, n, n, a, false, b, false, c), maxPerRound: 50);
                Record($"gemm {n}", s, "GFLOP/s", 2.0 * n * n * n / s / 1e9);
            });
            if (blas is not null && a is not null && b is not null && c is not null)
            {
                Attempt($"gemm {n} cublas", () =>
                {
                    // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: the operands swap, no transposition.
                    var (av, bv) = (_gpu!.View<float>(a), _gpu.View<float>(b));
                    var d = _be.Allocate(DType.Float32, n * n, clear: false);
                    var dv = _gpu.View<float>(d);
                    double s = Time(() => blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, n, n, n, 1f, bv, n, av, n, 0f, dv, n), maxPerRound: 50);
                    var (ours, theirs) = ((float[])_be.ToArray(c), (float[])_be.ToArray(d));
                    double scale = ours.Max(v => Math.Abs((double)v)), diff = 0;
                    for (int i = 0; i < ours.Length; i++)
                    {
                        diff = Math.Max(diff, Math.Abs((double)ours[i] - theirs[i]));
                    }

                    Record($"gemm {n} cublas", s, "GFLOP/s", 2.0 * n * n * n / s / 1e9,
                        new() { ["max_abs_difference_from_ours_relative"] = diff / Math.Max(scale, 1e-30) });
                    d.Release();
                });
            }

            a?.Release();
            b?.Release();
            c?.Release();
        }

        blas?.Dispose();
    }

    /// <summary>What one tiny op costs: through the Tensor API (dispatch, a pooled output, the launch) and as a bare kernel launch.</summary>
    private void Launch()
    {
        Attempt("launch tiny op (api)", () =>
        {
            var x = Tensor.FromArray(new[] { 1f }, [1], _device);
            double s = Time(() =>
            {
                using var scope = TensorScope.Begin();
                _ = x + 1f;
            });
            Record("launch tiny op (api)", s, "µs/op", s * 1e6);
        });
        Attempt("launch tiny kernel", () =>
        {
            var y = _be.Allocate(DType.Float32, 1, clear: false);
            double s = Time(() => _be.Fill(y, 1.0));
            Record("launch tiny kernel", s, "µs/op", s * 1e6);
            y.Release();
        });
    }

    /// <summary>The 784-512-10 training step compiled as Trainer runs it (MlpWorkload.Compiled: a CompiledStep over parameters and SGD state); quick: 784-16-10.</summary>
    private void MlpSteps()
    {
        foreach (int batch in _quick ? new[] { 8, 32 } : [128, 512, 2048, 8192])
        {
            Attempt($"mlp step {batch}", () =>
            {
                var g = new Generator(3);
                var p = new TensorTree
                {
                    { "W1", Tensor.RandomNormal([784, Hidden], g, std: 0.05) },
                    { "b1", Tensor.Zeros([Hidden]) },
                    { "W2", Tensor.RandomNormal([Hidden, 10], g, std: 0.05) },
                    { "b2", Tensor.Zeros([10]) },
                }.To(_device);
                var x = Tensor.RandomUniform([batch, 784], g).To(_device);
                var labels = Tensor.FromArray(Enumerable.Range(0, batch).Select(i => i % 10).ToArray(), [batch], _device);
                var compiled = MlpWorkload.Compiled(p, new Sgd(0.1));
                var batchTree = new TensorTree { { "x", x }, { "y", labels } };
                double s = Time(() =>
                {
                    using var scope = TensorScope.Begin();
                    compiled.Run(batchTree);
                }, maxPerRound: 200);
                double loss = compiled.Run(batchTree)["loss"].Item();
                Record($"mlp step {batch}", s, "samples/s", batch / s, new() { ["loss_after"] = loss });
            });
        }
    }

    /// <summary>
    /// One MNIST training epoch through Trainer (784-512-10, as docs/mnist.md and the CPU comparison), parameters on the device:
    /// a warm-up epoch on 2048 rows, then timed epochs from a fresh network (the fastest is reported), and the test accuracy.
    /// Quick: 128 training and 64 test rows, hidden width 16.
    /// </summary>
    private void MnistEpochs(string? mnistDir)
    {
        string dir = mnistDir ?? Path.Combine(Mnist.DefaultCacheDirectory, "mnist");
        if (!Mnist.IsPresent(dir))
        {
            if (Wanted("mnist"))
            {
                _errors["mnist"] = $"no MNIST files in {dir} (pass --mnist DIR)";
                Console.WriteLine($"| {"mnist",-34} | {"no data",12} | {"",18} |");
            }

            return;
        }

        var (train, test) = Mnist.Load(dir);
        if (_quick)
        {
            train = train.Subset(Enumerable.Range(0, 128).ToArray());
            test = test.Subset(Enumerable.Range(0, 64).ToArray());
        }

        var warmData = train.Subset(Enumerable.Range(0, _quick ? 64 : 2048).ToArray());
        foreach (var (name, activation, optimizer, batch) in new (string, Activation, Func<IOptimizer>, int)[]
        {
            ("mnist epoch sigmoid/sgd/64", Activation.Sigmoid, () => new Sgd(0.1), 64),
            ("mnist epoch relu/adam/128", Activation.Relu, () => new Adam(1e-3), 128),
        })
        {
            Attempt(name, () =>
            {
                var net = new Mlp([784, Hidden, 10], [activation]);
                ModelFunction model = (p, x) => net.Apply(p, x);
                TrainResult Fit(Dataset data) => Trainer.Fit(model, net.Init(new Generator(0)).To(_device), (o, y) => Loss.CrossEntropy(o, y), optimizer(), data,
                    new TrainOptions { Epochs = 1, BatchSize = batch, Seed = 0 });
                Fit(warmData);
                var times = new List<double>();
                TrainResult? fit = null;
                for (int run = 0; run < (_quick ? 1 : 2); run++)
                {
                    var clock = Stopwatch.StartNew();
                    fit = Fit(train);
                    times.Add(clock.Elapsed.TotalSeconds);
                }

                double accuracy = Trainer.Evaluate(model, fit!.Parameters, (o, y) => Loss.CrossEntropy(o, y), test).Accuracy ?? double.NaN;
                double s = times.Min();
                Record(name, s, "samples/s", train.Count / s, new()
                {
                    ["accuracy"] = accuracy,
                    ["epoch_seconds"] = times,
                    ["train_rows"] = train.Count,
                });
            });
        }
    }
}
