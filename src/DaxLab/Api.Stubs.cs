using DaxLab.Fs;
using DaxLab.Sync;

namespace DaxLab;

/// <summary>Engine options: which seam (real threads or a scheduler).</summary>
public sealed class DaxOptions
{
    public Seam Seam { get; init; } = Seam.RealThreads;
}

[Flags]
public enum DaxOpenFlags
{
    None = 0,
    /// <summary>O_CREAT.</summary>
    Create = 1,
    /// <summary>O_TRUNC.</summary>
    Truncate = 2,
}

[Flags]
public enum MapProtection
{
    None = 0,
    Read = 1,
    Write = 2,
    Exec = 4,
}

public enum MapSharing
{
    Shared,
    Private,
}

[Flags]
public enum MsyncFlags
{
    Async = 1,
    Invalidate = 2,
    Sync = 4,
}

public enum MapAdvice
{
    /// <summary>MADV_DONTNEED: drop the page-table entries; private copies are discarded.</summary>
    DontNeed,
}

/// <summary>stat(2) of a file.</summary>
public readonly record struct DaxStat(long Ino, long Size, long Blocks);

/// <summary>A load or store touched a page past EOF (SIGBUS).</summary>
public sealed class SigBusException(string message) : Exception(message);

/// <summary>A load or store the mapping's protection forbids, or outside the mapping (SIGSEGV).</summary>
public sealed class SigSegvException(string message) : Exception(message);

/// <summary>A mounted DAX file system on a persistent-memory device.</summary>
public sealed class DaxFileSystem : IDisposable
{
    /// <summary>mkfs a new sparse device file of <paramref name="size"/> bytes and mount it.</summary>
    public static DaxFileSystem Create(string devicePath, long size, DaxOptions? options = null) => throw new NotImplementedException();

    /// <summary>Mounts an existing device file.</summary>
    public static DaxFileSystem Open(string devicePath, DaxOptions? options = null) => throw new NotImplementedException();

    /// <summary>Mounts the device file, creating it (sparse, <paramref name="sizeIfNew"/> bytes) if the path does not exist.</summary>
    public static DaxFileSystem OpenOrCreate(string devicePath, long sizeIfNew, DaxOptions? options = null) => throw new NotImplementedException();

    /// <summary>A file system on an anonymous-memory device (tests).</summary>
    public static DaxFileSystem CreateInMemory(long size, DaxOptions? options = null) => throw new NotImplementedException();

    /// <summary>open(2): ENOENT without Create, EINVAL/ENAMETOOLONG for bad names.</summary>
    public DaxFile OpenFile(string name, DaxOpenFlags flags = DaxOpenFlags.None) => throw new NotImplementedException();

    public IReadOnlyList<string> FileNames => throw new NotImplementedException();

    public FsSpace Space => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}

/// <summary>An open file: pread/pwrite, truncate, fallocate, fsync, mmap.</summary>
public sealed class DaxFile : IDisposable
{
    public string Name => throw new NotImplementedException();

    /// <summary>pread(2): bytes read, short at EOF, 0 past it.</summary>
    public int Read(long offset, Span<byte> buffer) => throw new NotImplementedException();

    /// <summary>pwrite(2): bytes written (all of them unless ENOSPC part-way).</summary>
    public int Write(long offset, ReadOnlySpan<byte> buffer) => throw new NotImplementedException();

    /// <summary>ftruncate(2).</summary>
    public void Truncate(long size) => throw new NotImplementedException();

    /// <summary>fallocate(2) mode 0 or FALLOC_FL_KEEP_SIZE.</summary>
    public void Allocate(long offset, long length, bool keepSize) => throw new NotImplementedException();

    /// <summary>fallocate(2) FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE.</summary>
    public void PunchHole(long offset, long length) => throw new NotImplementedException();

    /// <summary>fallocate(2) FALLOC_FL_ZERO_RANGE (with FALLOC_FL_KEEP_SIZE when asked).</summary>
    public void ZeroRange(long offset, long length, bool keepSize) => throw new NotImplementedException();

    public void Fsync() => throw new NotImplementedException();

    public void Fdatasync() => throw new NotImplementedException();

    public DaxStat Stat() => throw new NotImplementedException();

    /// <summary>mmap(2) of file bytes [offset, offset + length); offset page-aligned (EINVAL otherwise).</summary>
    public DaxMapping Map(long offset, long length, MapProtection protection, MapSharing sharing) => throw new NotImplementedException();

    /// <summary>close(2). Mappings stay valid, as on Linux.</summary>
    public void Dispose() => throw new NotImplementedException();
}

/// <summary>A user mapping of a file (a VMA with its own page table). Offsets are relative to the mapping's start.</summary>
public sealed class DaxMapping : IDisposable
{
    public long FileOffset => throw new NotImplementedException();

    public long Length => throw new NotImplementedException();

    public MapProtection Protection => throw new NotImplementedException();

    public MapSharing Sharing => throw new NotImplementedException();

    /// <summary>Loads through the page table, faulting as needed. SigBusException past EOF.</summary>
    public void Load(long offset, Span<byte> buffer) => throw new NotImplementedException();

    /// <summary>Stores through the page table, faulting as needed. SigSegvException without PROT_WRITE.</summary>
    public void Store(long offset, ReadOnlySpan<byte> buffer) => throw new NotImplementedException();

    /// <summary>msync(2) of [offset, offset + length) of the mapping.</summary>
    public void Sync(long offset, long length, MsyncFlags flags) => throw new NotImplementedException();

    /// <summary>madvise(2).</summary>
    public void Advise(long offset, long length, MapAdvice advice) => throw new NotImplementedException();

    /// <summary>munmap(2).</summary>
    public void Dispose() => throw new NotImplementedException();
}
