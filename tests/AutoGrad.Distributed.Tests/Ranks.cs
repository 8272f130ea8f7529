using System.Diagnostics;
using System.Globalization;
using AutoGrad.Nn.Serialization;

namespace AutoGrad.Distributed.Tests;

/// <summary>
/// The program each rank runs under mpiexec (this assembly's Main): <c>train --out DIR [scenario options]
/// [--fail-rank R --fail-epoch E --fail-mode throw|kill] [--rank1-seed S] [--rank1-hidden H] [--rank1-batch B]</c>. Rank 0
/// writes DIR/params.safetensors and DIR/history.txt (per epoch: loss, accuracy, validation loss, round-trip formatted).
/// </summary>
public static class Ranks
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("train" or "bench"))
        {
            Console.Error.WriteLine("usage: train --out DIR [options] | bench --batch B [--epochs E] [--data DIR]");
            return 2;
        }

        var a = new Dictionary<string, string>();
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            a[args[i].TrimStart('-')] = args[i + 1];
        }

        if (args[0] == "bench")
        {
            return MpiGroup.RunOrAbort(group => Bench.Run(group, a));
        }

        return MpiGroup.RunOrAbort(group =>
        {
            string ranks = group.DescribeRanks();
            if (group.Rank == 0)
            {
                Console.WriteLine($"ranks: {ranks}");
            }

            var scenario = Scenario.Parse(a);
            if (group.Rank == 1)
            {
                // Deliberately different configurations on rank 1, for the start-up checks.
                scenario = scenario with
                {
                    Seed = a.TryGetValue("rank1-seed", out var s) ? ulong.Parse(s, CultureInfo.InvariantCulture) : scenario.Seed,
                    Hidden = a.TryGetValue("rank1-hidden", out var h) ? int.Parse(h, CultureInfo.InvariantCulture) : scenario.Hidden,
                    Batch = a.TryGetValue("rank1-batch", out var b) ? int.Parse(b, CultureInfo.InvariantCulture) : scenario.Batch,
                };
            }

            int failRank = int.Parse(a.GetValueOrDefault("fail-rank", "-1"), CultureInfo.InvariantCulture);
            int failEpoch = int.Parse(a.GetValueOrDefault("fail-epoch", "0"), CultureInfo.InvariantCulture);
            var result = scenario.Fit(group, m =>
            {
                if (group.Rank == failRank && m.Epoch == failEpoch)
                {
                    if (a.GetValueOrDefault("fail-mode", "throw") == "kill")
                    {
                        Console.Error.WriteLine($"rank {group.Rank}: killing myself at epoch {m.Epoch}");
                        Console.Error.Flush();
                        Process.GetCurrentProcess().Kill();
                    }

                    throw new InvalidOperationException($"injected failure at epoch {m.Epoch}");
                }
            });

            if (group.Rank == 0)
            {
                string dir = a["out"];
                Directory.CreateDirectory(dir);
                SafeTensors.Save(Path.Combine(dir, "params.safetensors"), result.Parameters);
                File.WriteAllLines(Path.Combine(dir, "history.txt"), result.History.Epochs.Select(e =>
                    string.Create(CultureInfo.InvariantCulture, $"{e.Loss:R} {e.Accuracy:R} {e.ValidationLoss:R}")));
            }

            Console.WriteLine($"rank {group.Rank} of {group.Size}: done");
            return 0;
        });
    }
}
