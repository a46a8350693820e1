using System.Buffers.Binary;
using DaxLab.Fs;

namespace DaxLab.Cli.Fuzz;

/// <summary>
/// The on-device format seen from outside the engine, for the fuzzer: where the regions and
/// the fields of an image lie, and how to make its checksums hold again after a mutation, so
/// that mutations reach the parsers behind the checksums instead of stopping at them.
/// </summary>
/// <remarks>
/// Reads a possibly broken image: every offset is clamped to the image, every walk is bounded
/// by the bytes it walks, so nothing here throws on any input. The encodings are those of
/// docs/fs.md (superblock, durable tail, checkpoint, log record).
/// </remarks>
internal static class FormatImage
{
    /// <summary>A field: where it is and how wide (2, 4 or 8 bytes).</summary>
    public readonly record struct Field(long Offset, int Width);

    /// <summary>A named byte range of the image.</summary>
    public readonly record struct Region(string Name, long Offset, long Length);

    private const int SuperblockCrcOffset = 96;
    private const int TailOffset = FileSystem.BlockSize;
    private const int TailCopyBytes = 64;
    private const int TailCrcOffset = 32;
    private const int CheckpointHeaderBytes = 48;
    private const int CheckpointCrcOffset = 40;
    private const int RecordHeaderBytes = 24;
    private const int RecordMinBytes = 64;

    /// <summary>The regions as the image's own superblock places them, clamped to the image; the whole image when it says nothing sane.</summary>
    public static List<Region> Regions(byte[] image)
    {
        var regions = new List<Region> { Clamp(image, "superblock", 0, SuperblockCrcOffset + 4), Clamp(image, "tail", TailOffset, 2 * TailCopyBytes) };
        for (int slot = 0; slot < 2; slot++)
        {
            long at = SlotOffset(image, slot);
            regions.Add(Clamp(image, $"checkpoint{slot}", at, CheckpointHeaderBytes + BodyBytes(image, at)));
        }
        long log = I64(image, 56);
        regions.Add(Clamp(image, "log", log, UsedLogBytes(image, log)));
        long data = I64(image, 72) * FileSystem.BlockSize;
        regions.Add(Clamp(image, "data", data, image.Length - data));
        regions.RemoveAll(r => r.Length <= 0);
        if (regions.Count == 0)
            regions.Add(new Region("image", 0, image.Length));
        return regions;
    }

