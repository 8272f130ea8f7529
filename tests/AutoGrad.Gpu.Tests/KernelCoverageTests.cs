using System.Reflection;
using AutoGrad.Backends;
using Xunit;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// Every kernel of the core's interface has an ILGPU implementation: a method whose body is the "not yet" stub fails this
/// test unless it is one of the fused products the backend declines through <see cref="IBackend.FusesMatMulEpilogue"/>
/// (compiled programs ask before they use them). A kernel added to the interface must come with its GPU version.
/// </summary>
public class KernelCoverageTests
{
    /// <summary>Declined through the capability query, so no caller reaches them on this backend.</summary>
    private static readonly HashSet<string> Declined = [nameof(IBackend.MatMulAxpby), nameof(IBackend.MatMulActivationGrad)];

    [Fact]
    public void EveryKernelOfTheInterfaceIsImplementedOnTheGpuBackend()
    {
        var stub = typeof(GpuBackend).GetMethod("NotYet", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("GpuBackend.NotYet not found: update this test with the stub's new name");
        var map = typeof(GpuBackend).GetInterfaceMap(typeof(IBackend));
        var stubbed = new List<string>();
        for (int i = 0; i < map.InterfaceMethods.Length; i++)
        {
            if (CallsMethod(map.TargetMethods[i], stub))
            {
                stubbed.Add(map.InterfaceMethods[i].Name);
            }
        }

        Assert.Equal(Declined.Order(), stubbed.Distinct().Order());
        Assert.False(Backends.Ilgpu.FusesMatMulEpilogue(DType.Float32, 1, 64, 64, 64, transposeA: false), "the declined products must be declined");
        Assert.True(map.InterfaceMethods.Length >= 27, $"only {map.InterfaceMethods.Length} interface methods seen");
    }

    /// <summary>True when <paramref name="method"/>'s IL calls <paramref name="target"/> (a call or callvirt with its token).</summary>
    private static bool CallsMethod(MethodInfo method, MethodInfo target)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is 0x28 or 0x6F && BitConverter.ToInt32(il, i + 1) == target.MetadataToken && method.Module.ResolveMethod(target.MetadataToken) == target)
            {
                return true;
            }
        }

        return false;
    }
}
