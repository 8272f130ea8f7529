using System.Reflection;
using System.Reflection.Emit;
using AutoGrad.Backends;
using Xunit;

namespace AutoGrad.Gpu.Tests;

/// <summary>
/// Every kernel of the core's interface has an ILGPU implementation: no method of <see cref="GpuBackend"/> that implements
/// <see cref="IBackend"/> throws unconditionally (a "not yet" stub, directly or through a helper of its own assembly). A
/// kernel added to the interface must come with its GPU version; the kernel tests then check what it computes.
/// </summary>
public class KernelCoverageTests
{
    [Fact]
    public void EveryKernelOfTheInterfaceIsImplementedOnTheGpuBackend()
    {
        var map = typeof(GpuBackend).GetInterfaceMap(typeof(IBackend));
        var stubbed = new List<string>();
        for (int i = 0; i < map.InterfaceMethods.Length; i++)
        {
            if (ThrowsUnconditionally(map.TargetMethods[i]))
            {
                stubbed.Add(map.InterfaceMethods[i].Name);
            }
        }

        Assert.Empty(stubbed);
        Assert.True(map.InterfaceMethods.Length >= 27, $"only {map.InterfaceMethods.Length} interface methods seen");
    }

    [Fact]
    public void TheStubDetector_FindsStubs_AndPassesImplementations()
    {
        // The detector must see the shapes a stub takes, or the coverage test above proves nothing.
        Assert.True(ThrowsUnconditionally(Method(nameof(Stubs.Direct))));
        Assert.True(ThrowsUnconditionally(Method(nameof(Stubs.Block))));
        Assert.True(ThrowsUnconditionally(Method(nameof(Stubs.ThroughAnExceptionFactory))));
        Assert.True(ThrowsUnconditionally(Method(nameof(Stubs.ThroughAThrowingHelper))));
        Assert.False(ThrowsUnconditionally(Method(nameof(Stubs.Guarded))));
        Assert.False(ThrowsUnconditionally(Method(nameof(Stubs.ThroughAnImplementation))));
        Assert.False(ThrowsUnconditionally(Method(nameof(Stubs.DTypeSwitch))));

        static MethodInfo Method(string name) => typeof(Stubs).GetMethod(name, BindingFlags.Static | BindingFlags.Public)!;
    }

    /// <summary>The shapes of stubbed and implemented kernels, for the detector's own test.</summary>
    private static class Stubs
    {
        public static void Direct(int n) => throw new NotSupportedException($"Direct {n}");

        public static void Block(int n)
        {
            throw new NotSupportedException($"Block {n}");
        }

        public static void ThroughAnExceptionFactory(int n) => throw NotYet(nameof(ThroughAnExceptionFactory), n);

        public static void ThroughAThrowingHelper(int n) => Throw(n);

        public static void Guarded(int n)
        {
            if (n < 0)
            {
                throw new NotSupportedException("negative");
            }

            Sink = n;
        }

        public static void ThroughAnImplementation(int n) => Guarded(n);

        public static void DTypeSwitch(DType dtype)
        {
            switch (dtype)
            {
                case DType.Float32: Sink = 1; break;
                case DType.Float64: Sink = 2; break;
                default: throw new NotSupportedException(dtype.ToString());
            }
        }

        public static int Sink { get; private set; }

        private static NotSupportedException NotYet(string kernel, int n) => new($"{kernel} {n}: not yet");

        private static void Throw(int n) => throw new NotSupportedException($"helper {n}");
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>
    /// True when <paramref name="method"/>'s IL, followed from its first instruction, reaches a <c>throw</c> before any
    /// branch or return: it throws whatever its arguments. A call on that path into a method of the same module that
    /// throws unconditionally counts too (a stub delegating to a throwing helper).
    /// </summary>
    private static bool ThrowsUnconditionally(MethodBase method, int depth = 0)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return false;
        }

        int i = 0;
        while (i < il.Length)
        {
            OpCode op;
            if (il[i] == 0xFE)
            {
                op = OpCodesByValue[unchecked((short)(0xFE00 | il[i + 1]))];
                i += 2;
            }
            else
            {
                op = OpCodesByValue[il[i]];
                i++;
            }

            int operand = i;
            i += OperandSize(op.OperandType, il, i);
            switch (op.FlowControl)
            {
                case FlowControl.Throw:
                    return true;
                case FlowControl.Branch or FlowControl.Cond_Branch or FlowControl.Return:
                    return false;
                case FlowControl.Call when depth < 4 && (op == OpCodes.Call || op == OpCodes.Callvirt):
                    var callee = method.Module.ResolveMethod(
                        BitConverter.ToInt32(il, operand),
                        method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null,
                        method.IsGenericMethod ? method.GetGenericArguments() : null);
                    if (callee is not null && callee.Module == method.Module && ThrowsUnconditionally(callee, depth + 1))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
