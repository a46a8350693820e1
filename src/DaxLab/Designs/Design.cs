using DaxLab.Dax;
using DaxLab.Index;
using DaxLab.Mm;
using DaxLab.Sync;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// A locking protocol for keeping read(2), write(2) and mmap coherent on DAX, as argued in the
/// 2017 thread. This base class is v4.12, the fix that landed; every other design overrides
/// only the hooks where it differs, so each one reads as a small difference from the fix.
/// </summary>
/// <remarks>
/// The hooks, in the order a racing write(2) and fault meet them:
/// <list type="number">
/// <item><see cref="LockFault"/>: what a fault holds around the DAX handler (v4.12: i_mmap_sem
/// shared, which only truncate and hole punch exclude).</item>
/// <item><see cref="IomapBeforeEntryLock"/>: whether the fault asks ->iomap_begin before
/// taking the entry lock (v4.10 moved it out to avoid an ext4 lock inversion).</item>
/// <item><see cref="LockWrite"/> and <see cref="LockRead"/>: what write(2) and read(2) hold
/// besides i_rwsem.</item>
/// <item><see cref="InvalidateNewBlocks"/>: what the write path does to the mapping entries of
/// newly allocated blocks.</item>
/// </list>
/// </remarks>
public abstract class Design
{
    /// <summary>The name used by <c>--design</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line: what this design does.</summary>
    public abstract string Summary { get; }

    /// <summary>Where the idea comes from.</summary>
    public abstract string Source { get; }

    /// <summary>
    /// Whether faults re-check the page-table level after taking the entry lock and retry (the
    /// May 2017 fix of colliding PMD and PTE entries). Without it a PTE and a PMD fault on one
    /// 2 MiB range can each map at their own level.
    /// </summary>
    public virtual bool RechecksPageTableLevel => true;

    /// <summary>True when faults call ->iomap_begin before grab_mapping_entry (v4.10's order).</summary>
    public virtual bool IomapBeforeEntryLock => false;

    /// <summary>Per-inode state the design needs (a range lock, a lock table), or null.</summary>
    public virtual object? NewInodeState(Seam seam) => null;

    /// <summary>Taken by a fault around the DAX handler. Context: mmap_lock held shared.</summary>
    public virtual Held LockFault(DaxInode inode, in FaultContext vmf, PageEntrySize size) => Held.Read(inode.MmapSem);

    /// <summary>
    /// Whether write(2) may take i_rwsem shared for an overwrite inside i_size, because
    /// <see cref="LockWrite"/> already keeps overlapping writes apart (as XFS does for direct I/O).
    /// </summary>
    public virtual bool OverwritesShareIRwsem => false;

    /// <summary>Taken by write(2) after i_rwsem, around the extent loop.</summary>
    public virtual Held LockWrite(DaxInode inode, long pos, long length) => default;

    /// <summary>Taken by read(2) after i_rwsem, around the extent loop.</summary>
    public virtual Held LockRead(DaxInode inode, long pos, long length) => default;

    /// <summary>
    /// The write path found newly allocated blocks under pages [first, last]. v4.12: drop the
    /// clean entries (waiting for faults in progress on them), then unmap the range once.
    /// </summary>
    public virtual void InvalidateNewBlocks(DaxCore core, AddressSpace mapping, long first, long last) =>
        core.InvalidateInodePages2Range(mapping, first, last);

    public override string ToString() => Name;
}

/// <summary>
/// What a design hook took, released by <see cref="Dispose"/>: nothing, one rw semaphore, or
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

    public static Held Read(RwSemaphore semaphore)
    {
        semaphore.DownRead();
        return new Held(semaphore, write: false, null);
    }

    public static Held Write(RwSemaphore semaphore)
    {
        semaphore.DownWrite();
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
