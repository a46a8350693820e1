namespace DaxLab.Dax;

/// <summary>
/// What the DAX core asks of a locking design: the places where fs/dax.c differed between the
/// kernel versions and the 2017 proposals. <see cref="V412"/> is the fix that landed; a design
/// states its difference with <c>DaxPolicy.V412 with { ... }</c>.
/// </summary>
public sealed record DaxPolicy
{
    /// <summary>The fix that landed (v4.12, Jan Kara's series with Ross Zwisler's 5/4 and the May 2017 re-checks).</summary>
    public static DaxPolicy V412 { get; } = new();

    /// <summary>Whether a fault locks its entry before or after it asks ->iomap_begin.</summary>
    public FaultOrder FaultOrder { get; init; } = FaultOrder.EntryLockFirst;

    /// <summary>
    /// Whether faults re-check the page-table level after taking the entry lock and retry (the
    /// May 2017 fix of colliding PMD and PTE entries). Without it a PTE and a PMD fault on one
    /// 2 MiB range can each map at their own level.
    /// </summary>
    public bool RechecksPageTableLevel { get; init; } = true;

    /// <summary>What a read fault on a 4 KiB hole puts in the index and maps.</summary>
    public HoleRepresentation Holes { get; init; } = HoleRepresentation.PageCachePage;

    /// <summary>What a store to a read-only device page of a shared mapping (one that writeback cleaned) runs.</summary>
    public PfnMkwrite PfnMkwrite { get; init; } = PfnMkwrite.TagDirty;

    /// <summary>
    /// Whether a PMD fault on an empty file gets SIGBUS. Until 957ac8c421ad ("dax: fix PMD faults
    /// on zero-length files", v4.15, in 4.14.y stable) it went on and mapped past EOF.
    /// </summary>
    public bool PmdFaultSigBusOnEmptyFile { get; init; }

    /// <summary>What the write path does to the entries over blocks it has just allocated.</summary>
    public NewBlockInvalidation NewBlocks { get; init; } = NewBlockInvalidation.DropThenUnmapRange;

    /// <summary>
    /// Whether writeback write-protects every page of an entry in every mapping
    /// (pfn_mkclean_range, 06083a0921fd, v5.19) or, as v4.12's dax_mapping_entry_mkclean did,
    /// only the translation of the entry's first page in each mapping that contains it.
    /// </summary>
    public bool WriteProtectsEveryPage { get; init; }

    /// <summary>How a lookup for a PMD entry treats the PTE entries of its 2 MiB.</summary>
    public OrderConflict OrderConflicts { get; init; } = OrderConflict.WaitAtIndex;

    /// <summary>
    /// Whom __dax_invalidate_entry wakes once the entry is gone: one waiter through v4.14
    /// (c6dcf52c23d2), every waiter from 237388320def (v5.13).
    /// </summary>
    public WakeMode InvalidateWakes { get; init; } = WakeMode.Next;

    /// <summary>
    /// Whether truncate, hole punch and zero range break layouts first (5fac7408d828, v4.18:
    /// xfs_break_layouts → dax_layout_busy_page, then a wait until no page of the file is
    /// pinned); without it they free blocks a DMA still writes to.
    /// </summary>
    public bool BreaksLayouts { get; init; }

    /// <summary>
    /// The switches of docs/history.md's variants: how one real bug differed from the design it
    /// lived in. The defaults are every 2017 design's behaviour.
    /// </summary>
    public HistorySwitches History { get; init; } = HistorySwitches.None;

    // Stryker disable all : text for traces and messages, which no engine behaviour reads (docs/checker.md)
    public override string ToString() =>
        $"{FaultOrder}, {(RechecksPageTableLevel ? "re-checks" : "no re-check")}, {Holes}, {PfnMkwrite}, {NewBlocks}{(PmdFaultSigBusOnEmptyFile ? ", SIGBUS on empty files" : "")}"
        + (OrderConflicts == OrderConflict.RetryEntry ? ", XA_RETRY_ENTRY conflicts" : "")
        + (InvalidateWakes == WakeMode.All ? ", invalidation wakes all" : "")
        + (WriteProtectsEveryPage ? ", cleans every page of an entry" : "")
        + (BreaksLayouts ? ", breaks layouts" : "")
        + (History == HistorySwitches.None ? "" : $", {History}");
    // Stryker restore all
}

