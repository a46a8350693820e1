using DaxLab.Dax;

namespace DaxLab.Designs;

/// <summary>
/// The variants of docs/history.md's corpus, for <c>daxlab history</c>, <c>daxlab designs</c>
/// and <c>--design</c>. A name "base-sha" is the base design without the fix sha (the bug);
/// "base+sha" is the base design with it. Each source names the commit that introduced the
/// bug and the one that fixed it.
/// </summary>
public static class HistoricalDesigns
{
    private static readonly DaxPolicy V412 = DaxPolicy.V412;

    private static DaxPolicy With(HistorySwitches switches) => V412 with { History = switches };

    public static HistoricalDesign V412WakeAllOnDelete { get; } = new(
        "v4.12+237388320def",
        "v4.12, but deleting an entry wakes every waiter (WAKE_ALL), as since v5.13",
        "Vivek Goyal, 237388320def \"dax: Wake up all waiters after invalidating dax entry\" (v5.13); the bug from ac401cc78242 (v4.7)",
        V412 with { InvalidateWakes = WakeMode.All });

    public static HistoricalDesign V412MkcleanWholeEntry { get; } = new(
        "v4.12+06083a0921fd",
        "v4.12, but fsync write-protects every page of an entry in every mapping (pfn_mkclean_range)",
        "Muchun Song, 06083a0921fd \"dax: fix missing writeprotect the pte entry\" (v5.19); the bug from 4b4bb46d00b3 (v4.10)",
        V412 with { WriteProtectsEveryPage = true });

    public static HistoricalDesign V412SigBusOnEmptyFile { get; } = new(
        "v4.12+957ac8c421ad",
        "v4.12, but a PMD fault on an empty file gets SIGBUS (DIV_ROUND_UP(i_size) bound)",
        "Jeff Moyer, 957ac8c421ad \"dax: fix PMD faults on zero-length files\" (v4.15); the bug from the iomap PMD fault path (v4.10)",
        V412 with { PmdFaultSigBusOnEmptyFile = true });

    public static HistoricalDesign V412WithoutRecheck { get; } = new(
        "v4.12-pmd-pte-recheck",
        "v4.12 without the May 2017 page-table re-check under the entry lock",
        "without Ross Zwisler, \"dax: Fix race between colliding PMD & PTE entries\" and its fix-up (May 2017, v4.12; upstream ids not found); the bug from the v4.10 PMD fault path",
        V412 with { RechecksPageTableLevel = false });

    public static HistoricalDesign V412SharedOverwrites { get; } = new(
        "v4.12-17879e8f865f",
        "v4.12, but an overwrite inside i_size takes i_rwsem shared, as direct I/O does",
        "without Christoph Hellwig, 17879e8f865f \"xfs: fix locking for DAX writes\" (v4.9; ext4: ff5462e39ca1, v4.11); the bug from DAX support (v4.0)",
        V412,
        inode => new DirectIoStyleLocks(inode));

    public static HistoricalDesign V412MkcleanPtesOnly { get; } = new(
        "v4.12-f729c8c9b24f",
        "v4.12, but fsync's dax_mapping_entry_mkclean follows PTEs only, leaving a huge PMD writable",
        "without Ross Zwisler, f729c8c9b24f \"dax: wrprotect pmd_t in dax_mapping_entry_mkclean\" (v4.10-rc); the bug from 4b4bb46d00b3 (v4.10 merge window)",
        With(HistorySwitches.MkcleanPtesOnly));

    public static HistoricalDesign V412PageLock { get; } = new(
        "v4.12+page-lock",
        "v4.12 with hole pages locked by the page lock's own queue, as the kernel had them (wake all on insert)",
        "v4.10-v4.13 mm/filemap.c after Ross Zwisler, 965d004af540 \"dax: fix deadlock with DAX 4k holes\" (v4.10-rc)",
        With(HistorySwitches.HolePagesUsePageLock));

    public static HistoricalDesign V412PageLockWakeOne { get; } = new(
        "v4.12-965d004af540",
        "v4.12 with hole pages locked by the page lock, and a hole page's insertion waking one sleeper",
        "without Ross Zwisler, 965d004af540 \"dax: fix deadlock with DAX 4k holes\" (v4.10-rc); the bug from ac401cc78242 (v4.7)",
        With(HistorySwitches.HolePagesUsePageLock | HistorySwitches.HolePageInsertWakesOne));

    public static HistoricalDesign V412PmdInsertKeepsPresent { get; } = new(
        "v4.12-01871e59af5c",
        "v4.12, but insert_pfn_pmd leaves a present huge PMD as it was, even read-only on a write",
        "without Ross Zwisler, 01871e59af5c \"mm, dax: fix livelock, allow dax pmd mappings to become writeable\" (v4.5); the bug from the first DAX PMD faults (v4.2)",
        With(HistorySwitches.PmdInsertKeepsPresent));

