using System.Diagnostics;
using DaxLab.Base;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// dax_iomap_rw for read(2): copies from the device extent by extent, zeros for holes and
    /// unwritten extents, stopping at EOF. Context: i_rwsem held shared.
    /// </summary>
    public unsafe int IomapRead(Inode inode, long pos, Span<byte> buffer)
    {
        Seam.Access(inode, write: false);
        long size = inode.Size;
        if (pos >= size || buffer.Length == 0)
            return 0;
        int length = (int)Math.Min(buffer.Length, size - pos);
        int done = 0;
        while (done < length)
        {
            Seam.Point("iomap_apply");
            long at = pos + done;
            var iomap = Fs.IomapBegin(inode, at, length - done, IomapOp.Read);
            int chunk = (int)Math.Min(iomap.End - at, length - done);
            Debug.Assert(chunk > 0 && iomap.Offset <= at, "->iomap_begin answered an extent not covering pos");
            var destination = buffer.Slice(done, chunk);
            Seam.Access(Device, write: false);
            if (iomap.Type == IomapType.Mapped)
                new ReadOnlySpan<byte>(Device.Base + iomap.AddrOf(at), chunk).CopyTo(destination);
            else
                destination.Clear();
            Fs.IomapEnd(inode, at, length - done, chunk, IomapOp.Read, iomap);
            done += chunk;
        }
        return done;
    }

    /// <summary>
    /// dax_iomap_rw for write(2): allocates through ->iomap_begin and copies straight into the
    /// device. Returns bytes written; ENOSPC part-way returns the part, ENOSPC at once throws.
    /// Context: i_rwsem held exclusive. The caller extends i_size afterwards.
    /// </summary>
    public int IomapWrite(Inode inode, AddressSpace mapping, long pos, ReadOnlySpan<byte> buffer, DeviceRanges written)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            Seam.Point("iomap_apply");
            long at = pos + done;
            Iomap iomap;
            try
            {
                iomap = Fs.IomapBegin(inode, at, buffer.Length - done, IomapOp.Write);
            }
            catch (ErrnoException e) when (e.Errno == Errno.ENOSPC && done > 0)
            {
                break;
            }
            if (Seam.Tracing)
                Seam.Note("->iomap_begin - " + Describe(iomap));
            int chunk = (int)Math.Min(iomap.End - at, buffer.Length - done);
            Debug.Assert(chunk > 0 && iomap.Type == IomapType.Mapped, "->iomap_begin for a write answered no blocks");
            ActorWrite(mapping, iomap, at, buffer.Slice(done, chunk));
            written.Add(iomap.AddrOf(at), chunk);
            Fs.IomapEnd(inode, at, buffer.Length - done, chunk, IomapOp.Write, iomap);
            done += chunk;
        }
        return done;
    }

    /// <summary>
    /// dax_iomap_actor for a write: newly allocated blocks first invalidate the range, so no
    /// zero page stays mapped over them (the 2017 fix: no nrpages guard, and one unmap after
    /// the entries are dropped), then the data is copied in.
    /// </summary>
    private unsafe void ActorWrite(AddressSpace mapping, in Iomap iomap, long at, ReadOnlySpan<byte> data)
    {
        Seam.Point("dax_iomap_actor");
        if (iomap.IsNew)
            InvalidateNewBlocks(mapping, at >> Geometry.PageShift, (at + data.Length - 1) >> Geometry.PageShift);
        // After the invalidation's own scheduling points: this is the step that copies.
        Seam.Access(Device, write: true);
        data.CopyTo(new Span<byte>(Device.Base + iomap.AddrOf(at), data.Length));
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
                if (PageCachePageCount(mapping) == 0)
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

    /// <summary>mapping->nrpages: the hole pages in the index, the only pages a DAX file has.</summary>
    private long PageCachePageCount(AddressSpace mapping)
    {
        long count = 0;
        for (long next = 0; mapping.NextEntry(ref next, Geometry.LastPageIndex, out _, out var entry);)
            count += entry.IsHolePage ? 1 : 0;
        return count;
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
                Seam.Access(Device, write: true);
                new Span<byte>(Device.Base + iomap.AddrOf(pos), (int)chunk).Clear();
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
