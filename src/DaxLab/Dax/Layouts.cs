using DaxLab.Base;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// dax_break_layout as the file system's break-layouts loop runs it (xfs_break_dax_layouts):
    /// while a page of the file is pinned, wait for it to go idle with the file system's locks
    /// dropped by <paramref name="unlock"/> and retaken by <paramref name="relock"/>, then look
    /// again, since a new pin may have come while the locks were down. Returns with no page
    /// pinned and the locks held. Context: i_rwsem and i_mmap_sem held exclusive.
    /// </summary>
    public void BreakLayouts(AddressSpace mapping, Action unlock, Action relock)
    {
        Seam.Point("xfs_break_dax_layouts");
        while (LayoutBusyPage(mapping, 0, Geometry.LastPageIndex) is var pfn && pfn >= 0)
        {
            Seam.Note($"xfs_break_dax_layouts - page {pfn} pinned, waits");
            Pages.WaitIdle(pfn, unlock, relock);
        }
    }

    /// <summary>
    /// dax_layout_busy_page_range: unmaps pages [first, last] from every mapping (not private
    /// copies, d75996dd022b), so a new get_user_pages must fault and block on the lock the
    /// caller holds; then walks the entries, each once unlocked, for a pinned page. Returns its
    /// page frame, or -1. Context: i_mmap_sem held exclusive.
    /// </summary>
    /// <remarks>
    /// A pin taken before the unmap is seen in the walk; one tried after it misses the page
    /// table and faults: the pin is taken under the ptl and the unmap clears entries under it.
    /// </remarks>
    public long LayoutBusyPage(AddressSpace mapping, long first, long last)
    {
        Seam.Point("dax_layout_busy_page_range");
        // Before d75996dd022b the unmap set even_cows, and private copies went with the rest.
        bool evenCows = Policy.History.HasFlag(HistorySwitches.LayoutBreakUnmapsCows);
        if (evenCows)
            Seam.Note("dax_layout_busy_page_range - unmap_mapping_range with even_cows: private copies too");
        Rmap.UnmapMappingRange(mapping, first, last, evenCows);
        for (long next = first; mapping.NextEntry(ref next, last, out long index, out var found);)
        {
            // Before d7782145e1ad the pagevec loop went on from index + 1, inside a PMD entry
            // stored at its aligned index, and the next lookup returned that entry again.
            if (Policy.History.HasFlag(HistorySwitches.LayoutScanStepsOnePage) && found.IsPmd)
            {
                Seam.Note($"dax_layout_busy_page_range - PMD entry at index {index}: looks again from index {index + 1}");
                next = index + 1;
            }
            long busy = -1;
            using (mapping.XaLock.Hold())
            {
                // Before 6be3e21d25ca, a locked entry went to get_unlocked_entry, which returned
                // the next present entry: the locked one, whoever held it, was never examined.
                if (Policy.History.HasFlag(HistorySwitches.LayoutScanSkipsLockedEntries) && mapping.Entries.Load(index).IsLocked)
                {
                    Seam.Note($"dax_layout_busy_page_range - entry at index {index} locked: get_unlocked_entry moves past it");
                    continue;
                }
                var entry = GetUnlockedEntry(mapping, index);
                if (entry.IsMapped)
                    busy = Pages.FirstPinned(entry.Pfn, entry.PageCount);
                PutUnlockedEntry(mapping, index, entry, WakeMode.Next);
            }
            if (busy >= 0)
                return busy;
        }
        return -1;
    }

    /// <summary>
    /// dax_lock_mapping_entry: locks the entry at <paramref name="index"/> for a path that starts
    /// from a page, not from the file (memory failure), and so cannot keep the file alive while
    /// it sleeps. It waits non-exclusively (wait_entry_unlocked): every wake of the entry wakes
    /// it, since it may never lock the entry and pass an exclusive wake on. Returns the locked
    /// entry, or none for no entry, a zero entry or an empty one (the kernel's ~0 cookie).
    /// Context: nothing held.
    /// </summary>
    public DaxEntry LockMappingEntry(AddressSpace mapping, long index)
    {
        Seam.Point("dax_lock_mapping_entry");
        mapping.XaLock.Lock();
        mapping.Entries.AnnotateEntryWait(index, "dax_lock_mapping_entry");
        var entry = mapping.Entries.Load(index);
        while (entry.IsLocked)
        {
            var waiter = waitTable.Prepare(WaitKeyOf(mapping, index, entry), exclusive: false);
            mapping.XaLock.Unlock();
            waitTable.Sleep(waiter, "wait_entry_unlocked");
            mapping.XaLock.Lock();
            entry = mapping.Entries.Load(index);
        }
        var locked = entry.IsMapped ? LockEntry(mapping, index, entry) : DaxEntry.None;
        mapping.XaLock.Unlock();
        return locked;
    }
}
