using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Dax;

/// <summary>
/// The DAX core (fs/dax.c): mapping-entry locking, the fault handlers, the I/O actor and
/// writeback, for every file of one mounted file system.
/// </summary>
/// <remarks>
/// Lock order, outermost first (the fix that landed, v4.12):
/// <code>
///   i_rwsem (write(2) exclusive, read(2) shared)
///     → mmap_lock of a mapping (faults shared, taken by handle_mm_fault; munmap exclusive)
///       → i_mmap_sem (faults shared; truncate, hole punch, zero range exclusive)
///         → the design's own lock, if any: i_range_lock (range-lock: faults after i_mmap_sem,
///           write(2) and read(2) after i_rwsem) or a region's dax_entry_rwsem (rw-entry-locks)
///         → jbd2 handle, ext4 designs only (a write fault's, from ext4_dax_huge_fault, in
///           ext4-v4.12; write(2)'s, from ->iomap_begin to ->iomap_end; ext4-v4.11-entry-first
///           starts a fault's under the entry lock instead, the inversion it exists to show)
///         → mapping-entry lock (the LOCKED bit; sleepers on the hashed wait table)
///           → ILOCK (inside ->iomap_begin) → allocator → metadata log
///           → i_mmap_rwsem (reverse-map walks) → page-table lock
///             → xa_lock (never held across a sleep) → wait-queue bucket gate
/// </code>
/// A truncate, hole punch or zero range that breaks layouts (v6) waits for a pinned page in
/// wait_var_event holding i_rwsem, with i_mmap_sem dropped so the pin's owner can fault; the
/// unpin that wakes it takes no lock (<see cref="PageRefs"/>).
/// The I/O path takes no entry lock: a write that allocated blocks waits for entry locks only
/// inside invalidate_inode_pages2_range, which is how it meets a fault in progress. Its copy to
/// or from a user buffer that maps a DAX file (copy_from_user in dax_iomap_actor) faults with
/// i_rwsem and the design's I/O lock held, down this order from mmap_lock; a design whose fault
/// takes a lock its read(2) or write(2) already holds deadlocks there (docs/designs.md).
/// </remarks>
public sealed partial class DaxCore
{
    /// <summary>DAX_WAIT_TABLE_ENTRIES: 4096 hashed wait queues shared by every file.</summary>
    public const int WaitTableEntries = 4096;

    private readonly WaitQueueTable waitTable;

    /// <param name="ops">The faults' and write(2)'s ->iomap_begin/->iomap_end: <paramref name="fs"/>'s own (XFS) unless the design runs ext4's.</param>
    /// <param name="journal">ext4's jbd2 journal, or null on XFS.</param>
    public DaxCore(FileSystem fs, Seam seam, DaxPolicy policy, IIomapOps? ops = null, Journal? journal = null)
    {
        Fs = fs;
        Seam = seam;
        Policy = policy;
        Ops = ops ?? fs;
        Journal = journal;
        waitTable = seam.NewWaitQueueTable(WaitTableEntries);
        Pages = new PageRefs(seam);
    }

    /// <summary>The pins on the device's pages (get_user_pages), which truncate must not free under.</summary>
    public PageRefs Pages { get; }

    public FileSystem Fs { get; }

    /// <summary>The iomap_ops faults and write(2) call, the file system's by flavour (<see cref="FsFlavour"/>).</summary>
    public IIomapOps Ops { get; }

    /// <summary>The jbd2 journal of an ext4 mount, which fsync commits; null on XFS.</summary>
    public Journal? Journal { get; }
    public PmemDevice Device => Fs.Device;
    public Seam Seam { get; }

    /// <summary>The locking design's choices inside fs/dax.c: v4.12's unless the file system was mounted with another design.</summary>
    public DaxPolicy Policy { get; }

    /// <summary>
    /// The key sleepers on an entry use: a PMD entry's key is its 2 MiB-aligned index. With
    /// <see cref="HistorySwitches.HolePagesUsePageLock"/> a hole page is waited for on its page
    /// lock's queue (page_waitqueue), which no DAX entry's wake reaches: a key of its own, at an
    /// index no entry has (negative), so that it hashes the same in every run.
    /// </summary>
    private WaitKey WaitKeyOf(AddressSpace mapping, long index, DaxEntry entry) =>
        entry.IsHolePage && Policy.History.HasFlag(HistorySwitches.HolePagesUsePageLock)
            ? new(mapping, -1 - index)
            : new(mapping, StoreIndexOf(index, entry));

