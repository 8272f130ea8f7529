using System.Reflection;
using AutoGrad.Tests.Ops;
using FsCheck.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace AutoGrad.Tests.Support;

/// <summary>
/// Runs last (see <see cref="LedgerLastOrderer"/>) and checks that every FsCheck property that should
/// exist was discovered and executed its cases: the per-op properties for every op in the table, and
/// every [Property] method in this assembly. Run it with the whole suite; alone it has nothing to count.
/// </summary>
[Collection(PropertyLedger.Collection)]
public class PropertyLedgerTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryPropertyWasDiscoveredAndRanItsCases()
    {
        var expected = new Dictionary<string, int>();
        foreach (var c in OpCases.All)
        {
            if (c.Differentiable)
            {
                expected[PropertyLedger.Key(nameof(OpPropertyTests.VjpMatchesCentralDifferences), c.Name)] = PropertyRunner.DefaultCases;
                expected[PropertyLedger.Key(nameof(OpPropertyTests.VjpAndJvpSatisfyTheDotProductIdentity), c.Name)] = PropertyRunner.DefaultCases;
                expected[PropertyLedger.Key(nameof(OpPropertyTests.SecondOrderVjpMatchesCentralDifferences), c.Name)] = PropertyRunner.DefaultCases;
                expected[PropertyLedger.Key(nameof(OpPropertyTests.JvpMatchesTheNumericalDirectionalDerivative), c.Name)] = PropertyRunner.DefaultCases;
            }
            else
            {
                expected[PropertyLedger.Key(nameof(OpPropertyTests.NoGradientFlowsThroughNonDifferentiableOps), c.Name)] = PropertyRunner.DefaultCases;
            }

            expected[PropertyLedger.Key(nameof(OpPropertyTests.ForwardMatchesTheScalarReferenceInFloat64), c.Name)] = PropertyRunner.DefaultCases;
            expected[PropertyLedger.Key(nameof(Autodiff.JitTests.EveryOpReplaysBitwiseLikeEagerOnNewInputs), c.Name)] = Autodiff.JitTests.CasesPerOp;
            expected[PropertyLedger.Key(nameof(OpPropertyTests.ForwardMatchesTheScalarReferenceInFloat32), c.Name)] = PropertyRunner.DefaultCases;
        }

        var propertyMethods = typeof(PropertyLedgerTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<PropertyAttribute>()))
            .Where(p => p.Attribute is not null)
            .ToList();
        foreach (var (method, attribute) in propertyMethods)
        {
            expected[PropertyLedger.Key(method.Name)] = attribute!.MaxTest;
        }

        var ledger = PropertyLedger.Snapshot();
        var missing = expected.Where(e => (ledger.TryGetValue(e.Key, out int n) ? n : 0) < e.Value)
            .Select(e => $"{e.Key}: {(ledger.TryGetValue(e.Key, out int n) ? n : 0)} of {e.Value} cases")
            .ToList();
        output.WriteLine($"FsCheck properties: {expected.Count} expected ({propertyMethods.Count} [Property] methods), {ledger.Count} executed, {ledger.Values.Sum()} cases in all.");
        Assert.True(missing.Count == 0, "Properties not discovered or not run in full:\n" + string.Join("\n", missing));
        Assert.True(expected.Count >= 300, $"only {expected.Count} properties expected; the op table or the discovery shrank");
    }
}
