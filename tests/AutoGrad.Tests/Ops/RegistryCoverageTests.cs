using AutoGrad.Ops;
using AutoGrad.Tests.Support;
using Xunit;

namespace AutoGrad.Tests.Ops;

/// <summary>
/// Adding a primitive without its tests and docs fails here: every registered op needs a test case
/// (which drives its finite-difference, dot-product and reference properties), error inputs and a
/// line in docs/ops.md; every primitive class must be registered.
/// </summary>
public class RegistryCoverageTests
{
    /// <summary>Primitives users never call directly; their inputs are made valid by the op that creates them.</summary>
    private static readonly Dictionary<string, string> NoUserFacingErrors = new()
    {
        ["SlicePad"] = "created only by Slice's VJP with the slice's own, already validated, bounds",
    };

    public static TheoryData<string> Registered => new(PrimitiveRegistry.All.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(Registered))]
    public void EveryRegisteredPrimitiveHasATestCaseWithMatchingDifferentiability(string name)
    {
        Assert.True(OpCases.Has(name), $"{name} is registered but has no OpCase in tests/AutoGrad.Tests/Support/OpCases*.cs");
        var info = PrimitiveRegistry.All.Single(p => p.Name == name);
        Assert.Equal(info.Differentiable, OpCases.Get(name).Differentiable);
    }

    [Theory]
    [MemberData(nameof(Registered))]
    public void EveryRegisteredPrimitiveHasErrorInputs(string name)
    {
        if (NoUserFacingErrors.ContainsKey(name))
        {
            return;
        }

        Assert.NotEmpty(OpCases.Get(name).Errors());
    }

    [Theory]
    [MemberData(nameof(Registered))]
    public void EveryRegisteredPrimitiveHasADocsLine(string name)
    {
        var docs = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "ops.md"));
        Assert.Contains($"| `{name}` |", docs);
    }

    [Fact]
    public void EveryPrimitiveClassIsRegistered()
    {
        var registered = PrimitiveRegistry.All.Select(p => p.Implementation).ToHashSet();
        var classes = typeof(Primitive).Assembly.GetTypes()
            .Where(t => typeof(Primitive).IsAssignableFrom(t) && !t.IsAbstract);
        foreach (var type in classes)
        {
            Assert.True(registered.Contains(type), $"{type.Name} derives from Primitive but is not in PrimitiveRegistry");
        }
    }

    [Fact]
    public void RegistryNamesAreUnique()
    {
        var names = PrimitiveRegistry.All.Select(p => p.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
