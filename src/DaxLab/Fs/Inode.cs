using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>
/// An inode of the file system: a name in the one flat directory, a size and an extent map.
/// </summary>
/// <remarks>
/// The extent map and i_size are changed only through <see cref="FileSystem"/>. Readers of
/// <see cref="Size"/> need no lock (i_size_read); its writers hold i_rwsem exclusive, or
/// i_rwsem shared plus the ILOCK for a write extending the file.
/// </remarks>
public sealed class Inode
{
    /// <summary>
    /// ILOCK (xfs_inode's i_lock). Guards <see cref="Extents"/> and <see cref="Unlinked"/>:
    /// read them with it shared, change them with it exclusive AND the log lock held (every
    /// change is a logged record applied under the log lock, so a checkpoint, which holds only
    /// the log lock, sees no half-applied change). Lock order: ILOCK → namespace → allocator → log.
    /// </summary>
    internal readonly RwSemaphore Ilock;

    /// <summary>The extent map. Context: see <see cref="Ilock"/>.</summary>
    internal readonly ExtentMap Extents = new();

    private long size;

    internal Inode(Seam seam, long ino, string name)
    {
        Invariant.Holds(ino > 0, "inode numbers start at 1");
        Ino = ino;
        Name = name;
        Ilock = seam.NewRwSemaphore("ILOCK#" + ino);
    }

    public long Ino { get; }

    public string Name { get; }

    /// <summary>i_size_read.</summary>
    public long Size => Volatile.Read(ref size);

    /// <summary>Slot for the VFS/DAX layer's per-inode state (its address_space), set once.</summary>
    public object? Vfs { get; set; }

    /// <summary>Set once the unlink record is applied; later operations get ENOENT. Context: see <see cref="Ilock"/>.</summary>
    internal bool Unlinked { get; set; }

    /// <summary>i_size_write. Context: log lock held (called from record apply only).</summary>
    internal void SetSizeInternal(long newSize)
    {
        Invariant.Holds(newSize >= 0 && newSize <= Geometry.MaxFileSize, "i_size within limits");
        Volatile.Write(ref size, newSize);
    }

    public override string ToString() => $"inode {Ino} '{Name}' size {Size}";
}
