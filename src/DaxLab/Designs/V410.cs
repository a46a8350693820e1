using DaxLab.Dax;

namespace DaxLab.Designs;

/// <summary>
/// The bug: faults ask ->iomap_begin before the entry lock; the write path invalidates only
/// when mapping->nrpages (its 4 KiB hole pages) is non-zero, and then unmaps only hole pages
/// while DAX entries are dropped but stay mapped.
/// </summary>
public sealed class V410 : Design
{
    public override string Name => "v4.10";

    public override string Summary => "the bug: ->iomap_begin outside the entry lock; invalidate only if nrpages, never unmap DAX entries";

    public override string Source => "commit 9f141d6ef625 (v4.10), fs/dax.c as of v4.11";

    public override DaxPolicy Dax { get; } = DaxPolicy.V412 with
    {
        FaultOrder = FaultOrder.IomapFirst,
        RechecksPageTableLevel = false,
        NewBlocks = NewBlockInvalidation.WhenPageCachePages,
    };
}
