using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Vfs;

/// <summary>
/// What the file operations ask of a locking design, for one inode: the locks a fault, read(2)
/// and write(2) hold besides i_rwsem. This base class is v4.12: a fault holds i_mmap_sem shared,
/// which only truncate, hole punch and zero range exclude; read(2) and write(2) hold nothing more.
/// A design's subclass keeps its own per-inode state (a range lock, a lock table) in its fields.
/// </summary>
/// <remarks>
/// Order: whatever <see cref="LockFault"/> takes comes after mmap_lock; what
/// <see cref="LockWrite"/> and <see cref="LockRead"/> take comes after i_rwsem; the entry lock and
/// everything below it come after both (the order at the top of <see cref="Dax.DaxCore"/>).
/// </remarks>
public class InodeLocks(DaxInode inode)
{
    /// <summary>The inode whose locks these are.</summary>
    protected DaxInode Inode { get; } = inode;

    /// <summary>
    /// Whether write(2) may take i_rwsem shared for an overwrite inside i_size, because
    /// <see cref="LockWrite"/> already keeps overlapping writes apart (as XFS does for direct I/O).
    /// </summary>
    public virtual bool OverwritesShareIRwsem => false;

    /// <summary>Taken by a fault around the DAX handler. Context: mmap_lock held shared.</summary>
    public virtual Held LockFault(in FaultContext vmf, PageEntrySize size) => Held.Read(Inode.MmapSem);

    /// <summary>Taken by write(2) after i_rwsem, around the extent loop.</summary>
    public virtual Held LockWrite(long pos, long length) => default;

    /// <summary>Taken by read(2) after i_rwsem, around the extent loop.</summary>
    public virtual Held LockRead(long pos, long length) => default;
}

/// <summary>
/// What a lock hook took, released by <see cref="Dispose"/>: nothing, one rw semaphore, or
/// another releasable lock. A struct so the common cases cost no allocation.
/// </summary>
public readonly struct Held : IDisposable
{
    private readonly RwSemaphore? semaphore;
    private readonly bool write;
    private readonly IDisposable? other;

    private Held(RwSemaphore? semaphore, bool write, IDisposable? other)
    {
        this.semaphore = semaphore;
        this.write = write;
        this.other = other;
    }

    /// <summary>down_read, or down_read_nested for a <paramref name="subclass"/> other than 0.</summary>
    public static Held Read(RwSemaphore semaphore, int subclass = 0)
    {
        if (subclass == 0)
            semaphore.DownRead();
        else
            semaphore.DownReadNested(subclass);
        return new Held(semaphore, write: false, null);
    }

    /// <summary>down_write, or down_write_nested for a <paramref name="subclass"/> other than 0.</summary>
    public static Held Write(RwSemaphore semaphore, int subclass = 0)
    {
        if (subclass == 0)
            semaphore.DownWrite();
        else
            semaphore.DownWriteNested(subclass);
        return new Held(semaphore, write: true, null);
    }

    /// <summary>Holds <paramref name="semaphore"/> (already taken) and <paramref name="other"/>; releases the other first.</summary>
    public static Held Both(Held semaphore, IDisposable other) => new(semaphore.semaphore, semaphore.write, other);

    public void Dispose()
    {
        other?.Dispose();
        if (semaphore is null)
            return;
        if (write)
            semaphore.UpWrite();
        else
            semaphore.UpRead();
    }
}
