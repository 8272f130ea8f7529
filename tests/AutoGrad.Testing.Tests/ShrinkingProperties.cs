using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AutoGrad.Testing.Tests;

/// <summary>
/// FsCheck properties of the package itself: for any seed the wrong rule is caught and shrunk all the way; generated
/// shapes meet their spec; every shrinking candidate is well formed and strictly smaller (so shrinking ends).
/// </summary>
public class ShrinkingProperties
{
    private static readonly Shapes[] Specs =
    [
        Shapes.Same(), Shapes.Same(minRank: 1, maxRank: 2, maxDim: 5), Shapes.Independent(), Shapes.Broadcastable(),
        Shapes.Broadcastable(minRank: 2, maxElements: 8), Shapes.Named("m k", "k n"), Shapes.Named("n n", "n"), Shapes.Fixed([2, 3], [3]),
    ];

    private static int InputsOf(Shapes spec) => spec.Inputs ?? 3;

    private static Case Sample(Shapes spec, Domain domain, int seed)
    {
        int inputs = InputsOf(spec);
        var gen =
            from layout in spec.Generate(inputs)
            from values in Gen.CollectToArray(Enumerable.Range(0, inputs).Select(i => Gen.ArrayOf(domain.Generate(), Layout.Size(layout.ShapeOf(i)))))
            select new Case(layout, values, 0);
        return gen.Sample(1, new Rnd((ulong)seed, 0x9E3779B97F4A7C15UL), 10).Single();
    }

    /// <summary>NumPy's rule: aligned from the right, each axis's sizes are equal or 1.</summary>
    private static bool Broadcasts(int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        for (int k = 1; k <= rank; k++)
        {
            var sizes = shapes.Where(s => s.Length >= k).Select(s => s[^k]).Where(d => d != 1).Distinct();
            if (sizes.Count() > 1)
            {
                return false;
            }
        }

        return true;
    }

    private static void AssertWellFormed(Shapes spec, Case c)
    {
        string name = spec.ToString();
        var shapes = Enumerable.Range(0, c.Values.Length).Select(c.ShapeOf).ToArray();
        for (int i = 0; i < shapes.Length; i++)
        {
            Assert.Equal(Layout.Size(shapes[i]), c.Values[i].Length);
            Assert.All(shapes[i], d => Assert.True(d >= 1));
        }

        if ((name.StartsWith("Broadcastable", StringComparison.Ordinal) || name.StartsWith("Same", StringComparison.Ordinal)) && !Broadcasts(shapes))
        {
            Assert.Fail("shapes that do not broadcast: " + string.Join(" ", shapes.Select(s => "[" + string.Join(",", s) + "]")));
        }

        if (name.StartsWith("Named(\"m k\"", StringComparison.Ordinal))
        {
            Assert.Equal(shapes[0][1], shapes[1][0]);
        }

        if (name.StartsWith("Named(\"n n\"", StringComparison.Ordinal))
        {
            Assert.True(shapes[0][0] == shapes[0][1] && shapes[0][0] == shapes[1][0]);
        }
    }

    /// <summary>Lexicographic: total elements, the underlying dimensions (their sum and count), the inputs' ranks, the values' decimals, their magnitudes.</summary>
    private static (int, int, int, int, double) Measure(Case c) =>
        (c.Values.Sum(v => v.Length), c.Layout.Dims.Sum() + c.Layout.Dims.Length, c.Layout.Inputs.Sum(a => a.Length),
         c.Values.SelectMany(v => v).Sum(v => Domain.Complexity(v).Decimals), c.Values.SelectMany(v => v).Sum(Math.Abs));

    [Property(MaxTest = 30)]
    public void AWrongRuleIsCaughtAndShrunkToTheSimplestFailingInputWhateverTheSeed(ulong seed)
    {
        var e = Assert.Throws<GradientPropertyException>(() =>
            GradientProperties.AgreeWithFiniteDifferences(Rules.SquareMissingFactorAboveOne, new() { Seed = seed, Cases = 30 }));
        Assert.Equal(seed, e.Seed);
        Assert.Empty(e.Failure.Shapes[0]);
        Assert.Equal([2.0], e.Failure.Values[0]);
    }

    [Property(MaxTest = 200)]
    public void GeneratedShapesMeetTheirSpec(int seed)
    {
        foreach (var spec in Specs)
        {
            var c = Sample(spec, Domain.Between(-3, 3), seed);
            AssertWellFormed(spec, c);
            for (int i = 0; i < c.Values.Length; i++)
            {
                var shape = c.ShapeOf(i);
                Assert.True(shape.Length <= Math.Max(spec.MaxRank, 3));
                Assert.True(Layout.Size(shape) <= spec.MaxElements);
                Assert.All(shape, d => Assert.InRange(d, 1, spec.MaxDim));
            }

            if (spec.ToString().StartsWith("Same", StringComparison.Ordinal))
            {
                Assert.InRange(c.ShapeOf(0).Length, spec.MinRank, spec.MaxRank);
                Assert.All(Enumerable.Range(0, c.Values.Length), i => Assert.Equal(c.ShapeOf(0), c.ShapeOf(i)));
            }
        }
    }

    [Property(MaxTest = 40)]
    public void EveryShrinkingCandidateIsWellFormedInItsDomainAndStrictlySmaller(int seed)
    {
        var domain = Domain.Between(-2, 3).AwayFrom(0.5);
        foreach (var spec in Specs)
        {
            var c = Sample(spec, domain, seed);
            var domains = Enumerable.Repeat(domain, c.Values.Length).ToArray();
            foreach (var candidate in Shrinker.Candidates(c, spec, domains))
            {
                AssertWellFormed(spec, candidate);
                Assert.All(candidate.Values.SelectMany(v => v), v => Assert.True(domain.Contains(v)));
                if (Measure(candidate).CompareTo(Measure(c)) >= 0)
                {
                    Assert.Fail($"{candidate} is not smaller than {c}");
                }

                Assert.Equal(c.DirectionSeed, candidate.DirectionSeed);
                if (spec.ToString().StartsWith("Same", StringComparison.Ordinal))
                {
                    Assert.True(candidate.ShapeOf(0).Length >= spec.MinRank);
                }
            }
        }
    }

    [Property(MaxTest = 200)]
    public void DomainsGenerateOnTheirGridAndShrinkWithinThemselves(int lo, int width, int seed)
    {
        double min = Math.Clamp(lo, -50, 50) / 10.0;
        double max = min + 0.5 + Math.Abs(width % 40) / 10.0;
        var domain = Domain.Between(min, max).AwayFrom(Math.Round((min + max) / 2, 1));
        var values = Gen.ArrayOf(domain.Generate(), 20).Sample(1, new Rnd((ulong)seed, 0x9E3779B97F4A7C15UL), 10).Single();
        foreach (var v in values)
        {
            Assert.True(domain.Contains(v), $"{v} outside {domain}");
            Assert.Equal(v, Math.Round(v, 3));
            foreach (var s in domain.Simpler(v))
            {
                Assert.True(domain.Contains(s), $"{s} outside {domain}");
                Assert.True(Domain.Complexity(s).CompareTo(Domain.Complexity(v)) < 0, $"{s} is not simpler than {v}");
            }
        }
    }
}
