namespace DaxLab.Mutation.Tests;

/// <summary>Buffers the single-threaded checks write and compare.</summary>
internal static class Bytes
{
    /// <summary><paramref name="length"/> bytes of <paramref name="value"/>, as xfs_io's pwrite -S writes them.</summary>
    public static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
