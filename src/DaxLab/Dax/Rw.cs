using DaxLab.Base;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// dax_iomap_rw for read(2): copies from the device extent by extent into
    /// <paramref name="iter"/>, zeros for holes and unwritten extents, stopping at EOF. A copy
    /// that faults for good ends the read (<see cref="ShortCopy"/>). Context: i_rwsem held
    /// shared, and what the design's read lock took: a store into a mapping of a DAX file
    /// faults under them.
    /// </summary>
    public unsafe int IomapRead(Inode inode, long pos, ref IovIter iter)
    {
        Seam.Access(inode, write: false);
        long size = inode.Size;
        if (pos >= size || iter.Count == 0)
            return 0;
        int length = (int)Math.Min(iter.Count, size - pos);
        int done = 0;
        while (done < length)
        {
            Seam.Point("iomap_apply");
            long at = pos + done;
            var iomap = Fs.IomapBegin(inode, at, length - done, IomapOp.Read);
            int chunk = (int)Math.Min(iomap.End - at, length - done);
            Invariant.Holds(chunk > 0 && iomap.Offset <= at, "->iomap_begin answered an extent not covering pos");
            int copied = iomap.Type == IomapType.Mapped
                ? iter.CopyToIter(new ReadOnlySpan<byte>(Device.Base + iomap.AddrOf(at), chunk), Seam, Device)
                : iter.IovIterZero(chunk);
            Fs.IomapEnd(inode, at, length - done, copied, IomapOp.Read, iomap);
            done += copied;
            if (copied < chunk)
                return ShortCopy(done, "read(2)");
        }
        return done;
    }

    /// <summary>
    /// dax_iomap_rw for write(2): allocates through ->iomap_begin and copies from
    /// <paramref name="iter"/> straight into the device. Returns bytes written; ENOSPC part-way
    /// returns the part, ENOSPC at once throws; a copy that faults for good likewise
    /// (<see cref="ShortCopy"/>). Context: i_rwsem held exclusive (shared for a range-lock
    /// overwrite), and what the design's write lock took. The caller extends i_size afterwards.
    /// </summary>
    public int IomapWrite(Inode inode, AddressSpace mapping, long pos, ref IovIter iter, DeviceRanges written)
    {
        int done = 0;
        while (iter.Count > 0)
        {
            Seam.Point("iomap_apply");
            long at = pos + done;
            int remaining = iter.Count;
            Iomap? next = IomapBeginForWrite(inode, at, remaining, done);
            if (next is null)
                break;
            Iomap iomap = next.Value;
            if (Seam.Tracing)
                Seam.Note("->iomap_begin - " + Describe(iomap));
            int chunk = (int)Math.Min(iomap.End - at, remaining);
            Invariant.Holds(chunk > 0 && iomap.Type == IomapType.Mapped, "->iomap_begin for a write answered no blocks");
            int copied = ActorWrite(mapping, iomap, at, chunk, ref iter);
            written.Add(iomap.AddrOf(at), copied);
            Ops.IomapEnd(inode, at, remaining, copied, IomapOp.Write, iomap);
            done += copied;
            if (copied < chunk)
                return ShortCopy(done, "write(2)");
        }
        return done;
    }

    /// <summary>
    /// ->iomap_begin for the next chunk of a write; null when the device filled up after part of
    /// the write went in, so that the write returns that part (ENOSPC at once throws).
    /// </summary>
    /// <remarks>
    /// A method of its own so that the caller's iomap is assigned whatever a mutant does to the
    /// loop's exit: Stryker compiles no mutant of a method where one leaves a local unassigned.
    /// </remarks>
    private Iomap? IomapBeginForWrite(Inode inode, long at, int remaining, int done)
    {
        try
        {
            return Ops.IomapBegin(inode, at, remaining, IomapOp.Write);
        }
        catch (ErrnoException e) when (e.Errno == Errno.ENOSPC && done > 0)
        {
            return null;
        }
    }

    /// <summary>
    /// dax_iomap_actor for a write: newly allocated blocks first invalidate the range, so no
    /// zero page stays mapped over them (the 2017 fix: no nrpages guard, and one unmap after
    /// the entries are dropped), then <paramref name="chunk"/> bytes are copied in
    /// (copy_from_iter), with every lock of the write still held. Returns the bytes copied.
    /// </summary>
    private unsafe int ActorWrite(AddressSpace mapping, in Iomap iomap, long at, int chunk, ref IovIter iter)
    {
        Seam.Point("dax_iomap_actor");
        if (iomap.IsNew)
            InvalidateNewBlocks(mapping, at >> Geometry.PageShift, (at + chunk - 1) >> Geometry.PageShift);
        // After the invalidation's own scheduling points: a plain buffer is copied in this step,
        // a user buffer page by page in steps of their own (copy_from_user, and its faults).
        return iter.CopyFromIterFlushCache(new Span<byte>(Device.Base + iomap.AddrOf(at), chunk), Seam, Device);
    }

    /// <summary>The write path found new blocks under pages [first, last]: invalidate as the design in force does.</summary>
    private void InvalidateNewBlocks(AddressSpace mapping, long first, long last)
    {
        switch (Policy.NewBlocks)
        {
            case NewBlockInvalidation.WhenPageCachePages:
                // The nrpages guard: a zero page, 4 KiB or 2 MiB, that is a DAX entry is not a
                // page, so a write into a hole read through a PMD skips the invalidation
                // altogether (generic/428).
                if (NrPages(mapping) == 0)
                {
                    Seam.Note("invalidate_inode_pages2_range - nrpages is 0, skipped");
                    return;
                }
                DropCleanEntries(mapping, first, last, unmapDaxEntries: false);
                return;
            case NewBlockInvalidation.UnmapEachDropped:
                DropCleanEntries(mapping, first, last, unmapDaxEntries: true);
                return;
            default:
                InvalidateInodePages2Range(mapping, first, last);
                return;
        }
    }

    /// <summary>mapping->nrpages, read under xa_lock as the unlocked kernel read would see it at some instant.</summary>
    private static long NrPages(AddressSpace mapping)
    {
        using var xa = mapping.XaLock.Hold();
        return mapping.Entries.HolePages;
    }

    /// <summary>
    /// A user copy faulted for good (SIGBUS past EOF, SIGSEGV): as dax_iomap_rw, the call
    /// returns the bytes it copied before, or fails with EFAULT if there were none.
    /// </summary>
    private static int ShortCopy(int done, string call) =>
        done > 0 ? done : throw new ErrnoException(Errno.EFAULT, $"{call}: the buffer faulted before any byte was copied");

    /// <summary>
    /// invalidate_inode_pages2_range for DAX (v4.12): drops every clean entry in pages
    /// [first, last], waiting for any that is locked (a fault in progress), then unmaps the
    /// range once. Unmapping before dropping could not see an entry mapped in between.
    /// </summary>
    private void InvalidateInodePages2Range(AddressSpace mapping, long first, long last)
    {
        DropCleanEntries(mapping, first, last, unmapDaxEntries: false);
        Rmap.UnmapMappingRange(mapping, first, last, evenCows: false);
    }

    /// <summary>
    /// The loop of invalidate_inode_pages2_range over pages [first, last]: hole pages go as
    /// pages do, and each clean DAX entry is dropped once unlocked, its pages unmapped at once
    /// when <paramref name="unmapDaxEntries"/> says so (Ross Zwisler's first patch).
    /// </summary>
    private void DropCleanEntries(AddressSpace mapping, long first, long last, bool unmapDaxEntries)
    {
        Seam.Point("invalidate_inode_pages2_range");
        bool any = false, restUnmapped = false;
        for (long next = first; mapping.NextEntry(ref next, last, out long index, out var entry);)
        {
            if (entry.IsHolePage)
            {
                any |= InvalidateHolePage(mapping, index, last, ref restUnmapped);
                continue;
            }
            if (InvalidateEntry(mapping, index, truncate: false).IsNone)
                continue;
            any = true;
            if (unmapDaxEntries)
                Rmap.UnmapMappingRange(mapping, index, index + entry.PageCount - 1, evenCows: false);
        }
        Seam.Note($"invalidate_inode_pages2_range - {(any ? "drops entries" : "there's nothing to invalidate")}");
    }

    /// <summary>
    /// The page branch of invalidate_inode_pages2_range, for a hole page: lock it (a fault may
    /// hold it), unmap it where it is mapped, the first mapped page unmapping the rest of the
    /// range up to <paramref name="last"/> in one go ("zap the rest of the file in one hit"),
    /// then delete it from the page cache. A page that a write fault replaced while we waited
    /// is no longer ours to invalidate. Returns whether a page was deleted.
    /// </summary>
    private bool InvalidateHolePage(AddressSpace mapping, long index, long last, ref bool restUnmapped)
    {
        mapping.XaLock.Lock();
        var page = GetUnlockedEntry(mapping, index);
        if (!page.IsHolePage)
        {
            PutUnlockedEntry(mapping, index, page);
            mapping.XaLock.Unlock();
            return false;
        }
        var locked = LockEntry(mapping, index, page);
        mapping.XaLock.Unlock();
        if (Rmap.IsHolePageMapped(mapping, index))
        {
            Rmap.UnmapMappingRange(mapping, index, restUnmapped ? index : last, evenCows: false);
            restUnmapped = true;
        }
        using (mapping.XaLock.Hold())
            mapping.Entries.Erase(index);
        PutUnlockedEntry(mapping, index, locked);
        return true;
    }

    /// <summary>
    /// truncate_inode_pages_range for DAX: deletes every entry of pages [first, last], waiting
    /// for locked ones. Context: i_mmap_sem held exclusive, so no fault adds entries meanwhile.
    /// </summary>
    public void TruncateInodePagesRange(AddressSpace mapping, long first, long last)
    {
        Seam.Point("truncate_inode_pages_range");
        for (long next = first; mapping.NextEntry(ref next, last, out long index, out _);)
        {
            var gone = InvalidateEntry(mapping, index, truncate: true);
            // A dirty PMD entry of which only a part goes away: flush it, so the fsync that
            // follows still covers the blocks that stay. A wholly truncated one owes nothing.
            long start = StoreIndexOf(index, gone);
            if (gone.IsDirty && (start < first || start + gone.PageCount - 1 > last))
                Device.Flush(gone.Pfn << Geometry.PageShift, gone.PageCount << Geometry.PageShift);
        }
    }

    /// <summary>
    /// dax_zero_range / dax_truncate_page: writes zeros to the blocks under [pos, end); holes
    /// and unwritten extents already read as zeros. Context: i_rwsem held exclusive.
    /// </summary>
    public unsafe void ZeroRange(Inode inode, long pos, long end, DeviceRanges written)
    {
        while (pos < end)
        {
            var iomap = Fs.IomapBegin(inode, pos, end - pos, IomapOp.Read);
            long chunk = Math.Min(iomap.End, end) - pos;
            if (iomap.Type == IomapType.Mapped)
            {
                var zeroed = new Span<byte>(Device.Base + iomap.AddrOf(pos), (int)chunk);
                Seam.AccessMemory(zeroed, write: true);
                zeroed.Clear();
                written.Add(iomap.AddrOf(pos), chunk);
            }
            Fs.IomapEnd(inode, pos, end - pos, chunk, IomapOp.Read, iomap);
            pos += chunk;
        }
    }
}

/// <summary>
/// Device ranges written by write(2) and zeroing since the last fsync, which must be flushed
/// then. Kept as one covering interval: cheap to update on every write, and a flush of a
/// little more than needed is harmless. Its own gate orders writers that share i_rwsem.
/// </summary>
public sealed class DeviceRanges
{
    private long low = long.MaxValue;
    private long high = long.MinValue;

    /// <summary>Guards <see cref="low"/> and <see cref="high"/>; a leaf, held for one update or one take.</summary>
    private readonly Lock gate = new();

    public void Add(long address, long length)
    {
        lock (gate)
        {
            low = Math.Min(low, address);
            high = Math.Max(high, address + length);
        }
    }

    /// <summary>Takes the covering interval and resets it; false when nothing is pending.</summary>
    public bool TakeAll(out long address, out long length)
    {
        lock (gate)
        {
            bool pending = low < high;
            address = pending ? low : 0;
            length = pending ? high - low : 0;
            low = long.MaxValue;
            high = long.MinValue;
            return pending;
        }
    }
}
