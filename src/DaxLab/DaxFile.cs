using DaxLab.Base;
using DaxLab.Mm;
using DaxLab.Vfs;

namespace DaxLab;

/// <summary>An open file: pread/pwrite, truncate, fallocate, fsync, mmap.</summary>
public sealed class DaxFile : IDisposable
{
    private bool closed;

    /// <summary>Opened O_RDONLY: every call that would change the file fails as on Linux.</summary>
    private readonly bool readOnly;

    internal DaxFile(DaxInode inode, bool readOnly)
    {
        Inode = inode;
        this.readOnly = readOnly;
    }

    internal DaxInode Inode { get; }

    public string Name => Inode.Inode.Name;

    /// <summary>i_size.</summary>
    public long Length => Inode.Inode.Size;

    /// <summary>pread(2): bytes read, short at EOF, 0 past it.</summary>
    public int Read(long offset, Span<byte> buffer)
    {
        ThrowIfClosed();
        return FileOps.Read(Inode, offset, buffer);
    }

    /// <summary>
    /// pread(2) into bytes [<paramref name="bufferOffset"/>, <paramref name="bufferOffset"/> +
    /// <paramref name="count"/>) of a mapping (of this file or another): the read stores through
    /// the mapping's page table while it holds this file's locks, as copy_to_user does, so a
    /// mapping of a DAX file takes its write faults inside the read.
    /// </summary>
    /// <returns>Bytes read: short at EOF, or before a store that faulted for good (past the mapped file's EOF, no PROT_WRITE, unmapped).</returns>
    /// <exception cref="ErrnoException">EFAULT when the first store faulted for good.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the mapping.</exception>
    public int Read(long offset, DaxMapping buffer, long bufferOffset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Read(offset, new UserRange(buffer.Vma, bufferOffset, count));
    }

    /// <summary>pread(2) into a user range, which may keep a transcript (the checker's log uses it).</summary>
    internal int Read(long offset, UserRange buffer)
    {
        ThrowIfClosed();
        var iter = IovIter.Dest(buffer);
        return FileOps.Read(Inode, offset, ref iter);
    }

    /// <summary>pwrite(2): bytes written (all of them unless ENOSPC part-way).</summary>
    public int Write(long offset, ReadOnlySpan<byte> buffer)
    {
        ThrowIfNotWritable(Errno.EBADF);
        return FileOps.Write(Inode, offset, buffer);
    }

    /// <summary>
    /// pwrite(2) from bytes [<paramref name="bufferOffset"/>, <paramref name="bufferOffset"/> +
    /// <paramref name="count"/>) of a mapping (of this file or another): the write loads them
    /// through the mapping's page table while it holds this file's locks, as copy_from_user
    /// does, so a mapping of a DAX file takes its faults inside the write (fstests generic/413).
    /// </summary>
    /// <returns>Bytes written: all of them (unless ENOSPC part-way), or those before a load that faulted for good (past the mapped file's EOF, no access allowed, unmapped).</returns>
    /// <exception cref="ErrnoException">EFAULT when the first load faulted for good.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the mapping.</exception>
    public int Write(long offset, DaxMapping buffer, long bufferOffset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Write(offset, new UserRange(buffer.Vma, bufferOffset, count));
    }

    /// <summary>pwrite(2) from a user range, which may keep a transcript (the checker's log uses it).</summary>
    internal int Write(long offset, UserRange buffer)
    {
        ThrowIfNotWritable(Errno.EBADF);
        var iter = IovIter.Source(buffer);
        return FileOps.Write(Inode, offset, ref iter);
    }

    /// <summary>ftruncate(2).</summary>
    public void Truncate(long size)
    {
        ThrowIfNotWritable(Errno.EINVAL);
        FileOps.Truncate(Inode, size);
    }

    /// <summary>fallocate(2) mode 0 or FALLOC_FL_KEEP_SIZE.</summary>
    public void Allocate(long offset, long length, bool keepSize)
    {
        ThrowIfNotWritable(Errno.EBADF);
        FileOps.Allocate(Inode, offset, length, keepSize);
    }

    /// <summary>fallocate(2) FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE.</summary>
    public void PunchHole(long offset, long length)
    {
        ThrowIfNotWritable(Errno.EBADF);
        FileOps.PunchHole(Inode, offset, length);
    }

    /// <summary>fallocate(2) FALLOC_FL_ZERO_RANGE (with FALLOC_FL_KEEP_SIZE when asked).</summary>
    public void ZeroRange(long offset, long length, bool keepSize)
    {
        ThrowIfNotWritable(Errno.EBADF);
        FileOps.ZeroRange(Inode, offset, length, keepSize);
    }

    public void Fsync()
    {
        ThrowIfClosed();
        FileOps.Fsync(Inode);
    }

    /// <summary>fdatasync(2): the same as fsync here, every metadata change being needed to find the data.</summary>
    public void Fdatasync() => Fsync();

    public DaxStat Stat()
    {
        ThrowIfClosed();
        var inode = Inode.Inode;
        return new DaxStat(inode.Ino, inode.Size, FileOps.AllocatedBytes(Inode) / 512);
    }

    /// <summary>
    /// ioctl(FS_IOC_FIEMAP): the extents overlapping file bytes [start, start + length), at most
    /// <paramref name="maxExtents"/>; see <see cref="FileOps.Fiemap"/>.
    /// </summary>
    public IReadOnlyList<FiemapExtent> Fiemap(long start, long length, int maxExtents)
    {
        ThrowIfClosed();
        return FileOps.Fiemap(Inode, start, length, maxExtents);
    }

    /// <summary>mmap(2) of file bytes [offset, offset + length); offset page-aligned (EINVAL otherwise).</summary>
    public DaxMapping Map(long offset, long length, MapProtection protection, MapSharing sharing)
    {
        ThrowIfClosed();
        if (readOnly && sharing == MapSharing.Shared && (protection & MapProtection.Write) != 0)
            throw new ErrnoException(Errno.EACCES, $"{Name}: shared writable mapping of a file opened read-only");
        return new DaxMapping(Inode, MmapOps.Mmap(Inode, offset, length, protection, sharing != MapSharing.Private, sync: sharing == MapSharing.SharedSync));
    }

    /// <summary>close(2). Mappings stay valid, as on Linux.</summary>
    public void Dispose() => closed = true;

    /// <summary>
    /// A change through an O_RDONLY descriptor fails with the errno Linux gives for that call:
    /// EBADF for write(2) and fallocate(2), EINVAL for ftruncate(2).
    /// </summary>
    private void ThrowIfNotWritable(Errno errno)
    {
        ThrowIfClosed();
        if (readOnly)
            throw new ErrnoException(errno, $"{Name}: file is open read-only");
    }

    private void ThrowIfClosed()
    {
        if (closed)
            throw new ErrnoException(Errno.EBADF, $"{Name}: file is closed");
    }
}
