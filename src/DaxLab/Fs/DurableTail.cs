using System.Buffers.Binary;
using DaxLab.Device;

namespace DaxLab.Fs;

/// <summary>
/// How far the log of an epoch is durable: the log force (fsync) records it after flushing the
/// records it covers, so mount can tell a record fsync returned for (damage if it does not
/// replay) from an unacknowledged tail (a torn write, dropped with a warning).
/// </summary>
/// <remarks>
/// The tail block (block 1) holds two copies, one 64-byte cache line each, written alternately,
/// so a torn update leaves the other copy, and mount takes the valid copy with the larger
/// (epoch, bytes). Encoding (little endian): magic u64, epoch u64, bytes u64 (log offset the
/// epoch is durable to), records u64 (how many records lie below it), CRC32C u32 of bytes
/// [0, 32) salted with the format id; the rest of the line is zero.
/// </remarks>
internal readonly record struct DurableTail(long Epoch, long Bytes, long Records)
{
    /// <summary>"DAXTAIL1" read as a little-endian u64.</summary>
    private const ulong Magic = 0x314C494154584144;

    /// <summary>One copy per cache line: the unit a power failure keeps or loses (issue #11's model).</summary>
    public const int CopyBytes = 64;

    /// <summary>Two copies, written alternately.</summary>
    public const int Copies = 2;

    internal const int CrcOffset = 32;

    /// <summary>
    /// Writes this tail into copy <paramref name="copy"/>, flushes and fences it. Context: log lock held,
    /// and the log bytes [0, <see cref="Bytes"/>) of the epoch already flushed: the tail may
    /// only promise what is durable.
    /// </summary>
    public void Write(PmemDevice device, Layout layout, int copy)
    {
        Span<byte> staged = stackalloc byte[CopyBytes];
        staged.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(staged, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(staged[8..], Epoch);
        BinaryPrimitives.WriteInt64LittleEndian(staged[16..], Bytes);
        BinaryPrimitives.WriteInt64LittleEndian(staged[24..], Records);
        BinaryPrimitives.WriteUInt32LittleEndian(staged[CrcOffset..], Crc32C.Compute(layout.FormatId, staged[..CrcOffset]));
        long at = layout.TailOffset + copy * CopyBytes;
        staged.CopyTo(device.Span(at, CopyBytes));
        device.Flush(at, CopyBytes);
        device.Fence();
    }

    /// <summary>mkfs: both copies cleared, then copy 0 says epoch <paramref name="epoch"/> is durable to its start.</summary>
    public static void Format(PmemDevice device, Layout layout, long epoch)
    {
        device.Span(layout.TailOffset, Copies * CopyBytes).Clear();
        new DurableTail(epoch, 0, 0).Write(device, layout, 0);
    }

    /// <summary>
    /// The newest valid copy and its index, or null with the reason when neither is valid (both
    /// copies damaged: a torn update only ever spoils the one being written).
    /// </summary>
    public static (DurableTail Tail, int Copy)? ReadNewest(PmemDevice device, Layout layout, out string reason)
    {
        DurableTail? c0 = TryRead(device, layout, 0, out string why0);
        DurableTail? c1 = TryRead(device, layout, 1, out string why1);
        reason = $"{why0}; {why1}";
        if (c0 is null && c1 is null)
            return null;
        if (c1 is null || (c0 is { } a && (a.Epoch, a.Bytes).CompareTo((c1.Value.Epoch, c1.Value.Bytes)) >= 0))
            return (c0!.Value, 0);
        return (c1.Value, 1);
    }

    /// <summary>One copy if its magic, checksum and fields hold, else null with the reason.</summary>
    private static DurableTail? TryRead(PmemDevice device, Layout layout, int copy, out string reason)
    {
        ReadOnlySpan<byte> line = device.Span(layout.TailOffset + copy * CopyBytes, CopyBytes);
        reason = "";
        if (BinaryPrimitives.ReadUInt64LittleEndian(line) != Magic)
        {
            reason = $"tail copy {copy}: bad magic";
            return null;
        }
        if (Crc32C.Compute(layout.FormatId, line[..CrcOffset]) != BinaryPrimitives.ReadUInt32LittleEndian(line[CrcOffset..]))
        {
            reason = $"tail copy {copy}: checksum mismatch";
            return null;
        }
        var tail = new DurableTail(BinaryPrimitives.ReadInt64LittleEndian(line[8..]), BinaryPrimitives.ReadInt64LittleEndian(line[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(line[24..]));
        if (tail.Epoch <= 0 || tail.Bytes < 0 || tail.Bytes > layout.LogBytes || tail.Bytes % LogRecord.Alignment != 0
            || tail.Records < 0 || tail.Records > tail.Bytes / LogRecord.MinBytes)
        {
            reason = $"tail copy {copy}: epoch {tail.Epoch}, {tail.Bytes} bytes, {tail.Records} records do not fit the log";
            return null;
        }
        return tail;
    }
}