    /// <summary>Every field of the superblock, the tail copies, both checkpoints and the log records, as far as they can be walked.</summary>
    public static List<Field> Fields(byte[] image)
    {
        var fields = new List<Field>();
        int[] superblockWidths = [8, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 4, 4, 8, 4];
        long at = 0;
        foreach (int width in superblockWidths)
        {
            Add(fields, at, width);
            at += width;
        }
        for (int copy = 0; copy < 2; copy++)
        {
            foreach (int offset in new[] { 0, 8, 16, 24 })
                Add(fields, TailOffset + copy * TailCopyBytes + offset, 8);
        }
        for (int slot = 0; slot < 2; slot++)
            CheckpointFields(image, SlotOffset(image, slot), fields);
        foreach (long record in RecordOffsets(image))
        {
            foreach (var (offset, width) in new[] { (4, 2), (6, 2), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8), (56, 4), (60, 2) })
                Add(fields, record + offset, width);
        }
        fields.RemoveAll(f => f.Offset < 0 || f.Offset + f.Width > image.Length);
        return fields;
    }

    /// <summary>The offsets of the log records that a walk by their length fields finds.</summary>
    public static List<long> RecordOffsets(byte[] image)
    {
        var offsets = new List<long>();
        long log = I64(image, 56);
        long end = Math.Min(image.Length, log + Math.Max(0, I64(image, 64)));
        if (log < 0 || log >= image.Length)
            return offsets;
        for (long at = log; at + RecordMinBytes <= end;)
        {
            int length = U16(image, at + 6);
            if (length < RecordMinBytes || length % 8 != 0 || at + length > end)
                break;
            offsets.Add(at);
            at += length;
        }
        return offsets;
    }

    /// <summary>
    /// Recomputes every checksum the image has a place for: superblock, both tail copies whose
    /// magic holds, both checkpoints whose magic holds, and the log records a length walk finds,
    /// all salted with the (possibly mutated) format id in the superblock.
    /// </summary>
    public static void Reseal(byte[] image)
    {
        if (image.Length < FileSystem.BlockSize * 2)
            return;
        ulong formatId = (ulong)I64(image, 24);
        for (int copy = 0; copy < 2; copy++)
        {
            int line = TailOffset + copy * TailCopyBytes;
            if (I64(image, line) != 0)
                Put32(image, line + TailCrcOffset, Crc32C.Compute(formatId, image.AsSpan(line, TailCrcOffset)));
        }
        for (int slot = 0; slot < 2; slot++)
        {
            long at = SlotOffset(image, slot);
            if (at < 0 || at + CheckpointHeaderBytes > image.Length || I64(image, at) == 0)
                continue;
            long body = Math.Min(BodyBytes(image, at), image.Length - at - CheckpointHeaderBytes);
            uint crc = Crc32C.Compute(Crc32C.Compute(formatId, image.AsSpan((int)at, CheckpointCrcOffset)), image.AsSpan((int)(at + CheckpointHeaderBytes), (int)body));
            Put32(image, at + CheckpointCrcOffset, crc);
        }
        foreach (long record in RecordOffsets(image))
        {
            int length = U16(image, record + 6);
            Put32(image, record, Crc32C.Compute(formatId, image.AsSpan((int)record + 4, length - 4)));
        }
        Put32(image, SuperblockCrcOffset, Crc32C.Compute(0, image.AsSpan(0, SuperblockCrcOffset)));
    }

    /// <summary>Sets the format id (the checksums' salt) and reseals, so images made at different times are byte for byte the same.</summary>
    public static void SetFormatId(byte[] image, ulong formatId)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), formatId);
        Reseal(image);
    }

    /// <summary>The fields of a checkpoint's header and of the inode and extent records of its body.</summary>
    private static void CheckpointFields(byte[] image, long slot, List<Field> fields)
    {
        if (slot < 0 || slot + CheckpointHeaderBytes > image.Length)
            return;
        foreach (var (offset, width) in new[] { (0, 8), (8, 8), (16, 8), (24, 8), (32, 4), (36, 4) })
            Add(fields, slot + offset, width);
        long at = slot + CheckpointHeaderBytes;
        long end = Math.Min(image.Length, at + BodyBytes(image, slot));
        while (at + 22 <= end)
        {
            Add(Add(Add(fields, at, 8), at + 8, 8), at + 16, 2);
            long count = at + 18 + U16(image, at + 16);
            if (count + 4 > end)
                return;
            Add(fields, count, 4);
            long extents = Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(image.AsSpan((int)count)));
            at = count + 4;
            for (long e = 0; e < extents && at + 24 <= end; e++, at += 24)
                Add(Add(Add(Add(fields, at, 8), at + 8, 8), at + 16, 4), at + 20, 4);
        }
    }

    private static long SlotOffset(byte[] image, int slot) => I64(image, slot == 0 ? 32 : 40);

    /// <summary>A checkpoint's body length, clamped to what a slot could hold.</summary>
    private static long BodyBytes(byte[] image, long slot) => Math.Clamp(I64(image, slot + 16), 0, Math.Max(0, I64(image, 48) - CheckpointHeaderBytes));

    /// <summary>How much of the log is non-zero (plus a record's worth), clamped to the log's size.</summary>
    private static long UsedLogBytes(byte[] image, long log)
    {
        long size = Math.Clamp(I64(image, 64), 0, Math.Max(0, image.Length - Math.Max(0, log)));
        if (log < 0 || log >= image.Length)
            return 0;
        long used = image.AsSpan((int)log, (int)size).LastIndexOfAnyExcept((byte)0) + 1;
        return Math.Min(size, used + RecordMinBytes + RecordHeaderBytes);
    }

    private static Region Clamp(byte[] image, string name, long offset, long length)
    {
        if (offset < 0 || offset >= image.Length)
            return new Region(name, 0, 0);
        return new Region(name, offset, Math.Clamp(length, 0, image.Length - offset));
    }

    private static List<Field> Add(List<Field> fields, long offset, int width)
    {
        fields.Add(new Field(offset, width));
        return fields;
    }

    /// <summary>A little-endian u64 at <paramref name="at"/>, 0 where the image is too short.</summary>
    public static long I64(byte[] image, long at) =>
        at >= 0 && at + 8 <= image.Length ? BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan((int)at)) : 0;

    private static int U16(byte[] image, long at) =>
        at >= 0 && at + 2 <= image.Length ? BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan((int)at)) : 0;

    private static void Put32(byte[] image, long at, uint value)
    {
        if (at >= 0 && at + 4 <= image.Length)
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan((int)at), value);
    }
}
