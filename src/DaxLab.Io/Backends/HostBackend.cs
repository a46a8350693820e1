using DaxLab.Mm;

namespace DaxLab.Io.Backends;

/// <summary>
/// Files on the host's own file system (`daxlab io --host`): the same commands through the host
/// kernel's page cache and page faults, for checking the interpreter against xfs_io and for
/// benchmarking against the kernel's own path.
/// </summary>
/// <param name="readOnly">Opens files O_RDONLY (xfs_io -r).</param>
public sealed class HostBackend(string workingDirectory, bool readOnly = false) : IIoBackend
{
    public bool ReadOnly => readOnly;

    /// <summary>open(2), resolving a relative path against the backend's working directory.</summary>
    public IIoFile Open(string path, bool create)
    {
        string resolved = Path.IsPathRooted(path) ? path : Path.Combine(workingDirectory, path);
        int flags = (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC | (create ? LibC.O_CREAT : 0);
        int fd = LibC.Open(resolved, flags, LibC.CreateMode);
        LibC.Check(fd, "open");
        return new HostIoFile(path, fd);
    }

    /// <summary>Nothing is mounted for host files.</summary>
    public void Dispose()
    {
    }
}

/// <summary>A host file descriptor; every member is the system call of the same name.</summary>
public sealed unsafe class HostIoFile(string path, int fd) : IIoFile
{
    public string Path => path;

    public int Read(long offset, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = LibC.Pread(fd, p, buffer.Length, offset);
            LibC.Check((int)Math.Min(n, 0), "pread");
            return (int)n;
        }
    }

    public int Write(long offset, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = LibC.Pwrite(fd, p, buffer.Length, offset);
            LibC.Check((int)Math.Min(n, 0), "pwrite");
            return (int)n;
        }
    }

    public void Truncate(long size) => LibC.Check(LibC.Ftruncate(fd, size), "ftruncate");

    public void Allocate(long offset, long length, bool keepSize) =>
        LibC.Check(LibC.Fallocate(fd, keepSize ? LibC.FALLOC_FL_KEEP_SIZE : 0, offset, length), "fallocate");

    public void PunchHole(long offset, long length) =>
        LibC.Check(LibC.Fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate");

    public void ZeroRange(long offset, long length, bool keepSize) =>
        LibC.Check(LibC.Fallocate(fd, LibC.FALLOC_FL_ZERO_RANGE | (keepSize ? LibC.FALLOC_FL_KEEP_SIZE : 0), offset, length), "fallocate");

    public void Fsync() => LibC.Check(LibC.Fsync(fd), "fsync");

    public void Fdatasync() => LibC.Check(LibC.Fdatasync(fd), "fdatasync");

    /// <summary>fstat, reading the three fields from the x86-64 struct stat layout.</summary>
    public IoStat Stat()
    {
        byte* buffer = stackalloc byte[StatBufferSize];
        LibC.Check(LibC.Fstat(fd, buffer), "fstat");
        return new IoStat(*(long*)(buffer + 8), *(long*)(buffer + 48), *(long*)(buffer + 64));
    }

    /// <summary>sizeof(struct stat) on x86-64.</summary>
    const int StatBufferSize = 144;

    /// <summary>A real shared mapping, so loads and stores take real host page faults.</summary>
    public IIoMapping Map(long offset, long length, MapProtection protection, bool mapSync)
    {
        int flags = mapSync ? LibC.MAP_SHARED_VALIDATE | LibC.MAP_SYNC : LibC.MAP_SHARED;
        nint address = LibC.Mmap(0, (nint)length, (int)protection, flags, fd, offset);
        if (address == -1)
            throw LibC.Fail("mmap");
        return new HostMapping(this, address, offset, length, protection);
    }

    /// <summary>close(2); as on Linux, mappings outlive the descriptor.</summary>
    /// <summary>struct fiemap's header: fm_start, fm_length, fm_flags, fm_mapped_extents, fm_extent_count, fm_reserved.</summary>
    const int FiemapHeaderBytes = 32;

    /// <summary>struct fiemap_extent: fe_logical, fe_physical, fe_length, two reserved u64, fe_flags, three reserved u32.</summary>
    const int FiemapExtentBytes = 56;

    /// <summary>The real ioctl(FS_IOC_FIEMAP), so the host run shows what the kernel's file system reports.</summary>
    public IReadOnlyList<IoExtent> Fiemap(ulong start, ulong length, int maxExtents, bool attributeFork)
    {
        byte[] buffer = new byte[FiemapHeaderBytes + maxExtents * FiemapExtentBytes];
        fixed (byte* p = buffer)
        {
            *(ulong*)p = start;
            *(ulong*)(p + 8) = length;
            *(uint*)(p + 16) = LibC.FIEMAP_FLAG_SYNC | (attributeFork ? LibC.FIEMAP_FLAG_XATTR : 0);
            *(uint*)(p + 24) = (uint)maxExtents;
            LibC.Check(LibC.Ioctl(fd, LibC.FS_IOC_FIEMAP, p), "ioctl(FS_IOC_FIEMAP)");
            uint mapped = *(uint*)(p + 20);
            var extents = new List<IoExtent>((int)mapped);
            for (int i = 0; i < mapped; i++)
            {
                byte* e = p + FiemapHeaderBytes + i * FiemapExtentBytes;
                extents.Add(new IoExtent(*(ulong*)e, *(ulong*)(e + 8), *(ulong*)(e + 16), *(uint*)(e + 40)));
            }
            return extents;
        }
    }

    /// <summary>
    /// xfs_io marks a file foreign unless it is on XFS, and the interpreter shows every host file
    /// as foreign (fd.flags), so bmap is refused here as xfs_io refuses it on ext4.
    /// </summary>
    public bool AnswersXfsIoctls => false;

    public void Dispose() => LibC.Close(fd);

    /// <summary>The file size now, for deciding which pages of a mapping would raise SIGBUS.</summary>
    internal long CurrentSize() => Stat().Size;
}
