using System.Reflection;
using AutoGrad.Gpu.Kernels;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// Every kernel, at every element type the backend launches it with, compiled to PTX for sm_90 by ILGPU's PTX backend
/// with no GPU and no driver (an offline backend over the process's context): a construct CUDA cannot take fails here.
/// </summary>
public sealed class PtxCompileTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var name in KernelMethods().Keys)
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>Kernels launched with their own groups (<c>LoadStreamKernel</c>): shared memory and barriers, no index parameter.</summary>
    private static readonly HashSet<string> ExplicitlyGrouped = [nameof(DeviceKernels.MatMul), nameof(DeviceKernels.ReduceGroups), nameof(DeviceKernels.SoftmaxCrossEntropyRows)];

    /// <summary>Each kernel instantiation the backend loads (GpuBackend, KernelSet), by a readable name.</summary>
    private static Dictionary<string, MethodInfo> KernelMethods()
    {
        var k = typeof(DeviceKernels);
        MethodInfo M(string name, params Type[] args) => k.GetMethod(name)!.MakeGenericMethod(args);
        var methods = new Dictionary<string, MethodInfo>();
        var elements = new (Type T, Type E)[] { (typeof(float), typeof(F32)), (typeof(double), typeof(F64)), (typeof(int), typeof(I32)) };
        foreach (var (t, _) in elements)
        {
            methods[$"Fill<{t.Name}>"] = M(nameof(DeviceKernels.Fill), t);
            methods[$"StridedCopy<{t.Name}>"] = M(nameof(DeviceKernels.StridedCopy), t);
            methods[$"Gather<{t.Name}>"] = M(nameof(DeviceKernels.Gather), t);
        }

        foreach (var (t, e) in elements[..2])
        {
            foreach (var name in new[] { "Unary", "Binary", "BinaryFlat", "Where", "Reduce", "ArgReduce", "ReduceGroups", "ToDouble", "Axpby", "AdaptiveStep", "ActivationGrad", "ScatterAdd", "SoftmaxCrossEntropy", "SoftmaxCrossEntropyGrad", "SoftmaxCrossEntropyRows", "MatMul" })
            {
                methods[$"{name}<{t.Name}>"] = M(name, t, e);
            }
        }

        foreach (var (t, e) in elements)
        {
            methods[$"OneHot<{t.Name}>"] = M(nameof(DeviceKernels.OneHot), t, e);
        }

        methods["CheckIndices"] = k.GetMethod(nameof(DeviceKernels.CheckIndices))!;

        foreach (var (s, se) in elements)
        {
            foreach (var (d, de) in elements)
            {
                if (s != d)
                {
                    methods[$"Cast<{s.Name}, {d.Name}>"] = M(nameof(DeviceKernels.Cast), s, se, d, de);
                }
            }
        }

        return methods;
    }

    [Fact]
    public void TheListCoversEveryKernelMethod()
    {
        var declared = typeof(DeviceKernels).GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).ToHashSet();
        var listed = KernelMethods().Values.Select(m => m.Name).ToHashSet();
        Assert.Equal(declared.Order(), listed.Order());
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_CompilesToPtxForSm90WithoutAGpu(string kernel)
    {
        using var backend = new PTXBackend(GpuDevices.SharedIlgpuContext, CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, null!);
        var method = KernelMethods()[kernel];
        var entry = ExplicitlyGrouped.Contains(method.Name)
            ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, default);
        Assert.Contains(".entry", compiled.PTXAssembly);
        Assert.Contains(".version 7.8", compiled.PTXAssembly);

        // A .NET method ILGPU cannot compile becomes a call to an undefined function, even in a branch that is never
        // taken on CUDA; the driver's linker may refuse the module.
        Assert.DoesNotContain(".extern .func", compiled.PTXAssembly);
    }

    [Theory]
    [InlineData(typeof(float), typeof(F32), "f32")]
    [InlineData(typeof(double), typeof(F64), "f64")]
    public void ElementArithmetic_IsExplicitlyRoundedInPtx_SoPtxasCannotContractOrReorderIt(Type t, Type e, string suffix)
    {
        // x·α + y·β as plain mul/add may become one fma in ptxas (one rounding fewer than the CPU); .rn forbids that.
        using var backend = new PTXBackend(GpuDevices.SharedIlgpuContext, CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, null!);
        var axpby = typeof(DeviceKernels).GetMethod(nameof(DeviceKernels.Axpby))!.MakeGenericMethod(t, e);
        var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(axpby), default)).PTXAssembly;
        Assert.Contains($"mul.rn.{suffix}", ptx);
        Assert.Contains($"add.rn.{suffix}", ptx);

        // The product's rounded multiply-then-add chain, with its tiles in (dynamic) shared memory, and its fused
        // epilogues (MatMulAxpby's p·α + y·β, MatMulActivationGrad's p·(1 − s·s) …: one kernel, the epilogue a uniform)
        // rounded the same way: sub.rn appears only in the activation derivatives, and no fma anywhere.
        var matMul = typeof(DeviceKernels).GetMethod(nameof(DeviceKernels.MatMul))!.MakeGenericMethod(t, e);
        ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(matMul), default)).PTXAssembly;
        Assert.Contains($"mul.rn.{suffix}", ptx);
        Assert.Contains($"add.rn.{suffix}", ptx);
        Assert.Contains($"sub.rn.{suffix}", ptx);
        Assert.DoesNotContain($"fma.", ptx);
        Assert.Contains(".shared", ptx);
        Assert.Contains("bar.sync", ptx);
    }

    [Theory]
    [InlineData(typeof(float), typeof(F32), "f32")]
    [InlineData(typeof(double), typeof(F64), "f64")]
    public void ReduceGroups_SumsWithExplicitRounding_AndCombinesInSharedMemoryBetweenBarriers(Type t, Type e, string suffix)
    {
        using var backend = new PTXBackend(GpuDevices.SharedIlgpuContext, CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, null!);
        var kernel = typeof(DeviceKernels).GetMethod(nameof(DeviceKernels.ReduceGroups))!.MakeGenericMethod(t, e);
        var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), default)).PTXAssembly;
        Assert.Contains($"add.rn.{suffix}", ptx);
        Assert.DoesNotContain("fma.", ptx);
        Assert.DoesNotContain("atom.", ptx); // deterministic: no atomics of any kind
        Assert.Contains(".shared", ptx);
        Assert.Contains("bar.sync", ptx);
    }
}
