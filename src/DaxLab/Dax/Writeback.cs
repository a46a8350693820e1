using DaxLab.Base;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// dax_writeback_mapping_range: makes the data of every DIRTY entry in pages [first, last]
    /// durable. Entries are tagged TOWRITE first so stores that re-dirty an entry during the
    /// walk are left for the next fsync instead of looping forever.
    /// </summary>
    public void WritebackMappingRange(AddressSpace mapping, long first, long last)
    {
        Seam.Point("dax_writeback_mapping_range");
        foreach (long index in TagPagesForWriteback(mapping, first, last))
            WritebackOne(mapping, index);
    }

    /// <summary>tag_pages_for_writeback: DIRTY → DIRTY | TOWRITE; returns the tagged indices.</summary>
    private static List<long> TagPagesForWriteback(AddressSpace mapping, long first, long last)
    {
        var tagged = new List<long>();
        using var xa = mapping.XaLock.Hold();
        long next = first;
        while (mapping.Entries.FindNext(next, last, out long index, out var entry))
        {
            if (entry.IsDirty)
            {
                mapping.Entries.Store(index, entry.With(DaxEntry.TagToWrite));
                tagged.Add(index);
            }
            next = index + entry.PageCount;
        }
        return tagged;
    }

    /// <summary>
    /// dax_writeback_one: under the entry lock, write-protect every mapping of the entry (so the
    /// next store faults and re-dirties it), flush its device range, then clear DIRTY.
    /// </summary>
    private void WritebackOne(AddressSpace mapping, long index)
    {
        Seam.Point("dax_writeback_one");
        DaxEntry entry;
        using (mapping.XaLock.Hold())
        {
            entry = GetUnlockedEntry(mapping, index);
            if (!entry.IsMapped || !entry.IsToWrite)
            {
                PutUnlockedEntry(mapping, index, entry);
                return;
            }
            entry = LockEntry(mapping, index, entry.Without(DaxEntry.TagToWrite));
        }
        Rmap.WriteProtectEntry(mapping, StoreIndexOf(index, entry), entry.Pfn, Policy.WriteProtectsEveryPage ? entry.PageCount : 1,
            followHugePmd: !Policy.History.HasFlag(HistorySwitches.MkcleanPtesOnly));
        Device.Flush(entry.Pfn << Geometry.PageShift, entry.PageCount << Geometry.PageShift);
        using (mapping.XaLock.Hold())
        {
            // Another fsync may have tagged the entry TOWRITE meanwhile: keep that tag.
            entry = mapping.Entries.Load(index).Without(DaxEntry.TagDirty);
            mapping.Entries.Store(index, entry);
        }
        Seam.Note($"dax_writeback_one - cleans pfn {entry.Pfn}");
        UnlockEntry(mapping, index, entry);
    }
}