    /// <summary>The index an entry is stored at: PMD entries at their aligned index.</summary>
    private static long StoreIndexOf(long index, DaxEntry entry) =>
        entry.IsPmd ? index & ~(long)(Geometry.PagesPerPmd - 1) : index;

    /// <summary>
    /// get_unlocked_entry (get_next_unlocked_entry today): the entry covering
    /// <paramref name="index"/> for a lookup of <paramref name="order"/>, once nobody holds its
    /// lock. With the XArray's rule (<see cref="OrderConflict.RetryEntry"/>) a smaller entry
    /// anywhere in the range is <see cref="DaxEntry.Conflict"/> at once, locked or not; with the
    /// radix tree's the lookup sees the slot at the index and waits for it. Context: xa_lock
    /// held; drops and retakes it while sleeping (exclusively: one unlock wakes one sleeper).
    /// </summary>
    private DaxEntry GetUnlockedEntry(AddressSpace mapping, long index, int order = 0)
    {
        Invariant.Holds(mapping.XaLock.IsHeld, "get_unlocked_entry without xa_lock");
        mapping.Entries.AnnotateEntryWait(index, "get_unlocked_entry");
        bool xarray = Policy.OrderConflicts == OrderConflict.RetryEntry;
        while (true)
        {
            long at = index;
            var entry = xarray ? mapping.Entries.FindConflict(index, order, out at) : mapping.Entries.Load(index);
            if (xarray && !entry.IsNone && entry.Order < order)
                return DaxEntry.Conflict;
            if (entry.IsNone || !entry.IsLocked)
                return entry;
            var waiter = waitTable.Prepare(WaitKeyOf(mapping, at, entry));
            mapping.XaLock.Unlock();
            waitTable.Sleep(waiter, "get_unlocked_entry");
            mapping.XaLock.Lock();
        }
    }

    /// <summary>
    /// put_unlocked_entry: a waiter that was woken for an entry but does not lock it passes the
    /// wake-up on, or the next sleeper would wait for an unlock that never comes. No entry, or a
    /// conflict, has no sleepers of its own.
    /// </summary>
    private void PutUnlockedEntry(AddressSpace mapping, long index, DaxEntry entry, WakeMode mode = WakeMode.Next)
    {
        if (!entry.IsNone && !entry.IsConflict)
            WakeEntry(mapping, index, entry, mode);
    }

    /// <summary>dax_lock_entry: sets LOCKED on an unlocked entry. Context: xa_lock held.</summary>
    private static DaxEntry LockEntry(AddressSpace mapping, long index, DaxEntry entry)
    {
        Invariant.Holds(mapping.XaLock.IsHeld && !entry.IsLocked, "dax_lock_entry on a locked entry or without xa_lock");
        var locked = entry.With(DaxEntry.Locked);
        mapping.Entries.Store(StoreIndexOf(index, entry), locked);
        return locked;
    }

    /// <summary>
    /// dax_unlock_entry: clears LOCKED and wakes the next sleeper (WAKE_NEXT). Context: the
    /// caller holds the entry lock, not xa_lock.
    /// </summary>
    public void UnlockEntry(AddressSpace mapping, long index, DaxEntry entry)
    {
        long storeIndex = StoreIndexOf(index, entry);
        DaxEntry current;
        using (mapping.XaLock.Hold())
        {
            current = mapping.Entries.Load(storeIndex);
            Invariant.Holds(current.IsLocked && current.Identity == entry.Identity, $"dax_unlock_entry of an entry not held: {current}");
            mapping.Entries.Store(storeIndex, current.Without(DaxEntry.Locked));
        }
        WakeEntry(mapping, storeIndex, current, WakeMode.Next);
    }

    /// <summary>
    /// dax_wake_entry: wakes the sleepers on <paramref name="entry"/>'s key. WAKE_ALL where the
    /// entry is gone or resized (a PMD entry downgraded, an entry a hole page replaced), since
    /// none of the woken will lock it and pass the wake on.
    /// </summary>
    private void WakeEntry(AddressSpace mapping, long index, DaxEntry entry, WakeMode mode) =>
        waitTable.Wake(WaitKeyOf(mapping, index, entry), all: mode == WakeMode.All);
}
