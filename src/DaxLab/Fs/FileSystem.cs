using DaxLab.Device;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>Free and total 4 KiB blocks.</summary>
public readonly record struct FsSpace(long TotalBlocks, long FreeBlocks);

/// <summary>
/// The on-device file system: superblock, inode table, extent maps, block allocator, metadata
/// log, and the iomap operations the DAX core calls.
/// </summary>
public sealed class FileSystem : IDisposable
{
    public const int BlockSize = Geometry.PageSize;
    public const int MaxNameBytes = 255;

    /// <summary>mkfs: writes a new, empty file system on the device (metadata only).</summary>
    public static FileSystem Format(PmemDevice device, Seam seam) => throw new NotImplementedException();

    /// <summary>mount: reads the superblock, loads the checkpoint and replays the log. A foreign or damaged image throws <see cref="ErrnoException"/> (EUCLEAN or EINVAL) with a message saying what is wrong.</summary>
    public static FileSystem Mount(PmemDevice device, Seam seam) => throw new NotImplementedException();

    public PmemDevice Device => throw new NotImplementedException();

    public FsSpace Space => throw new NotImplementedException();

    public Inode? Lookup(string name) => throw new NotImplementedException();

    /// <summary>Creates an empty file. ENAMETOOLONG, EINVAL (empty name or '/'), EEXIST, ENOSPC (inode table full).</summary>
    public Inode Create(string name) => throw new NotImplementedException();

    public IReadOnlyList<Inode> Inodes => throw new NotImplementedException();

    /// <summary>Removes a file and frees its blocks. Context: no mapping of it exists.</summary>
    public void Unlink(Inode inode) => throw new NotImplementedException();

    /// <summary>->iomap_begin: see docs/fs.md.</summary>
    public Iomap IomapBegin(Inode inode, long pos, long length, IomapOp op) => throw new NotImplementedException();

    /// <summary>->iomap_end.</summary>
    public void IomapEnd(Inode inode, long pos, long length, long written, IomapOp op, in Iomap iomap) => throw new NotImplementedException();

    /// <summary>Sets i_size. Shrinking frees every block wholly past the new size.</summary>
    public void SetSize(Inode inode, long newSize) => throw new NotImplementedException();

    /// <summary>Raises i_size to <paramref name="end"/> if it is larger (a write past EOF).</summary>
    public void ExtendSize(Inode inode, long end) => throw new NotImplementedException();

    /// <summary>Frees every block wholly inside [offset, offset + length); i_size unchanged.</summary>
    public void PunchRange(Inode inode, long offset, long length) => throw new NotImplementedException();

    /// <summary>Allocates unwritten extents over the holes of [offset, offset + length); ENOSPC leaves nothing half-done.</summary>
    public void Allocate(Inode inode, long offset, long length) => throw new NotImplementedException();

    /// <summary>Turns every written block wholly inside the range into an unwritten one (reads as zeros, stays allocated).</summary>
    public void ZeroRange(Inode inode, long offset, long length) => throw new NotImplementedException();

    /// <summary>Makes the inode's metadata durable (fsync's metadata half).</summary>
    public void Sync(Inode inode) => throw new NotImplementedException();

    /// <summary>fsck: every inconsistency found (blocks lost or doubly owned, extents past the device, ...). Empty when consistent.</summary>
    public IReadOnlyList<string> Check() => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