/// <summary>dax_wake_mode: whom a wake of an entry's sleepers reaches.</summary>
public enum WakeMode
{
    /// <summary>WAKE_NEXT: the non-exclusive sleepers and one exclusive one (the entry is unlocked and still there).</summary>
    Next,

    /// <summary>WAKE_ALL: every sleeper (the entry is gone or changed size, so no one will pass the wake on).</summary>
    All,
}

/// <summary>A PMD-sized lookup that meets PTE entries in its range.</summary>
public enum OrderConflict
{
    /// <summary>
    /// The radix tree (to v4.19): get_unlocked_mapping_entry loads the slot at the aligned index
    /// and waits for a locked PTE entry there before the PMD request falls back.
    /// </summary>
    WaitAtIndex,

    /// <summary>
    /// The XArray (v4.20 on, with 23c84eb78375's order test): xas_find_conflict finds any PTE
    /// entry in the 2 MiB and get_next_unlocked_entry returns XA_RETRY_ENTRY at once, locked or
    /// not; grab_mapping_entry falls back.
    /// </summary>
    RetryEntry,
}

/// <summary>The order of the two things a DAX fault needs before it maps.</summary>
public enum FaultOrder
{
    /// <summary>grab_mapping_entry, then ->iomap_begin (v4.12): a write(2) that allocates meanwhile waits for the entry.</summary>
    EntryLockFirst,

    /// <summary>
    /// ->iomap_begin, then grab_mapping_entry (v4.10, 9f141d6ef625, to keep ext4's journal
    /// handle outside the entry lock): what the extent map said can be stale once the entry is held.
    /// </summary>
    IomapFirst,
}

/// <summary>The write path found newly allocated blocks (IOMAP_F_NEW): what happens to their entries.</summary>
public enum NewBlockInvalidation
{
    /// <summary>
    /// v4.10: invalidate_inode_pages2_range only when mapping->nrpages is non-zero; DAX entries
    /// are dropped but their mappings stay.
    /// </summary>
    WhenPageCachePages,

    /// <summary>Ross Zwisler's first patch: always invalidate, and unmap each entry as it is dropped.</summary>
    UnmapEachDropped,

    /// <summary>v4.12: always drop the clean entries (waiting for locked ones), then one unmap_mapping_range over the range.</summary>
    DropThenUnmapRange,
}

/// <summary>How a 4 KiB hole read through a mapping is represented.</summary>
public enum HoleRepresentation
{
    /// <summary>
    /// v4.10 to v4.13: dax_load_hole adds a zeroed page-cache page (find_or_create_page), which
    /// replaces the entry in the slot, is counted in nrpages, is locked with the page lock, and
    /// is invalidated and truncated as a page.
    /// </summary>
    PageCachePage,

    /// <summary>v4.14 on (Ross Zwisler, "dax: use common 4k zero page for dax mmap reads"): a ZERO entry and the shared zero page.</summary>
    ZeroPageEntry,
}

/// <summary>->pfn_mkwrite: the write fault on a device page mapped read-only.</summary>
public enum PfnMkwrite
{
    /// <summary>
    /// dax_pfn_mkwrite (to v4.13): under the entry lock, tag the entry DIRTY and make the PTE
    /// writable if it is still the one that faulted; no ->iomap_begin. No entry there (it was
    /// invalidated, or a hole page replaced it): retry the access.
    /// </summary>
    TagDirty,

    /// <summary>v4.14 on: the whole PTE fault, whose insert makes the present PTE writable (vm_insert_mixed_mkwrite).</summary>
    FullFault,
}
