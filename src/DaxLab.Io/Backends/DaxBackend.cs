using DaxLab.Mm;

namespace DaxLab.Io.Backends;

/// <summary>Files inside a DaxLab device: the product path of `daxlab io`.</summary>
public sealed class DaxBackend : IIoBackend
{
    readonly DaxFileSystem fileSystem;
    readonly bool ownsFileSystem;
    readonly bool readOnly;

    /// <summary>Uses a mounted file system; disposes it with the backend when <paramref name="ownsFileSystem"/>; opens files O_RDONLY when <paramref name="readOnly"/> (xfs_io -r).</summary>
    public DaxBackend(DaxFileSystem fileSystem, bool ownsFileSystem, bool readOnly = false)
    {
        this.fileSystem = fileSystem;
        this.ownsFileSystem = ownsFileSystem;
        this.readOnly = readOnly;
    }

    public bool ReadOnly => readOnly;

    /// <summary>The device's open(2).</summary>
    public IIoFile Open(string path, bool create)
    {
        var flags = (create ? DaxOpenFlags.Create : DaxOpenFlags.None) | (readOnly ? DaxOpenFlags.ReadOnly : DaxOpenFlags.None);
        return new DaxIoFile(path, fileSystem.OpenFile(path, flags));
    }

    /// <summary>Unmounts the file system if this backend mounted it.</summary>
    public void Dispose()
    {
        if (ownsFileSystem)
            fileSystem.Dispose();
    }
}

/// <summary>An open file on the DaxLab device; each call goes straight to the engine.</summary>
public sealed class DaxIoFile(string path, DaxFile file) : IIoFile
{
    /// <summary>Model addresses for mappings start here, like a typical x86-64 mmap base.</summary>
    const ulong ModelMappingBase = 0x7f0000000000;

    /// <summary>Each model mapping gets its own gigabyte of model address space, so addresses never overlap.</summary>
    const ulong ModelMappingStride = 1UL << 30;

    /// <summary>Mappings made by every session in this process, so each gets its own stride; changed only with Interlocked (sessions may run on several threads in tests).</summary>
    static long mappingsMade;

    public string Path => path;

    public int Read(long offset, Span<byte> buffer) => file.Read(offset, buffer);

    public int Write(long offset, ReadOnlySpan<byte> buffer) => file.Write(offset, buffer);

    public void Truncate(long size) => file.Truncate(size);

    public void Allocate(long offset, long length, bool keepSize) => file.Allocate(offset, length, keepSize);

    public void PunchHole(long offset, long length) => file.PunchHole(offset, length);

    public void ZeroRange(long offset, long length, bool keepSize) => file.ZeroRange(offset, length, keepSize);

    public void Fsync() => file.Fsync();

    public void Fdatasync() => file.Fdatasync();

    /// <summary>fstat through the engine.</summary>
    public IoStat Stat()
    {
        DaxStat stat = file.Stat();
        return new IoStat(stat.Ino, stat.Size, stat.Blocks);
    }

    /// <summary>
    /// FIEMAP through the engine, the u64 range clamped to what a long holds (the engine then
    /// refuses a start past the largest file, as fiemap_prep does). The DaxLab file system keeps
    /// no extended attributes, so the attribute fork has no extents.
    /// </summary>
    public IReadOnlyList<IoExtent> Fiemap(ulong start, ulong length, int maxExtents, bool attributeFork)
    {
        long from = (long)Math.Min(start, long.MaxValue), count = (long)Math.Min(length, long.MaxValue);
        // fiemap_prep checks the range before either fork is looked at.
        var extents = file.Fiemap(from, count, maxExtents);
        if (attributeFork)
            return [];
        return extents.Select(e => new IoExtent((ulong)e.FileOffset, (ulong)e.DeviceAddress, (ulong)e.Length,
            (e.Unwritten ? IoExtent.Unwritten : 0) | (e.Last ? IoExtent.Last : 0))).ToList();
    }

    /// <summary>The DaxLab file system plays XFS's part (its file operations are xfs_file.c's), so bmap answers.</summary>
    public bool AnswersXfsIoctls => true;

    /// <summary>mmap through the engine; -S maps MAP_SHARED_VALIDATE | MAP_SYNC (write faults force the log first).</summary>
    public IIoMapping Map(long offset, long length, MapProtection protection, bool mapSync)
    {
        DaxMapping mapping = file.Map(offset, length, protection, mapSync ? MapSharing.SharedSync : MapSharing.Shared);
        ulong address = ModelMappingBase + (ulong)Interlocked.Increment(ref mappingsMade) * ModelMappingStride;
        return new DaxIoMapping(mapping, address, length);
    }

    /// <summary>close(2); mappings stay valid.</summary>
    public void Dispose() => file.Dispose();
}

/// <summary>A mapping on the DaxLab device, at a model address; its length is the one mmap was asked for, as xfs_io prints it.</summary>
public sealed class DaxIoMapping(DaxMapping mapping, ulong address, long length) : IIoMapping
{
    public long FileOffset => mapping.FileOffset;

    public long Length => length;

    public ulong Address => address;

    public void Load(long offset, Span<byte> buffer) => mapping.Load(offset, buffer);

    public void Store(long offset, ReadOnlySpan<byte> buffer) => mapping.Store(offset, buffer);

    public void Sync(long offset, long length, MsyncFlags flags) => mapping.Sync(offset, length, flags);

    /// <summary>Only MADV_DONTNEED changes state; the other advice is a hint that the model may ignore.</summary>
    public void Advise(long offset, long length, IoAdvice advice)
    {
        if (advice == IoAdvice.DontNeed)
            mapping.Advise(offset, length, MapAdvice.DontNeed);
    }

    public void Dispose() => mapping.Dispose();
}
