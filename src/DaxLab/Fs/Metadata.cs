using System.Buffers;
using System.Text;
using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>A record or checkpoint that cannot be applied: the image is damaged (EUCLEAN at mount, a bug at run time).</summary>
internal sealed class CorruptMetadataException(string message) : Exception(message);

/// <summary>
/// The authoritative in-memory metadata: the inode table, each inode's extent map and size.
/// Changed only by <see cref="Apply"/>, the one function both the run-time commit and the
/// mount-time replay use, so the state after replay is the state the records described.
/// </summary>
/// <remarks>
/// Context: every change runs under the log lock (plus the inode's ILOCK exclusive at run time,
/// plus the namespace lock for Create/Unlink); the tables are read under the namespace lock,
/// an inode's extents under its ILOCK, and everything under the log lock (checkpoint).
/// </remarks>
internal sealed class Metadata(Seam seam, Layout layout)
{
    /// <summary>The last file block + 1 a file can have (MaxFileSize in blocks).</summary>
    public const long MaxFileBlocks = Geometry.MaxFileSize / FileSystem.BlockSize;

    public readonly Dictionary<long, Inode> ByIno = [];
    public readonly Dictionary<string, Inode> ByName = new(StringComparer.Ordinal);

    public Layout Layout { get; } = layout;

    /// <summary>The next inode number to hand out; never reused, so a stale record cannot name a new file.</summary>
    public long NextIno { get; set; } = 1;

    /// <summary>Extents of all inodes together, against <see cref="Layout.MaxExtents"/>.</summary>
    public long ExtentTotal { get; private set; }

