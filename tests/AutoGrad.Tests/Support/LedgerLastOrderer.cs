using Xunit;
using Xunit.Abstractions;

namespace AutoGrad.Tests.Support;

/// <summary>Runs test collections in name order, with the <see cref="PropertyLedger.Collection"/> collection last.</summary>
public sealed class LedgerLastOrderer : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(c => c.DisplayName.Contains(PropertyLedger.Collection, StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
