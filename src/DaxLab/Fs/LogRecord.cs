using System.Buffers.Binary;
using System.Text;
using DaxLab.Base;

namespace DaxLab.Fs;

/// <summary>The logical metadata changes; each is applied by <see cref="Metadata.Apply"/>, at run time and at replay alike.</summary>
internal enum RecordType : ushort
{
    /// <summary>Ino, Name: a new empty file.</summary>
    Create = 1,
    /// <summary>Ino: removes the file and frees its blocks.</summary>
    Unlink = 2,
    /// <summary>Ino, A = size: sets i_size; a shrink unmaps every block wholly past it.</summary>
    SetSize = 3,
    /// <summary>Ino, A = file block, B = device block, C = count, Flags = unwritten: maps a hole.</summary>
    Map = 4,
    /// <summary>Ino, A = file block, C = count: unmaps (punches) the range.</summary>
    Unmap = 5,
    /// <summary>Ino, A = file block, C = count, Flags = unwritten: sets the state of the mapped blocks in the range.</summary>
    Convert = 6,
}

/// <summary>
/// One log record. Encoding, little endian, 8-byte aligned:
/// crc u32 (CRC32C of bytes [4, length) salted with the format id), type u16, length u16,
/// epoch u64 (the checkpoint generation it follows), seq u64 (0, 1, ... within the epoch),
/// then ino u64, a u64, b u64, c u64, flags u32, name length u16, 2 pad bytes, name (UTF-8).
/// </summary>
internal readonly record struct LogRecord(RecordType Type, long Ino, long A = 0, long B = 0, long C = 0, bool Flag = false, string? Name = null)
{
    public const int HeaderBytes = 24;
    private const int PayloadBytes = 40;

    /// <summary>The smallest record: header and fixed payload, no name.</summary>
    public const int MinBytes = HeaderBytes + PayloadBytes;

    /// <summary>Records start on 8-byte boundaries so the u64 fields are aligned and damage scans step by 8.</summary>
    public const int Alignment = 8;

    /// <summary>The largest record: a Create with a 255-byte name.</summary>
    public const int MaxBytes = (HeaderBytes + PayloadBytes + FileSystem.MaxNameBytes + Alignment - 1) & ~(Alignment - 1);

    public static LogRecord Create(long ino, string name) => new(RecordType.Create, ino, Name: name);
    public static LogRecord Unlink(long ino) => new(RecordType.Unlink, ino);
    public static LogRecord SetSize(long ino, long size) => new(RecordType.SetSize, ino, A: size);
    public static LogRecord Map(long ino, Extent e) => new(RecordType.Map, ino, e.FileBlock, e.DevBlock, e.Count, e.Unwritten);
    public static LogRecord Unmap(long ino, long first, long count) => new(RecordType.Unmap, ino, first, C: count);
    public static LogRecord Convert(long ino, long first, long count, bool unwritten) => new(RecordType.Convert, ino, first, C: count, Flag: unwritten);

    public int EncodedBytes => (HeaderBytes + PayloadBytes + (Name is null ? 0 : Encoding.UTF8.GetByteCount(Name)) + Alignment - 1) & ~(Alignment - 1);

    /// <summary>Encodes the record into <paramref name="dest"/> (exactly <see cref="EncodedBytes"/> long).</summary>
    public void Encode(Span<byte> dest, ulong formatId, long epoch, long seq)
    {
        Invariant.Holds(dest.Length == EncodedBytes && dest.Length <= MaxBytes, "record buffer sized by EncodedBytes");
        dest.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(dest[4..], (ushort)Type);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[6..], (ushort)dest.Length);
        BinaryPrimitives.WriteInt64LittleEndian(dest[8..], epoch);
        BinaryPrimitives.WriteInt64LittleEndian(dest[16..], seq);
        Span<byte> p = dest[HeaderBytes..];
        BinaryPrimitives.WriteInt64LittleEndian(p, Ino);
        BinaryPrimitives.WriteInt64LittleEndian(p[8..], A);
        BinaryPrimitives.WriteInt64LittleEndian(p[16..], B);
        BinaryPrimitives.WriteInt64LittleEndian(p[24..], C);
        BinaryPrimitives.WriteUInt32LittleEndian(p[32..], Flag ? 1u : 0u);
        if (Name is not null)
        {
            int n = Encoding.UTF8.GetBytes(Name, p[PayloadBytes..]);
            BinaryPrimitives.WriteUInt16LittleEndian(p[36..], (ushort)n);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(dest, Crc32C.Compute(formatId, dest[4..]));
    }

    /// <summary>
    /// The record at the start of <paramref name="src"/> if it is intact and belongs to
    /// <paramref name="epoch"/> with sequence <paramref name="seq"/>; else null (a torn tail,
    /// stale bytes of an older epoch, or damage) and <paramref name="length"/> 0.
    /// </summary>
    public static LogRecord? TryDecode(ReadOnlySpan<byte> src, ulong formatId, long epoch, long seq, out int length)
    {
        length = 0;
        int len = IntactLength(src, formatId);
        if (len == 0 || BinaryPrimitives.ReadInt64LittleEndian(src[8..]) != epoch || BinaryPrimitives.ReadInt64LittleEndian(src[16..]) != seq)
            return null;
        ReadOnlySpan<byte> p = src[HeaderBytes..len];
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(p[36..]);
        if (nameLength > len - HeaderBytes - PayloadBytes)
            return null;
        string? name = nameLength == 0 ? null : Encoding.UTF8.GetString(p.Slice(PayloadBytes, nameLength));
        length = len;
        return new LogRecord((RecordType)BinaryPrimitives.ReadUInt16LittleEndian(src[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(p), BinaryPrimitives.ReadInt64LittleEndian(p[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(p[16..]), BinaryPrimitives.ReadInt64LittleEndian(p[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(p[32..]) != 0, name);
    }

    /// <summary>The epoch field of whatever is at the start of <paramref name="src"/>, if it checksums as a record.</summary>
    public static long? IntactEpoch(ReadOnlySpan<byte> src, ulong formatId) =>
        IntactLength(src, formatId) == 0 ? null : BinaryPrimitives.ReadInt64LittleEndian(src[8..]);

    /// <summary>The length of the record at the start of <paramref name="src"/> if its length field is sane and its checksum holds; else 0.</summary>
    private static int IntactLength(ReadOnlySpan<byte> src, ulong formatId)
    {
        if (src.Length < HeaderBytes + PayloadBytes)
            return 0;
        int len = BinaryPrimitives.ReadUInt16LittleEndian(src[6..]);
        if (len < HeaderBytes + PayloadBytes || len > MaxBytes || len % Alignment != 0 || len > src.Length)
            return 0;
        return Crc32C.Compute(formatId, src[4..len]) == BinaryPrimitives.ReadUInt32LittleEndian(src) ? len : 0;
    }

    public override string ToString() => Type switch
    {
        RecordType.Create => $"create ino {Ino} '{Name}'",
        RecordType.Unlink => $"unlink ino {Ino}",
        RecordType.SetSize => $"setsize ino {Ino} to {A}",
        RecordType.Map => $"map ino {Ino} file blocks {A}+{C} at device block {B}{(Flag ? " unwritten" : "")}",
        RecordType.Unmap => $"unmap ino {Ino} file blocks {A}+{C}",
        RecordType.Convert => $"convert ino {Ino} file blocks {A}+{C} to {(Flag ? "unwritten" : "written")}",
        _ => $"record type {(int)Type}",
    };
}
