using AutoGrad.Tests.Support;
using Xunit;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// The core's op conformance table (every <see cref="OpCase"/>, the same generated samples as its property tests) run on
/// the device under test (ILGPU's CPU accelerator by default): each op's output and the gradient of a weighted sum of it, computed on the device, agree
/// with the CPU backend's, in float64 (the accelerator has it) and in float32 within the op's stated tolerance.
/// No op is skipped.
/// </summary>
public class OpConformanceTests
{
    /// <summary>Cases per op and dtype: the accelerator is slow, and the CPU-side properties already cover the op's math.</summary>
    private const int Cases = 8;

    public static TheoryData<string> AllOps => new(OpCases.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(AllOps))]
    public void EveryOpAgreesWithTheCpuBackendOnTheAccelerator(string op)
    {
        var c = OpCases.Get(op);
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tolerance = dtype == DType.Float64 ? 1e-11 : Math.Max(c.Float32Tolerance, 1e-5);
            PropertyRunner.Check($"GpuConformance{dtype}", op, c.Samples, s =>
            {
                var cpu = Run(s, c.Differentiable, s.Tensors(dtype));
                var gpu = Run(s, c.Differentiable, s.Tensors(dtype).Select(t => t.To(Backends.GpuDevice)).ToArray());
                Assert.Equal(cpu.Count, gpu.Count);
                for (int i = 0; i < cpu.Count; i++)
                {
                    Assert.Equal(Backends.GpuDevice, gpu[i].Device);
                    Close(cpu[i], gpu[i], tolerance, $"{s} ({dtype}), {(i == 0 ? "output" : $"gradient {i - 1}")}");
                }
            }, Cases);
        }
    }

    /// <summary>The output and, for a differentiable op, the gradients of Σ y·w for fixed weights w, all on the inputs' device.</summary>
    private static List<Tensor> Run(OpSample s, bool differentiable, Tensor[] inputs)
    {
        var y = s.Apply(inputs);
        var results = new List<Tensor> { y };
        if (differentiable && y.DType.IsFloating() && s.FloatInputs.Length > 0)
        {
            var weights = Tensor.FromArray(Enumerable.Range(0, y.Shape.Size).Select(i => 0.5 + (i % 7) * 0.25).ToArray(), y.Shape.ToArray()).To(y.DType).To(y.Device);
            var grads = Transforms.Grad((Tensor[] fs) =>
            {
                var all = (Tensor[])inputs.Clone();
                for (int i = 0; i < fs.Length; i++)
                {
                    all[s.FloatInputs[i]] = fs[i];
                }

                return (s.Apply(all) * weights).Sum();
            })(s.FloatInputs.Select(i => inputs[i]).ToArray());
            results.AddRange(grads);
        }

        return results;
    }

    private static void Close(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.True(expected.Shape == actual.Shape && expected.DType == actual.DType, $"{what}: {expected.DType.Name()}{expected.Shape} on the CPU, {actual.DType.Name()}{actual.Shape} on the device");
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        double scale = e.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int k = 0; k < e.Length; k++)
        {
            bool same = e[k].Equals(a[k]) || (double.IsNaN(e[k]) && double.IsNaN(a[k])) || Math.Abs(e[k] - a[k]) <= tolerance * Math.Max(1, scale);
            Assert.True(same, $"{what}: element {k} is {a[k]:R} on the device, {e[k]:R} on the CPU");
        }
    }
}
