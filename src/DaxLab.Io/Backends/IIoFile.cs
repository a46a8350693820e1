using DaxLab.Mm;

namespace DaxLab.Io.Backends;

/// <summary>stat(2) fields that the stat command prints.</summary>
public readonly record struct IoStat(long Ino, long Size, long Blocks);

/// <summary>
/// struct fiemap_extent: the fields xfs_io prints, in bytes; <see cref="Flags"/> are the
/// FIEMAP_EXTENT_* bits.
/// </summary>
public readonly record struct IoExtent(ulong Logical, ulong Physical, ulong Length, uint Flags)
{
    /// <summary>FIEMAP_EXTENT_LAST: no extent follows in the range asked about.</summary>
    public const uint Last = 0x1;

    /// <summary>FIEMAP_EXTENT_UNWRITTEN: allocated, reads as zeros.</summary>
    public const uint Unwritten = 0x800;
}

/// <summary>madvise(2) advice that xfs_io's madvise command can give.</summary>
public enum IoAdvice
{
    Normal = 0,
    Random = 1,
    Sequential = 2,
    WillNeed = 3,
    DontNeed = 4,
}

/// <summary>
/// Where files come from: the DaxLab device, or the host's own file system. The command
/// interpreter sees only this seam, so the same command lists run on both and can be compared.
/// Errors are <see cref="DaxLab.Base.ErrnoException"/>s with the errno the kernel would give.
/// </summary>
public interface IIoBackend : IDisposable
{
    /// <summary>open(2) read-write (read-only when <see cref="ReadOnly"/>), with O_CREAT when <paramref name="create"/>.</summary>
    IIoFile Open(string path, bool create);

    /// <summary>Files open O_RDONLY (xfs_io -r).</summary>
    bool ReadOnly { get; }
}

/// <summary>An open file as the interpreter uses it; each member is one system call.</summary>
public interface IIoFile : IDisposable
{
    /// <summary>The path as the user gave it (xfs_io prints it back unchanged).</summary>
    string Path { get; }

    /// <summary>pread(2): bytes read, short at EOF.</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>pwrite(2): bytes written.</summary>
    int Write(long offset, ReadOnlySpan<byte> buffer);

    /// <summary>ftruncate(2).</summary>
    void Truncate(long size);

    /// <summary>fallocate(2) with mode 0 or FALLOC_FL_KEEP_SIZE.</summary>
    void Allocate(long offset, long length, bool keepSize);

    /// <summary>fallocate(2) with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE.</summary>
    void PunchHole(long offset, long length);

    /// <summary>fallocate(2) with FALLOC_FL_ZERO_RANGE, plus FALLOC_FL_KEEP_SIZE when asked.</summary>
    void ZeroRange(long offset, long length, bool keepSize);

    /// <summary>fsync(2).</summary>
    void Fsync();

    /// <summary>fdatasync(2).</summary>
    void Fdatasync();

    /// <summary>fstat(2).</summary>
    IoStat Stat();

    /// <summary>
    /// ioctl(FS_IOC_FIEMAP) with FIEMAP_FLAG_SYNC, and FIEMAP_FLAG_XATTR for the attribute fork:
    /// at most <paramref name="maxExtents"/> extents overlapping [start, start + length), the
    /// range's u64 fields as struct fiemap has them.
    /// </summary>
    IReadOnlyList<IoExtent> Fiemap(ulong start, ulong length, int maxExtents, bool attributeFork);

    /// <summary>
    /// Whether the file answers XFS's own ioctls (XFS_IOC_GETBMAPX), which `bmap` needs: xfs_io
    /// refuses bmap on any other ("foreign file active").
    /// </summary>
    bool AnswersXfsIoctls { get; }

    /// <summary>mmap(2) MAP_SHARED (with MAP_SYNC when asked) of file bytes [offset, offset + length).</summary>
    IIoMapping Map(long offset, long length, MapProtection protection, bool mapSync);
}

/// <summary>
/// A shared mapping. Offsets are relative to its start. A load or store that the kernel would
/// answer with a signal throws <see cref="SigBusException"/> or <see cref="SigSegvException"/>.
/// </summary>
public interface IIoMapping : IDisposable
{
    /// <summary>The file offset mapped at the start.</summary>
    long FileOffset { get; }

    /// <summary>The length passed to mmap.</summary>
    long Length { get; }

    /// <summary>The address xfs_io prints for the mapping (a model address on the DaxLab device).</summary>
    ulong Address { get; }

    /// <summary>Loads bytes through the mapping, as the CPU would.</summary>
    void Load(long offset, Span<byte> buffer);

    /// <summary>Stores bytes through the mapping, as the CPU would.</summary>
    void Store(long offset, ReadOnlySpan<byte> buffer);

    /// <summary>msync(2) of a range of the mapping.</summary>
    void Sync(long offset, long length, MsyncFlags flags);

    /// <summary>madvise(2) of a range of the mapping.</summary>
    void Advise(long offset, long length, IoAdvice advice);
}
