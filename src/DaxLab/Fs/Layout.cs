using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using DaxLab.Base;
using DaxLab.Device;

namespace DaxLab.Fs;

/// <summary>CRC32C (Castagnoli) with the CPU's crc32 instruction, salted with the file system's format id.</summary>
internal static class Crc32C
{
    /// <summary>The checksum of <paramref name="data"/>; the salt makes a checksum from an older format of the same device fail.</summary>
    public static uint Compute(ulong salt, ReadOnlySpan<byte> data)
    {
        uint crc = BitOperations.Crc32C(~0u, salt);
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, MemoryMarshal.Read<ulong>(data));
            data = data[sizeof(ulong)..];
        }
        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}

/// <summary>
/// The on-device geometry, as the superblock (block 0) records it. See docs/fs.md for the table.
/// </summary>
/// <remarks>
/// Superblock encoding (little endian): magic u64, version u32, block size u32, device size u64,
/// format id u64, checkpoint slot 0 offset u64, slot 1 offset u64, slot bytes u64, log offset u64,
/// log bytes u64, first data block u64, max inodes u32, max extents u32, tail block offset u64,
/// CRC32C u32 of the preceding bytes.
/// </remarks>
internal sealed record Layout(
    long DeviceSize,
    ulong FormatId,
    long Slot0Offset,
    long Slot1Offset,
    long SlotBytes,
    long LogOffset,
    long LogBytes,
    long FirstDataBlock,
    int MaxInodes,
    int MaxExtents)
{
    /// <summary>The durable-tail block (<see cref="DurableTail"/>): the block after the superblock.</summary>
    public long TailOffset => FileSystem.BlockSize;

    /// <summary>"DAXLABFS" read as a little-endian u64.</summary>
    public const ulong Magic = 0x5346424C41584144;
    /// <summary>Version 2 added the durable-tail block; version 1 images are refused with a clear message (docs/fs.md).</summary>
    public const uint Version = 2;

    /// <summary>The version before the durable-tail block, recognised to say so instead of "damaged".</summary>
    private const uint VersionWithoutDurableTail = 1;

    /// <summary>Where version 1 kept its checksum: after max extents, with no tail block offset.</summary>
    private const int Version1CrcOffset = 88;

    internal const int CrcOffset = 96;

    /// <summary>The encoded superblock, checksum included (tests flip each of its bits).</summary>
    internal const int SuperblockBytes = CrcOffset + sizeof(uint);

    /// <summary>Smallest file system: the metadata area plus at least a few 2 MiB regions of data.</summary>
    public const long MinDeviceSize = 8L << 20;

    /// <summary>Metadata takes 1/32 (about 3%) of the device ...</summary>
    private const int MetadataShareShift = 5;

    /// <summary>... but at least 256 KiB, so a small device still holds a useful inode table and log ...</summary>
    private const long MinMetadataBytes = 256L << 10;

    /// <summary>... and at most 64 MiB, which bounds the checkpoint write and the mount-time replay.</summary>
    private const long MaxMetadataBytes = 64L << 20;

    /// <summary>A checkpoint slot spends at most 1/4 of itself on inode records; the rest holds extents.</summary>
    private const int InodeShareOfSlot = 4;

    /// <summary>The log gets 1/4 of the metadata area after the superblock; the two checkpoint slots split the rest.</summary>
    private const int LogShareOfMetadata = 4;

    /// <summary>A chosen log may take at most 1/2 of it, leaving each slot room for the worst-case inode table.</summary>
    private const int MaxLogShareOfMetadata = 2;

    /// <summary>Two checkpoint slots, alternating by generation parity.</summary>
    private const int CheckpointSlots = 2;

    /// <summary>Blocks before the checkpoint slots: the superblock and the durable-tail block.</summary>
    private const int HeaderBlocks = 2;

    /// <summary>The smallest log: a few dozen records between checkpoints.</summary>
    public const long MinLogBytes = 4096;

    public long TotalBlocks => DeviceSize / FileSystem.BlockSize;

    /// <summary>Offset of checkpoint slot <paramref name="slot"/> (generation parity).</summary>
    public long SlotOffset(long slot) => slot == 0 ? Slot0Offset : Slot1Offset;

    /// <summary>mkfs geometry for a device; <paramref name="logBytes"/> (tests) overrides the log size.</summary>
    public static Layout ForDevice(long deviceSize, long? logBytes)
    {
        if (deviceSize < MinDeviceSize)
            throw new ErrnoException(Errno.EINVAL, $"device of {deviceSize} bytes is smaller than the {MinDeviceSize}-byte minimum file system");
        long block = FileSystem.BlockSize;
        long metadata = Math.Clamp(deviceSize >> MetadataShareShift, MinMetadataBytes, MaxMetadataBytes) / block * block;
        long afterSuper = metadata - HeaderBlocks * block;
        long log = logBytes ?? afterSuper / LogShareOfMetadata / block * block;
        if (log < MinLogBytes || log % block != 0 || log > afterSuper / MaxLogShareOfMetadata)
            throw new ErrnoException(Errno.EINVAL, $"log of {log} bytes: must be whole blocks, at least {MinLogBytes} and at most half the metadata area");
        long slot = (afterSuper - log) / CheckpointSlots / block * block;
        int maxInodes = (int)(slot / InodeShareOfSlot / Checkpoint.MaxInodeRecordBytes);
        long extentBytes = slot - Checkpoint.HeaderBytes - (long)maxInodes * Checkpoint.MaxInodeRecordBytes;
        int maxExtents = (int)Math.Min(int.MaxValue, extentBytes / Checkpoint.ExtentRecordBytes);
        long slot0 = HeaderBlocks * block;
        return new Layout(deviceSize, (ulong)Random.Shared.NextInt64() | 1, slot0, slot0 + slot, slot,
            slot0 + CheckpointSlots * slot, log, (slot0 + CheckpointSlots * slot + log) / block, maxInodes, maxExtents);
    }

    /// <summary>Writes the superblock to block 0 and flushes it.</summary>
    public void WriteSuperblock(PmemDevice device)
    {
        Span<byte> sb = device.Span(0, FileSystem.BlockSize);
        sb.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(sb, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(sb[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(sb[12..], FileSystem.BlockSize);
        BinaryPrimitives.WriteInt64LittleEndian(sb[16..], DeviceSize);
        BinaryPrimitives.WriteUInt64LittleEndian(sb[24..], FormatId);
        BinaryPrimitives.WriteInt64LittleEndian(sb[32..], Slot0Offset);
        BinaryPrimitives.WriteInt64LittleEndian(sb[40..], Slot1Offset);
        BinaryPrimitives.WriteInt64LittleEndian(sb[48..], SlotBytes);
        BinaryPrimitives.WriteInt64LittleEndian(sb[56..], LogOffset);
        BinaryPrimitives.WriteInt64LittleEndian(sb[64..], LogBytes);
        BinaryPrimitives.WriteInt64LittleEndian(sb[72..], FirstDataBlock);
        BinaryPrimitives.WriteInt32LittleEndian(sb[80..], MaxInodes);
        BinaryPrimitives.WriteInt32LittleEndian(sb[84..], MaxExtents);
        BinaryPrimitives.WriteInt64LittleEndian(sb[88..], TailOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(sb[CrcOffset..], Crc32C.Compute(0, sb[..CrcOffset]));
        device.Flush(0, FileSystem.BlockSize);
        device.Fence();
    }

    /// <summary>Reads and validates the superblock: EINVAL for a foreign device, EUCLEAN for a damaged one.</summary>
    public static Layout ReadSuperblock(PmemDevice device)
    {
        if (device.Size < MinDeviceSize)
            throw new ErrnoException(Errno.EINVAL, $"not a DaxLab file system: device of {device.Size} bytes is below the {MinDeviceSize}-byte minimum");
        ReadOnlySpan<byte> sb = device.Span(0, SuperblockBytes);
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(sb);
        if (magic != Magic)
            throw new ErrnoException(Errno.EINVAL, $"not a DaxLab file system: bad superblock magic 0x{magic:x16} (expected 0x{Magic:x16})");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(sb[8..]);
        if (version == VersionWithoutDurableTail && ChecksumHolds(sb, Version1CrcOffset))
            throw new ErrnoException(Errno.EINVAL,
                $"superblock says DaxLab format version {version}, which has no durable log tail; this build reads only version {Version}: "
                + "copy the files out with an older daxlab, then recreate the device with daxlab mkfs");
        if (!ChecksumHolds(sb, CrcOffset))
            throw new ErrnoException(Errno.EUCLEAN, "superblock checksum mismatch: the superblock is damaged");
        if (version != Version)
            throw new ErrnoException(Errno.EINVAL, $"unsupported DaxLab file system version {version} in the superblock (this build reads {Version})");
        uint blockSize = BinaryPrimitives.ReadUInt32LittleEndian(sb[12..]);
        if (blockSize != FileSystem.BlockSize)
            throw new ErrnoException(Errno.EINVAL, $"unsupported block size {blockSize} (this build uses {FileSystem.BlockSize})");
        var layout = new Layout(
            BinaryPrimitives.ReadInt64LittleEndian(sb[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(sb[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(sb[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(sb[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(sb[48..]),
            BinaryPrimitives.ReadInt64LittleEndian(sb[56..]),
            BinaryPrimitives.ReadInt64LittleEndian(sb[64..]),
            BinaryPrimitives.ReadInt64LittleEndian(sb[72..]),
            BinaryPrimitives.ReadInt32LittleEndian(sb[80..]),
            BinaryPrimitives.ReadInt32LittleEndian(sb[84..]));
        long tailOffset = BinaryPrimitives.ReadInt64LittleEndian(sb[88..]);
        string? problem = tailOffset != layout.TailOffset
            ? $"tail block at offset {tailOffset}, expected {layout.TailOffset}"
            : layout.Problem(device.Size);
        if (problem is not null)
            throw new ErrnoException(Errno.EUCLEAN, "superblock geometry is inconsistent: " + problem);
        return layout;
    }

    /// <summary>Whether the CRC32C stored at <paramref name="crcOffset"/> covers the bytes before it.</summary>
    private static bool ChecksumHolds(ReadOnlySpan<byte> sb, int crcOffset) =>
        Crc32C.Compute(0, sb[..crcOffset]) == BinaryPrimitives.ReadUInt32LittleEndian(sb[crcOffset..]);

    /// <summary>What is wrong with a checksum-valid geometry (a bug or a deliberate forgery), or null.</summary>
    private string? Problem(long actualDeviceSize)
    {
        long block = FileSystem.BlockSize;
        if (DeviceSize != actualDeviceSize)
            return $"it describes a {DeviceSize}-byte device but the device has {actualDeviceSize} bytes";
        // Sizes are bounded before any sum or product, so a forged field cannot overflow into a match.
        if (SlotBytes <= 0 || SlotBytes > MaxMetadataBytes || SlotBytes % block != 0
            || LogBytes < MinLogBytes || LogBytes > MaxMetadataBytes || LogBytes % block != 0)
            return $"region sizes (slot {SlotBytes}, log {LogBytes}) are not whole blocks of sane size";
        if (Slot0Offset != HeaderBlocks * block || Slot1Offset != Slot0Offset + SlotBytes || LogOffset != Slot1Offset + SlotBytes)
            return "checkpoint slots and log are not laid out back to back after the superblock and tail block";
        if (FirstDataBlock <= 0 || FirstDataBlock >= TotalBlocks || FirstDataBlock * block != LogOffset + LogBytes || FirstDataBlock * block > MaxMetadataBytes)
            return $"first data block {FirstDataBlock} does not follow the log or leaves no data";
        if (MaxInodes <= 0 || MaxExtents <= 0
            || Checkpoint.HeaderBytes + (long)MaxInodes * Checkpoint.MaxInodeRecordBytes + (long)MaxExtents * Checkpoint.ExtentRecordBytes > SlotBytes)
            return $"limits of {MaxInodes} inodes and {MaxExtents} extents do not fit a {SlotBytes}-byte checkpoint slot";
        return null;
    }
}
