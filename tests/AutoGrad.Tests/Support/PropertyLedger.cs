using System.Collections.Concurrent;

namespace AutoGrad.Tests.Support;

/// <summary>
/// Counts the cases every FsCheck property actually executed, keyed by property (and op). The ledger
/// test, which runs last, compares it with what should have run: a property that was never discovered
/// or silently ran no case makes the suite fail instead of passing vacuously.
/// </summary>
public static class PropertyLedger
{
    public const string Collection = "zz Property ledger";

    private static readonly ConcurrentDictionary<string, int> Cases = new();

    public static void Record(string key) => Cases.AddOrUpdate(key, 1, (_, n) => n + 1);

    public static int CasesOf(string key) => Cases.TryGetValue(key, out int n) ? n : 0;

    public static IReadOnlyDictionary<string, int> Snapshot() => new Dictionary<string, int>(Cases);

    public static string Key(string property, string? op = null) => op is null ? property : $"{property}/{op}";
}
