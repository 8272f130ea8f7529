namespace AutoGrad;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64). The same seed gives the
/// same sequence on every run, machine and runtime: it uses only integer arithmetic and IEEE basic
/// operations (no platform math library), unlike <see cref="System.Random"/>, whose algorithm is not
/// guaranteed across .NET versions.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The seed this generator was created from.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// Everything that decides this generator's future draws, as a value: save it (a training checkpoint does) and
    /// <see cref="FromState"/> gives a generator whose draws continue exactly where this one's stand, as PyTorch's
    /// <c>Generator.get_state</c>/<c>set_state</c> and NumPy's <c>bit_generator.state</c>.
    /// </summary>
    public GeneratorState State => new(Seed, _s0, _s1, _s2, _s3, _spareNormal);

    /// <summary>A generator that continues from <paramref name="state"/>: its draws are those the saved generator would have made next.</summary>
    /// <exception cref="ArgumentException">The state is all zeros, which xoshiro256** can never reach (it would draw only zeros).</exception>
    public static Generator FromState(GeneratorState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("Generator.FromState: the state words are all zero, which no generator reaches; was the state saved by Generator.State?", nameof(state));
        }

        if (state.SpareNormal is { } spare && !double.IsFinite(spare))
        {
            throw new ArgumentException($"Generator.FromState: the spare normal draw must be finite, got {spare}.", nameof(state));
        }

        return new Generator(state);
    }

    private Generator(GeneratorState state)
    {
        Seed = state.Seed;
        (_s0, _s1, _s2, _s3) = (state.S0, state.S1, state.S2, state.S3);
        _spareNormal = state.SpareNormal;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong bound = (ulong)maxExclusive;
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound);
        ulong r;
        do
        {
            r = NextUInt64();
        }
        while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>
    /// A standard normal draw (Marsaglia's polar method). The logarithm is computed by
    /// <see cref="DeterministicMath.Log"/>, so results are bitwise identical across platforms.
    /// </summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }

        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        }
        while (s >= 1.0 || s == 0.0);

        double factor = Math.Sqrt(-2.0 * DeterministicMath.Log(s) / s);
        _spareNormal = v * factor;
        return u * factor;
    }

    /// <summary>A uniformly random permutation of 0..n−1 (Fisher–Yates): shuffling without replacement.</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = i;
        }

        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }

    /// <summary>A new generator whose stream is independent of this one's continuation (seeded from it).</summary>
    public Generator Fork() => new(NextUInt64());

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>A <see cref="Generator"/>'s full state (see <see cref="Generator.State"/>), an immutable value.</summary>
/// <param name="Seed">The seed the generator was created from (kept for <see cref="Generator.Seed"/>; the words below decide the draws).</param>
/// <param name="S0">xoshiro256** state word 0.</param>
/// <param name="S1">xoshiro256** state word 1.</param>
/// <param name="S2">xoshiro256** state word 2.</param>
/// <param name="S3">xoshiro256** state word 3.</param>
/// <param name="SpareNormal">The second draw of the last polar-method pair, returned by the next <see cref="Generator.NextNormal"/> (null when none is pending).</param>
public readonly record struct GeneratorState(ulong Seed, ulong S0, ulong S1, ulong S2, ulong S3, double? SpareNormal);
