using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Index;

/// <summary>
/// The per-file index of mapping entries, keyed by page offset (the xarray of an address_space).
/// </summary>
/// <remarks>
/// Two levels, as the radix tree has for DAX: a node per 2 MiB of file holds either one PMD
/// entry (order 9, covering all 512 indices) or up to 512 PTE entries. A PMD entry and PTE
/// entries never share a node: <c>grab_mapping_entry</c> keeps that rule, this class asserts it.
/// Context: every member needs <see cref="XaLock"/>, which the index owns as an xarray owns its
/// xa_lock. The invariants checked on every change: xa_lock is held; an entry's kind or pfn
/// changes only while the entry is locked (xa_lock alone may add a new entry, delete one, or
/// set the lock bit and the tags).
/// </remarks>
public sealed class MappingIndex(Seam seam)
{
    /// <summary>
    /// The lockdep class of every entry's LOCKED bit (dax_lock_entry; for a hole page, the page
    /// lock the bit stands for). The bit is a sleeping lock: whoever finds it set waits in
    /// get_unlocked_entry, so it orders against the locks held around it like any other.
    /// </summary>
    public static readonly LockClass EntryLockClass = new("dax_entry_lock");

    private readonly Dictionary<long, Node> nodes = [];

    /// <summary>The i_pages lock: guards every entry, its LOCKED bit and its tags; nothing sleeps under it.</summary>
    public Spinlock XaLock { get; } = seam.NewSpinLock("xa_lock");

    /// <summary>Entries present, hole pages included (PMD entries count once).</summary>
    public long Count { get; private set; }

    /// <summary>mapping->nrpages: the 4 KiB hole pages present, the only pages a DAX file has.</summary>
    public long HolePages { get; private set; }

    /// <summary>The entry covering page <paramref name="index"/>: a PMD entry or the PTE entry there.</summary>
    public DaxEntry Load(long index)
    {
        if (!nodes.TryGetValue(index >> Geometry.PmdOrder, out var node))
            return DaxEntry.None;
        if (!node.Pmd.IsNone)
            return node.Pmd;
        return node.Ptes is null ? DaxEntry.None : new DaxEntry(node.Ptes[index & (Geometry.PagesPerPmd - 1)]);
    }

    /// <summary>Whether any PTE entry lives in the 2 MiB range of <paramref name="index"/> (xarray's conflict case).</summary>
    public bool HasPteEntries(long index) =>
        nodes.TryGetValue(index >> Geometry.PmdOrder, out var node) && node.PteCount > 0;

    /// <summary>
    /// xas_find_conflict for a lookup of <paramref name="order"/> at <paramref name="index"/>:
    /// the entry covering the index if there is one, else, for a PMD-order lookup, the first PTE
    /// entry in its 2 MiB; none when the range is empty. Returns the entry's store index in
    /// <paramref name="at"/>.
    /// </summary>
    public DaxEntry FindConflict(long index, int order, out long at)
    {
        Invariant.Holds(order == 0 || order == Geometry.PmdOrder, "entries are of order 0 or PMD_ORDER");
        long start = index & ~((1L << order) - 1);
        at = start;
        if (!nodes.TryGetValue(start >> Geometry.PmdOrder, out var node))
            return DaxEntry.None;
        if (!node.Pmd.IsNone)
        {
            at = start & ~(long)(Geometry.PagesPerPmd - 1);
            return node.Pmd;
        }
        if (FirstIn(node, start >> Geometry.PmdOrder, start, start + (1L << order) - 1, out long found, out var entry))
        {
            at = found;
            return entry;
        }
        return DaxEntry.None;
    }

    /// <summary>Stores <paramref name="entry"/> at <paramref name="index"/> (PMD entries at their aligned index), replacing what is there.</summary>
    public void Store(long index, DaxEntry entry)
    {
        Invariant.Holds(!entry.IsNone, "use Erase to remove an entry");
        Invariant.Holds(XaLock.IsHeld, "xa_lock is held when the index changes");
        entry.AssertValid();
        long key = index >> Geometry.PmdOrder;
        if (!nodes.TryGetValue(key, out var node))
        {
            node = new Node();
            nodes.Add(key, node);
        }
        if (entry.IsPmd)
        {
            Invariant.Holds(node.PteCount == 0, "PMD entry stored over PTE entries");
            AssertChangedUnderLock(node.Pmd, entry);
            TrackEntryLock(key << Geometry.PmdOrder, node.Pmd, entry);
            if (node.Pmd.IsNone)
                Count++;
            node.Pmd = entry;
            return;
        }
        Invariant.Holds(node.Pmd.IsNone, "PTE entry stored inside a PMD entry");
        node.Ptes ??= new ulong[Geometry.PagesPerPmd];
        ref ulong slot = ref node.Ptes[index & (Geometry.PagesPerPmd - 1)];
        var old = new DaxEntry(slot);
        AssertChangedUnderLock(old, entry);
        TrackEntryLock(index, old, entry);
        if (old.IsNone)
        {
            node.PteCount++;
            Count++;
        }
        HolePages += (entry.IsHolePage ? 1 : 0) - (old.IsHolePage ? 1 : 0);
        slot = entry.Value;
    }