    /// <summary>Why <paramref name="name"/> cannot name a file (with its errno), or null.</summary>
    public static (Errno, string)? NameProblem(string name)
    {
        int used;
        if (name.Length == 0)
            return (Errno.EINVAL, "empty file name");
        if (name.Contains('/') || name.Contains('\0'))
            return (Errno.EINVAL, $"file name '{name}' contains '/' or NUL (the directory is flat)");
        // A lone surrogate would be stored as U+FFFD and come back as a different name.
        for (int i = 0; i < name.Length; i += used)
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out _, out used) != OperationStatus.Done)
                return (Errno.EINVAL, "file name is not valid Unicode (lone surrogate)");
        }
        if (Encoding.UTF8.GetByteCount(name) > FileSystem.MaxNameBytes)
            return (Errno.ENAMETOOLONG, $"file name of {Encoding.UTF8.GetByteCount(name)} UTF-8 bytes exceeds {FileSystem.MaxNameBytes}");
        return null;
    }

    /// <summary>
    /// How many extents applying <paramref name="r"/> can add at most: a map adds one, a
    /// conversion can split an extent in three, an unmap adds one only when it splits an extent
    /// in two (so punching whole extents works even at the limit). Context: log lock.
    /// </summary>
    public int GrowthBound(in LogRecord r)
    {
        switch (r.Type)
        {
            case RecordType.Map:
                return 1;
            case RecordType.Convert:
                return 2;
            case RecordType.Unmap when ByIno.TryGetValue(r.Ino, out Inode? inode):
                int i = inode.Extents.Search(r.A);
                bool splits = i < inode.Extents.Count && inode.Extents[i].FileBlock < r.A && inode.Extents[i].FileEnd > r.A + r.C;
                return splits ? 1 : 0;
            default:
                return 0;
        }
    }

    /// <summary>
    /// Applies one record; blocks it unmaps are added to <paramref name="freed"/> (the caller
    /// returns them to the allocator). Throws <see cref="CorruptMetadataException"/> for a record
    /// that does not fit the state (never at run time: commit builds only fitting records).
    /// Context: log lock held (see the class remarks).
    /// </summary>
    public void Apply(in LogRecord r, List<BlockRun>? freed)
    {
        if (r.Type == RecordType.Create)
        {
            ApplyCreate(r);
            return;
        }
        if (!ByIno.TryGetValue(r.Ino, out Inode? inode))
            throw new CorruptMetadataException($"{r}: no such inode");
        int before = inode.Extents.Count;
        switch (r.Type)
        {
            case RecordType.Unlink:
                ByIno.Remove(inode.Ino);
                ByName.Remove(inode.Name);
                inode.Unlinked = true;
                AddFreed(freed, inode.Extents.Clear());
                break;
            case RecordType.SetSize:
                ApplySetSize(inode, r, freed);
                break;
            case RecordType.Map:
                CheckFileRange(r, ExtentMap.MaxExtentBlocks);
                if (r.B < Layout.FirstDataBlock || r.B > Layout.TotalBlocks - r.C)
                    throw new CorruptMetadataException($"{r}: device blocks outside the data area [{Layout.FirstDataBlock}, {Layout.TotalBlocks})");
                if (!inode.Extents.IsHole(r.A, r.A + r.C))
                    throw new CorruptMetadataException($"{r}: range is already mapped");
                inode.Extents.Insert(new Extent(r.A, r.B, r.C, r.Flag));
                break;
            case RecordType.Unmap:
                CheckFileRange(r, MaxFileBlocks);
                AddFreed(freed, inode.Extents.Remove(r.A, r.A + r.C));
                break;
            case RecordType.Convert:
                CheckFileRange(r, MaxFileBlocks);
                inode.Extents.Convert(r.A, r.A + r.C, r.Flag);
                break;
            default:
                throw new CorruptMetadataException($"{r}: unknown record type");
        }
        ExtentTotal += inode.Extents.Count - before;
        Invariant.Holds(ExtentTotal >= 0, "extent total never negative");
    }

    /// <summary>Adds a checkpointed inode (mount). Context: single-threaded mount.</summary>
    public void Load(Inode inode, IEnumerable<Extent> extents)
    {
        ApplyCreate(LogRecord.Create(inode.Ino, inode.Name), inode);
        foreach (Extent e in extents)
            Apply(LogRecord.Map(inode.Ino, e), null);
    }

    private void ApplyCreate(in LogRecord r, Inode? loaded = null)
    {
        if (r.Ino <= 0 || ByIno.ContainsKey(r.Ino))
            throw new CorruptMetadataException($"{r}: inode number invalid or in use");
        if (r.Name is null || NameProblem(r.Name) is not null || ByName.ContainsKey(r.Name))
            throw new CorruptMetadataException($"{r}: name invalid or in use");
        if (ByIno.Count >= Layout.MaxInodes)
            throw new CorruptMetadataException($"{r}: more than {Layout.MaxInodes} inodes");
        Inode inode = loaded ?? new Inode(seam, r.Ino, r.Name);
        ByIno.Add(inode.Ino, inode);
        ByName.Add(inode.Name, inode);
        NextIno = Math.Max(NextIno, inode.Ino + 1);
    }

    /// <summary>truncate: a shrink unmaps every block wholly past the new size; the partial last block stays.</summary>
    private void ApplySetSize(Inode inode, in LogRecord r, List<BlockRun>? freed)
    {
        if (r.A < 0 || r.A > Geometry.MaxFileSize)
            throw new CorruptMetadataException($"{r}: size out of range");
        if (r.A < inode.Size)
        {
            long firstGone = (r.A + FileSystem.BlockSize - 1) / FileSystem.BlockSize;
            if (firstGone < MaxFileBlocks)
                AddFreed(freed, inode.Extents.Remove(firstGone, MaxFileBlocks));
        }
        // i_size is read without a lock by faults and I/O on other CPUs.
        seam.Access(inode, write: true);
        inode.SetSizeInternal(r.A);
    }

    /// <summary>A record's file range must lie inside the largest file; a Map's also within one extent's length.</summary>
    private static void CheckFileRange(in LogRecord r, long maxCount)
    {
        if (r.A < 0 || r.C <= 0 || r.C > maxCount || r.A > MaxFileBlocks - r.C)
            throw new CorruptMetadataException($"{r}: file block range out of bounds");
    }

    private static void AddFreed(List<BlockRun>? freed, List<Extent> removed)
    {
        if (freed is null)
            return;
        foreach (Extent e in removed)
            freed.Add(new BlockRun(e.DevBlock, e.Count));
    }
}