    public static HistoricalDesign V412IomapBeforeEntryLock { get; } = new(
        "v4.12-ac401cc78242",
        "v4.12, but a fault maps blocks (get_block, ->iomap_begin) before it takes the entry lock, as before v4.7",
        "without Jan Kara, ac401cc78242 \"dax: New fault locking\" (v4.7), which put get_block under the entry lock; the bug from the DAX fault path (v4.0). DaxLab keeps the entry lock around the insert, where v4.6 had none",
        V412 with { FaultOrder = FaultOrder.IomapFirst });

    public static HistoricalDesign V412PmdWaitsOnPte { get; } = new(
        "v4.12+b15cd800682f",
        "v4.12, but a PMD fault that finds a locked PTE entry in its 2 MiB sleeps on the aligned index's key (the XArray conversion)",
        "Matthew Wilcox, b15cd800682f \"dax: Convert page fault handlers to XArray\" (v4.20); fixed by 23c84eb78375 \"dax: Fix missed wakeup with PMD faults\" (v5.3), whose XA_RETRY_ENTRY falls back as v4.12 did",
        With(HistorySwitches.PmdWaitsOnPteEntries));

    public static HistoricalDesign V410PreloadWithoutRelookup { get; } = new(
        "v4.12-e11f8b7b6c4e",
        "v4.12 without page-table re-checks, dropping the tree lock for radix_tree_preload and not looking again (v4.10)",
        "without Ross Zwisler, e11f8b7b6c4e \"dax: fix radix tree insertion race\" (v4.11-rc); the bug from the PMD entries of 642261ac995e (v4.10)",
        V412 with { RechecksPageTableLevel = false, History = HistorySwitches.PreloadDropsXaLock | HistorySwitches.PreloadSkipsRelookup });

    public static HistoricalDesign V411Preload { get; } = new(
        "v4.12-pmd-pte-recheck+e11f8b7b6c4e",
        "v4.12 without page-table re-checks, dropping the tree lock for radix_tree_preload and looking again (v4.11)",
        "Ross Zwisler, e11f8b7b6c4e \"dax: fix radix tree insertion race\" (v4.11-rc), before the May 2017 re-checks",
        V412 with { RechecksPageTableLevel = false, History = HistorySwitches.PreloadDropsXaLock });

    /// <summary>The v6 design's policy: the base of the variants of bugs from v4.18 on.</summary>
    private static readonly DaxPolicy Today = new V6().Dax;

    public static HistoricalDesign V6WithoutLayoutBreak { get; } = new(
        "v6-5fac7408d828",
        "v6, but truncate, hole punch and zero range free blocks without breaking layouts (no dax_layout_busy_page)",
        "without Dan Williams, 5fac7408d828 \"mm, fs, dax: handle layout changes to pinned dax mappings\" (v4.18); the bug from 3565fce3a659 \"mm, x86: get_user_pages() for dax mappings\" (v4.5)",
        Today with { BreaksLayouts = false });

    public static HistoricalDesign V6LayoutScanStepsOnePage { get; } = new(
        "v6-d7782145e1ad",
        "v6, but dax_layout_busy_page looks again from an entry's index + 1, which a PMD entry still covers",
        "without Dan Williams, d7782145e1ad \"filesystem-dax: Fix dax_layout_busy_page() livelock\" (v4.18-rc or v4.19); the bug from 5fac7408d828 (v4.18)",
        Today with { History = HistorySwitches.LayoutScanStepsOnePage });

    public static HistoricalDesign V6LayoutScanSkipsLocked { get; } = new(
        "v6-6be3e21d25ca",
        "v6, but dax_layout_busy_page_range moves past an entry it finds locked instead of examining it once unlocked",
        "without Alistair Popple, 6be3e21d25ca \"fs/dax: don't skip locked entries when scanning entries\" (v6.15); the bug from the XArray conversion, b15cd800682f (v4.20)",
        Today with { History = HistorySwitches.LayoutScanSkipsLockedEntries });

    public static HistoricalDesign V6LayoutBreakUnmapsCows { get; } = new(
        "v6-d75996dd022b",
        "v6, but breaking layouts unmaps private copies too (unmap_mapping_range with even_cows)",
        "without Vivek Goyal, d75996dd022b \"dax: dax_layout_busy_page() should not unmap cow pages\" (v5.3); the bug from 5fac7408d828 (v4.18)",
        Today with { History = HistorySwitches.LayoutBreakUnmapsCows });

    /// <summary>Every variant, in docs/history.md's order of their bugs.</summary>
    public static IReadOnlyList<HistoricalDesign> All { get; } =
    [
        V412IomapBeforeEntryLock,
        V412PageLockWakeOne,
        V412PageLock,
        V412WakeAllOnDelete,
        V412MkcleanPtesOnly,
        V412MkcleanWholeEntry,
        V412WithoutRecheck,
        V412SigBusOnEmptyFile,
        V412SharedOverwrites,
        V412PmdInsertKeepsPresent,
        V412PmdWaitsOnPte,
        V410PreloadWithoutRelookup,
        V411Preload,
        V6WithoutLayoutBreak,
        V6LayoutBreakUnmapsCows,
        V6LayoutScanStepsOnePage,
        V6LayoutScanSkipsLocked,
    ];
}
