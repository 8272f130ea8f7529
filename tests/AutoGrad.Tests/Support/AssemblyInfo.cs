using Xunit;

// Collections run one after another, with the property ledger's collection last, so that the ledger
// test sees every property that ran (see PropertyLedgerTests). The machine has two cores; the
// properties themselves are cheap enough that this costs little.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: TestCollectionOrderer("AutoGrad.Tests.Support.LedgerLastOrderer", "AutoGrad.Tests")]
