using DaxLab.Base;
using DaxLab.Index;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// grab_mapping_entry: finds or creates the entry for a fault and returns it locked.
    /// </summary>
    /// <remarks>
    /// Keeps the kernel's size policy: a PMD request that meets PTE entries in its 2 MiB falls
    /// back (4 KiB entries win); a PTE request inside a ZERO or EMPTY PMD entry downgrades it
    /// (unmap the huge zero page, delete the PMD entry, wake everyone, start a PTE entry); a
    /// PTE request inside a MAPPED PMD entry uses that entry. Context: i_mmap_sem held shared;
    /// returns <see cref="DaxEntry.None"/> with <paramref name="fallback"/> set for a PMD
    /// request that must fall back.
    /// </remarks>
    public DaxEntry GrabMappingEntry(AddressSpace mapping, long index, bool pmd, out bool fallback)
    {
        Seam.Point("grab_mapping_entry");
        fallback = false;
        if (pmd)
            index &= ~(long)(Geometry.PagesPerPmd - 1);
        mapping.XaLock.Lock();
        var entry = GetUnlockedEntry(mapping, index, pmd ? Geometry.PmdOrder : 0);
        if (pmd && Policy.History.HasFlag(HistorySwitches.PmdWaitsOnPteEntries))
            entry = WaitOnLockedPteEntries(mapping, index, entry);
        if (entry.IsConflict || (pmd && (entry.IsNone || !entry.IsPmd) && mapping.Entries.HasPteEntries(index)))
        {
            PutUnlockedEntry(mapping, index, entry);
            mapping.XaLock.Unlock();
            Seam.Note("grab_mapping_entry - PTE entries there, fall back");
            fallback = true;
            return DaxEntry.None;
        }
        if (!pmd && entry.IsPmd && (entry.IsZero || entry.IsEmpty))
        {
            DowngradePmdEntry(mapping, index, entry);
            entry = DaxEntry.None;
        }
        if (!entry.IsNone)
        {
            var locked = LockEntry(mapping, index, entry);
            mapping.XaLock.Unlock();
            Seam.Note($"grab_mapping_entry - locks {locked.Without(DaxEntry.Locked)}");
            return locked;
        }
        if (Policy.History.HasFlag(HistorySwitches.PreloadDropsXaLock) && SlotTakenDuringPreload(mapping, index, pmd) is { } taken)
        {
            mapping.XaLock.Unlock();
            fallback = taken;
            Seam.Note(taken ? "grab_mapping_entry - __radix_tree_insert: -EEXIST, fall back" : "grab_mapping_entry - slot taken during radix_tree_preload, restart");
            return taken ? DaxEntry.None : GrabMappingEntry(mapping, index, pmd, out fallback);
        }
        var empty = DaxEntry.MakeEmpty(pmd);
        mapping.Entries.Store(index, empty);
        mapping.XaLock.Unlock();
        Seam.Note("grab_mapping_entry - adds empty entry");
        return empty;
    }

    /// <summary>
    /// radix_tree_preload with the tree lock dropped (v4.10, v4.11): null when the slot is still
    /// free to insert into; else true to fall back (a PMD insert that fails with -EEXIST) or
    /// false to restart. With e11f8b7b6c4e's second look, an entry at the index restarts and
    /// only PTE entries elsewhere in the 2 MiB fail a PMD insert; without it, any entry there
    /// fails a PMD insert. Context: xa_lock held on entry and on return, dropped in between.
    /// </summary>
    private bool? SlotTakenDuringPreload(AddressSpace mapping, long index, bool pmd)
    {
        mapping.XaLock.Unlock();
        Seam.Point("radix_tree_preload");
        mapping.XaLock.Lock();
        bool atIndex = !mapping.Entries.Load(index).IsNone;
        bool ptesInside = pmd && mapping.Entries.HasPteEntries(index);
        if (!atIndex && !ptesInside)
            return null;
        if (Policy.History.HasFlag(HistorySwitches.PreloadSkipsRelookup))
            return pmd;
        return !atIndex;
    }

    /// <summary>
    /// get_unlocked_entry for a PMD request from b15cd800682f to 23c84eb78375: while a locked PTE
    /// entry lies inside the 2 MiB, sleep on the aligned index's key, which only an entry stored
    /// there wakes. Context: xa_lock held; dropped and retaken while sleeping.
    /// </summary>
    private DaxEntry WaitOnLockedPteEntries(AddressSpace mapping, long index, DaxEntry entry)
    {
        while (entry.IsNone && LockedEntryInside(mapping, index, index + Geometry.PagesPerPmd - 1))
        {
            var waiter = waitTable.Prepare(new WaitKey(mapping, index));
            mapping.XaLock.Unlock();
            waitTable.Sleep(waiter, "get_unlocked_entry");
            mapping.XaLock.Lock();
            entry = GetUnlockedEntry(mapping, index);
        }
        return entry;
    }

    /// <summary>Whether an entry in pages [<paramref name="first"/>, <paramref name="last"/>] is locked. Context: xa_lock held.</summary>
    private static bool LockedEntryInside(AddressSpace mapping, long first, long last)
    {
        for (long next = first; mapping.Entries.FindNext(next, last, out long at, out var found); next = at + found.PageCount)
        {
            if (found.IsLocked)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Replaces a ZERO or EMPTY PMD entry by nothing so a PTE entry can start. Context: xa_lock
    /// held on entry and on return; dropped while the huge zero page is unmapped.
    /// </summary>
    private void DowngradePmdEntry(AddressSpace mapping, long index, DaxEntry entry)
    {
        long pmdIndex = index & ~(long)(Geometry.PagesPerPmd - 1);
        LockEntry(mapping, pmdIndex, entry);
        mapping.XaLock.Unlock();
        if (entry.IsZero)
            Rmap.UnmapMappingRange(mapping, pmdIndex, pmdIndex + Geometry.PagesPerPmd - 1, evenCows: false);
        mapping.XaLock.Lock();
        var removed = mapping.Entries.Erase(pmdIndex);
        Invariant.Holds(removed.IsLocked && removed.IsPmd, "downgraded entry changed under its lock");
        WakeEntry(mapping, pmdIndex, removed, WakeMode.All);
        Seam.Note($"grab_mapping_entry - downgrades {(entry.IsZero ? "zero" : "empty")} PMD entry");
    }

    /// <summary>
    /// find_or_create_page and page_cache_tree_insert (v4.10 to v4.13): a zeroed page-cache
    /// page, locked, replaces the locked entry in the slot, and every sleeper on that entry is
    /// woken (965d004af540), to lock the page from now on. The entry replaced is the EMPTY one
    /// grab_mapping_entry made, or, in v4.10's fault order, a MAPPED one a write fault inserted
    /// since ->iomap_begin saw the hole: the kernel warned and replaced it all the same.
    /// Returns the page, locked. Context: the entry lock of <paramref name="entry"/> held.
    /// </summary>
    private DaxEntry AddHolePage(AddressSpace mapping, long index, DaxEntry entry)
    {
        Seam.Point("find_or_create_page");
        Invariant.Holds(entry.IsLocked && !entry.IsPmd, "a hole page replaces a locked 4 KiB entry");
        var page = DaxEntry.MakeHolePage();
        using (mapping.XaLock.Hold())
            mapping.Entries.Store(index, page);
        // Before 965d004af540 one sleeper was woken; with the page lock's own queue the rest
        // slept on a DAX key that no unlock would wake again.
        WakeEntry(mapping, index, entry, Policy.History.HasFlag(HistorySwitches.HolePageInsertWakesOne) ? WakeMode.Next : WakeMode.All);
        Seam.Note($"page_cache_tree_insert - hole page replaces {(entry.IsEmpty ? "empty entry" : entry.Without(DaxEntry.Locked).ToString())}");
        return page;
    }

    /// <summary>
    /// dax_insert_entry: records what a fault maps. Only ZERO and EMPTY entries and hole pages
    /// are replaced (replacing the zero page or a hole page unmaps it first); a write fault tags
    /// the entry DIRTY. Returns the entry now held locked. Context: the entry lock of
    /// <paramref name="entry"/> held.
    /// </summary>
    public DaxEntry InsertEntry(AddressSpace mapping, long index, DaxEntry entry, DaxEntry replacement, bool dirty)
    {
        Seam.Point("dax_insert_entry");
        Invariant.Holds(entry.IsLocked, "dax_insert_entry without the entry lock");
        long storeIndex = StoreIndexOf(index, entry);
        if ((entry.IsZero || entry.IsHolePage) && !replacement.IsZero)
            Rmap.UnmapMappingRange(mapping, storeIndex, storeIndex + entry.PageCount - 1, evenCows: false);
        using var xa = mapping.XaLock.Hold();
        var result = entry;
        if (entry.IsZero || entry.IsEmpty || entry.IsHolePage)
        {
            Invariant.Holds(replacement.IsPmd == entry.IsPmd, "entry size changes on insert");
            result = replacement.With(DaxEntry.Locked);
            Seam.Note($"dax_insert_entry - {(replacement.IsZero ? "adds zero page" : "maps blocks")}");
        }
        if (dirty)
            result = result.With(DaxEntry.TagDirty);
        mapping.Entries.Store(storeIndex, result);
        return result;
    }

    /// <summary>
    /// __dax_invalidate_mapping_entry: deletes the entry at <paramref name="index"/> once
    /// unlocked. Invalidation (<paramref name="truncate"/> false) leaves DIRTY or TOWRITE
    /// entries, whose data writeback still owes the device; truncate deletes everything, and
    /// reports a page it finds pinned (the use after free dax_layout_busy_page prevents). Wakes
    /// one waiter or all, as <see cref="DaxPolicy.InvalidateWakes"/> says. Returns the deleted entry, or none. Context: i_rwsem or
    /// i_mmap_sem held so no new blocks appear.
    /// </summary>
    public DaxEntry InvalidateEntry(AddressSpace mapping, long index, bool truncate)
    {
        mapping.XaLock.Lock();
        var entry = GetUnlockedEntry(mapping, index);
        if (entry.IsNone || (!truncate && (entry.IsDirty || entry.IsToWrite)))
        {
            PutUnlockedEntry(mapping, index, entry, Policy.InvalidateWakes);
            mapping.XaLock.Unlock();
            return DaxEntry.None;
        }
        long storeIndex = StoreIndexOf(index, entry);
        if (truncate && entry.IsMapped)
            Pages.CheckNotPinnedOnTruncate(entry.Pfn, entry.PageCount, storeIndex);
        mapping.Entries.Erase(storeIndex);
        mapping.XaLock.Unlock();
        // put_unlocked_entry: one waiter through v4.14 (c6dcf52c23d2 made it one), every one
        // from 237388320def (2021), after a woken waiter that found no entry left the rest asleep.
        PutUnlockedEntry(mapping, storeIndex, entry, Policy.InvalidateWakes);
        return entry;
    }
}
