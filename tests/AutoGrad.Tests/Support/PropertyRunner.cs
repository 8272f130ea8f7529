using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace AutoGrad.Tests.Support;

/// <summary>
/// Runs an FsCheck property over a generator for a fixed number of cases, from a fixed seed derived from
/// its name (so CI is reproducible), recording each executed case in the <see cref="PropertyLedger"/>.
/// Set AUTOGRAD_FSCHECK_SEED to an integer to explore other seeds; a failure prints the seed to replay.
/// </summary>
public static class PropertyRunner
{
    public const int DefaultCases = 100;

    public static void Check<T>(string property, string? op, Gen<T> gen, Action<T> body, int cases = DefaultCases)
    {
        string key = PropertyLedger.Key(property, op);
        ulong seed = SeedFor(key);
        var prop = Prop.ForAll(Arb.From(gen), (T sample) =>
        {
            body(sample);
            PropertyLedger.Record(key);
        });
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(cases)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL | 1), FSharpOption<int>.None)));
        try
        {
            FsCheck.Check.One(config, prop);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{key} failed (seed {seed}; rerun with AUTOGRAD_FSCHECK_SEED to vary):\n{e.Message}");
        }
    }

    public static ulong SeedFor(string key)
    {
        var env = Environment.GetEnvironmentVariable("AUTOGRAD_FSCHECK_SEED");
        ulong h = env is not null && ulong.TryParse(env, out var s) ? s : 1469598103934665603UL;
        foreach (char c in key)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}