    /// <summary>An entry becomes another (kind, pfn) only while locked: whoever replaces it owns it.</summary>
    private static void AssertChangedUnderLock(DaxEntry old, DaxEntry replacement) =>
        Invariant.Holds(old.IsNone || old.IsLocked || old.Identity == replacement.Identity,
            $"an entry is changed only while locked: {old} became {replacement}");

    /// <summary>Removes the entry covering <paramref name="index"/>; returns what was there.</summary>
    public DaxEntry Erase(long index)
    {
        Invariant.Holds(XaLock.IsHeld, "xa_lock is held when the index changes");
        long key = index >> Geometry.PmdOrder;
        if (!nodes.TryGetValue(key, out var node))
            return DaxEntry.None;
        DaxEntry old;
        if (!node.Pmd.IsNone)
        {
            old = node.Pmd;
            node.Pmd = DaxEntry.None;
        }
        else
        {
            if (node.Ptes is null)
                return DaxEntry.None;
            ref ulong slot = ref node.Ptes[index & (Geometry.PagesPerPmd - 1)];
            old = new DaxEntry(slot);
            if (old.IsNone)
                return old;
            slot = 0;
            node.PteCount--;
            HolePages -= old.IsHolePage ? 1 : 0;
        }
        Count--;
        TrackEntryLock(old.IsPmd ? key << Geometry.PmdOrder : index, old, DaxEntry.None);
        if (node.Pmd.IsNone && node.PteCount == 0)
            nodes.Remove(key);
        return old;
    }

    /// <summary>
    /// Tells lockdep that the caller may sleep in get_unlocked_entry until the entry covering
    /// <paramref name="index"/> is unlocked: an acquisition of <see cref="EntryLockClass"/> under
    /// every lock the caller holds but xa_lock, which it drops to sleep. Recorded whether or not
    /// the entry is locked now, as lockdep records every acquisition, contended or not.
    /// Context: xa_lock held.
    /// </summary>
    public void AnnotateEntryWait(long index, string point)
    {
        if (seam.Tracing)
            seam.LockAcquire(new EntryLock(this, index), EntryLockClass, LockUse.Wait, point, dropping: XaLock);
    }

    /// <summary>
    /// Tells lockdep when the LOCKED bit at <paramref name="storeIndex"/> is set (dax_lock_entry,
    /// a locked entry added: a trylock under xa_lock, its wait being <see cref="AnnotateEntryWait"/>)
    /// or cleared (dax_unlock_entry, a locked entry deleted). A hole page replacing a locked entry
    /// keeps it locked: the lock passes on.
    /// </summary>
    private void TrackEntryLock(long storeIndex, DaxEntry old, DaxEntry now)
    {
        if (!seam.Tracing || old.IsLocked == now.IsLocked)
            return;
        var instance = new EntryLock(this, storeIndex);
        if (now.IsLocked)
            seam.LockAcquire(instance, EntryLockClass, LockUse.Try, "dax_lock_entry");
        else
            seam.LockRelease(instance);
    }

    /// <summary>One entry's lock, for lockdep: the index and the entry's store index (a PMD entry's aligned index).</summary>
    private readonly record struct EntryLock(MappingIndex Index, long StoreIndex);

    /// <summary>
    /// The first entry at an index in [<paramref name="start"/>, <paramref name="end"/>]: its
    /// index (a PMD entry's aligned index) and value, or false. Walks whichever is smaller, the
    /// 2 MiB keys of the range or the nodes present, without allocating: the write path calls
    /// this for every newly allocated extent.
    /// </summary>
    public bool FindNext(long start, long end, out long index, out DaxEntry entry)
    {
        long firstKey = start >> Geometry.PmdOrder, lastKey = end >> Geometry.PmdOrder;
        index = -1;
        entry = DaxEntry.None;
        if (lastKey - firstKey < nodes.Count)
        {
            for (long key = firstKey; key <= lastKey; key++)
            {
                if (nodes.TryGetValue(key, out var node) && FirstIn(node, key, start, end, out index, out entry))
                    return true;
            }
            return false;
        }
        foreach (var (key, node) in nodes)
        {
            if (key < firstKey || key > lastKey || (index >= 0 && key << Geometry.PmdOrder > index))
                continue;
            if (FirstIn(node, key, start, end, out long at, out var found) && (index < 0 || at < index))
                (index, entry) = (at, found);
        }
        return index >= 0;
    }

    /// <summary>The first entry of one node inside [start, end].</summary>
    private static bool FirstIn(Node node, long key, long start, long end, out long index, out DaxEntry entry)
    {
        long baseIndex = key << Geometry.PmdOrder;
        if (!node.Pmd.IsNone)
        {
            (index, entry) = (baseIndex, node.Pmd);
            return true;
        }
        if (node.Ptes is not null)
        {
            int from = (int)Math.Max(start - baseIndex, 0);
            int to = (int)Math.Min(end - baseIndex, Geometry.PagesPerPmd - 1);
            for (int i = from; i <= to; i++)
            {
                if (node.Ptes[i] == 0)
                    continue;
                (index, entry) = (baseIndex + i, new DaxEntry(node.Ptes[i]));
                return true;
            }
        }
        (index, entry) = (-1, DaxEntry.None);
        return false;
    }

    private sealed class Node
    {
        public DaxEntry Pmd;
        public ulong[]? Ptes;
        public int PteCount;
    }
}
