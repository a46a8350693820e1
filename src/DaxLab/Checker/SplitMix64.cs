using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>
/// A tiny seeded generator (Steele et al., SplitMix64). Ours rather than System.Random so
/// that a seed means the same schedules on every .NET version.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    /// <summary>The generator for run <paramref name="run"/> of a search seeded with <paramref name="seed"/>: runs are independent.</summary>
    public static SplitMix64 ForRun(long seed, long run)
    {
        var mixer = new SplitMix64((ulong)seed);
        return new SplitMix64(mixer.Next() ^ ((ulong)run * Gamma));
    }

    public ulong Next()
    {
        ulong z = state += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound): the multiply-shift method, bias below 2^-32 for small bounds.</summary>
    public int Below(int bound)
    {
        Invariant.Holds(bound > 0);
        return (int)(((Next() >> 32) * (ulong)bound) >> 32);
    }
}
