using DaxLab.Dax;
using DaxLab.Index;

namespace DaxLab.Designs;

/// <summary>
/// The bug: faults ask ->iomap_begin before the entry lock; the write path invalidates only
/// when mapping->nrpages is non-zero, and then unmaps only 4 KiB zero pages (page-cache pages
/// in v4.10) while DAX entries are dropped but stay mapped.
/// </summary>
public sealed class V410 : Design
{
    public override string Name => "v4.10";

    public override string Summary => "the bug: ->iomap_begin outside the entry lock; invalidate only if nrpages, never unmap DAX entries";

    public override string Source => "commit 9f141d6ef625 (v4.10), fs/dax.c as of v4.11";

    public override bool IomapBeforeEntryLock => true;

    public override bool RechecksPageTableLevel => false;

    public override void InvalidateNewBlocks(DaxCore core, AddressSpace mapping, long first, long last)
    {
        // The nrpages guard: a 2 MiB zero page is a DAX entry, not a page, so a write into a
        // hole read through a PMD skips the invalidation altogether (generic/428).
        if (core.ZeroPageCacheCount(mapping) == 0)
        {
            core.Seam.Note("invalidate_inode_pages2_range - nrpages is 0, skipped");
            return;
        }
        core.DropCleanEntries(mapping, first, last, unmapAsDropped: entry => entry.IsZero && !entry.IsPmd);
    }
}
