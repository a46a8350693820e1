using System.Buffers.Text;
using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>
/// The schedule as data: a compact string that names the strategy and seed that found a run
/// and lists the CPU chosen at each decision that had a choice (more than one CPU enabled).
/// Decisions with one enabled CPU are implied, so the token stays short.
/// </summary>
/// <remarks>
/// Layout before base64url: version byte, strategy byte, seed (zigzag varint), step count
/// (varint), choice count (varint), then one byte per choice (a CPU index below <see cref="Limits.MaxCpus"/>).
/// </remarks>
public static class ReplayToken
{
    private const byte Version = 1;

    /// <summary>Where a schedule came from: informative only, replay follows the choices.</summary>
    public readonly record struct Header(StrategyKind Strategy, long Seed);

    /// <summary>A decoded token.</summary>
    public sealed record Schedule(Header Header, int Steps, IReadOnlyList<int> Choices);

    internal static string Encode(Header header, int steps, IReadOnlyList<int> choices)
    {
        var bytes = new List<byte>(8 + choices.Count) { Version, (byte)header.Strategy };
        WriteVarint(bytes, (ulong)((header.Seed << 1) ^ (header.Seed >> 63)));
        WriteVarint(bytes, (ulong)steps);
        WriteVarint(bytes, (ulong)choices.Count);
        foreach (int cpu in choices)
        {
            Invariant.Holds(cpu is >= 0 and < Limits.MaxCpus);
            bytes.Add((byte)cpu);
        }
        return Base64Url.EncodeToString(bytes.ToArray());
    }

    public static Schedule Decode(string token)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException("not a replay token (base64url expected): " + token);
        }
        int at = 0;
        if (bytes.Length < 2 || bytes[at++] != Version)
            throw new FormatException($"replay token of another version (this checker reads version {Version})");
        var strategy = (StrategyKind)bytes[at++];
        ulong zigzag = ReadVarint(bytes, ref at);
        long seed = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        int steps = ReadCount(bytes, ref at);
        int count = ReadCount(bytes, ref at);
        if (bytes.Length - at != count)
            throw new FormatException($"replay token truncated: {count} choices announced, {bytes.Length - at} present");
        var choices = new int[count];
        for (int i = 0; i < count; i++)
            choices[i] = bytes[at + i] < Limits.MaxCpus ? bytes[at + i] : throw new FormatException("replay token names a CPU beyond Limits.MaxCpus");
        return new Schedule(new Header(strategy, seed), steps, choices);
    }

    private static void WriteVarint(List<byte> bytes, ulong value)
    {
        for (; value >= 0x80; value >>= 7)
            bytes.Add((byte)(value | 0x80));
        bytes.Add((byte)value);
    }

    private static int ReadCount(byte[] bytes, ref int at)
    {
        ulong value = ReadVarint(bytes, ref at);
        return value <= int.MaxValue ? (int)value : throw new FormatException("replay token has a count beyond any run");
    }

    private static ulong ReadVarint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
                throw new FormatException("replay token truncated inside a number");
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new FormatException("replay token has an overlong number");
    }
}
