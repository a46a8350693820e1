using System.Buffers.Binary;
using System.Text;
using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>
/// A checkpoint: the whole metadata state in one of two alternating slots (generation parity
/// picks the slot), so a torn checkpoint write never touches the other, valid one.
/// </summary>
/// <remarks>
/// Header (little endian): magic u64, generation u64, body bytes u64, next ino u64, inode count
/// u32, extent count u32, CRC32C u32 (salted with the format id) of header bytes [0, 40) and the
/// body. Body, per inode: ino u64, size u64, name length u16, name, extent count u32, then per
/// extent: file block u64, device block u64, count u32, flags u32 (bit 0 = unwritten).
/// </remarks>
internal static class Checkpoint
{
    /// <summary>"DAXCKPT1" read as a little-endian u64.</summary>
    private const ulong Magic = 0x3154504B43584144;
    public const int HeaderBytes = 48;
    internal const int CrcOffset = 40;
    private const int InodeFixedBytes = 8 + 8 + 2 + 4;
    public const int MaxInodeRecordBytes = InodeFixedBytes + FileSystem.MaxNameBytes;
    public const int ExtentRecordBytes = 24;

    /// <summary>
    /// Writes generation <paramref name="generation"/> of <paramref name="md"/> into its slot and
    /// flushes it. The header is invalidated first and rewritten last, so a kill at any point
    /// leaves the slot invalid, never half-new. Context: log lock held (no change runs meanwhile).
    /// </summary>
    public static void Write(PmemDevice device, Metadata md, long generation)
    {
        Layout layout = md.Layout;
        long slot = layout.SlotOffset(generation % 2);
        Span<byte> header = device.Span(slot, HeaderBytes);
        header.Clear();
        Span<byte> body = device.Span(slot + HeaderBytes, (int)(layout.SlotBytes - HeaderBytes));
        int used = 0;
        long extentCount = 0;
        foreach (Inode inode in md.ByIno.Values)
        {
            used += WriteInode(body[used..], inode);
            extentCount += inode.Extents.Count;
        }
        Invariant.Holds(extentCount == md.ExtentTotal, "extent total matches the maps");
        Span<byte> staged = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(staged, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(staged[8..], generation);
        BinaryPrimitives.WriteInt64LittleEndian(staged[16..], used);
        BinaryPrimitives.WriteInt64LittleEndian(staged[24..], md.NextIno);
        BinaryPrimitives.WriteInt32LittleEndian(staged[32..], md.ByIno.Count);
        BinaryPrimitives.WriteInt32LittleEndian(staged[36..], (int)extentCount);
        BinaryPrimitives.WriteUInt32LittleEndian(staged[CrcOffset..], Checksum(layout.FormatId, staged, body[..used]));
        staged.CopyTo(header);
        device.Flush(slot, HeaderBytes + used);
        // Durable before the log is zeroed: the old epoch's records are the state until then.
        device.Fence();
    }

    /// <summary>The generation stored in a slot if its header and checksum are intact, else null with the reason.</summary>
    public static long? Probe(PmemDevice device, Layout layout, int slotIndex, out string reason)
    {
        long slot = layout.SlotOffset(slotIndex);
        ReadOnlySpan<byte> header = device.Span(slot, HeaderBytes);
        reason = "";
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
        {
            reason = $"slot {slotIndex}: no checkpoint (bad magic)";
            return null;
        }
        long bodyBytes = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        if (bodyBytes < 0 || bodyBytes > layout.SlotBytes - HeaderBytes)
        {
            reason = $"slot {slotIndex}: body length {bodyBytes} does not fit the slot";
            return null;
        }
        ReadOnlySpan<byte> body = device.Span(slot + HeaderBytes, (int)bodyBytes);
        if (Checksum(layout.FormatId, header, body) != BinaryPrimitives.ReadUInt32LittleEndian(header[CrcOffset..]))
        {
            reason = $"slot {slotIndex}: checksum mismatch (damaged or torn)";
            return null;
        }
        long generation = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (generation <= 0 || generation % 2 != slotIndex)
        {
            reason = $"slot {slotIndex}: generation {generation} does not belong in this slot";
            return null;
        }
        return generation;
    }

    /// <summary>Loads a slot that <see cref="Probe"/> accepted. Throws <see cref="CorruptMetadataException"/> for contents that do not add up.</summary>
    public static Metadata Read(PmemDevice device, Layout layout, Seam seam, int slotIndex)
    {
        long slot = layout.SlotOffset(slotIndex);
        ReadOnlySpan<byte> header = device.Span(slot, HeaderBytes);
        ReadOnlySpan<byte> body = device.Span(slot + HeaderBytes, (int)BinaryPrimitives.ReadInt64LittleEndian(header[16..]));
        int inodeCount = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        int extentCount = BinaryPrimitives.ReadInt32LittleEndian(header[36..]);
        if (inodeCount < 0 || inodeCount > layout.MaxInodes || extentCount < 0 || extentCount > layout.MaxExtents)
            throw new CorruptMetadataException($"{inodeCount} inodes / {extentCount} extents exceed the limits ({layout.MaxInodes} / {layout.MaxExtents})");
        var md = new Metadata(seam, layout);
        int pos = 0;
        for (int i = 0; i < inodeCount; i++)
            pos += ReadInode(body[pos..], md, seam);
        if (pos != body.Length || md.ExtentTotal != extentCount)
            throw new CorruptMetadataException($"body holds {md.ExtentTotal} extents in {pos} bytes, header says {extentCount} in {body.Length}");
        md.NextIno = Math.Max(md.NextIno, BinaryPrimitives.ReadInt64LittleEndian(header[24..]));
        return md;
    }

    private static uint Checksum(ulong formatId, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body) =>
        Crc32C.Compute(Crc32C.Compute(formatId, header[..CrcOffset]), body);

    private static int WriteInode(Span<byte> dest, Inode inode)
    {
        int n = Encoding.UTF8.GetBytes(inode.Name, dest[18..]);
        BinaryPrimitives.WriteInt64LittleEndian(dest, inode.Ino);
        BinaryPrimitives.WriteInt64LittleEndian(dest[8..], inode.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[16..], (ushort)n);
        int pos = 18 + n;
        BinaryPrimitives.WriteInt32LittleEndian(dest[pos..], inode.Extents.Count);
        pos += 4;
        foreach (Extent e in inode.Extents.All)
        {
            BinaryPrimitives.WriteInt64LittleEndian(dest[pos..], e.FileBlock);
            BinaryPrimitives.WriteInt64LittleEndian(dest[(pos + 8)..], e.DevBlock);
            BinaryPrimitives.WriteUInt32LittleEndian(dest[(pos + 16)..], (uint)e.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(dest[(pos + 20)..], e.Unwritten ? 1u : 0u);
            pos += ExtentRecordBytes;
        }
        return pos;
    }

    private static int ReadInode(ReadOnlySpan<byte> src, Metadata md, Seam seam)
    {
        if (src.Length < InodeFixedBytes)
            throw new CorruptMetadataException("inode record runs past the body");
        long ino = BinaryPrimitives.ReadInt64LittleEndian(src);
        long size = BinaryPrimitives.ReadInt64LittleEndian(src[8..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(src[16..]);
        if (nameLength > FileSystem.MaxNameBytes || src.Length < InodeFixedBytes + nameLength)
            throw new CorruptMetadataException($"inode {ino}: name length {nameLength} invalid");
        string name = Encoding.UTF8.GetString(src.Slice(18, nameLength));
        int pos = 18 + nameLength;
        int count = BinaryPrimitives.ReadInt32LittleEndian(src[pos..]);
        pos += 4;
        if (count < 0 || count > md.Layout.MaxExtents || (long)count * ExtentRecordBytes > src.Length - pos)
            throw new CorruptMetadataException($"inode {ino}: extent count {count} invalid");
        if (size < 0 || size > Geometry.MaxFileSize || ino <= 0)
            throw new CorruptMetadataException($"inode {ino}: size {size} or number out of range");
        var inode = new Inode(seam, ino, name);
        inode.SetSizeInternal(size);
        var extents = new List<Extent>(count);
        for (int i = 0; i < count; i++, pos += ExtentRecordBytes)
        {
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(src[(pos + 20)..]);
            if (flags > 1)
                throw new CorruptMetadataException($"inode {ino}: extent {i} has unknown flags {flags}");
            extents.Add(new Extent(BinaryPrimitives.ReadInt64LittleEndian(src[pos..]), BinaryPrimitives.ReadInt64LittleEndian(src[(pos + 8)..]),
                BinaryPrimitives.ReadUInt32LittleEndian(src[(pos + 16)..]), flags == 1));
        }
        for (int i = 1; i < extents.Count; i++)
        {
            if (extents[i - 1].FileEnd > extents[i].FileBlock)
                throw new CorruptMetadataException($"inode {ino}: extents {i - 1} and {i} overlap or are unsorted");
        }
        md.Load(inode, extents);
        return pos;
    }
}
