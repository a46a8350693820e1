using DaxLab.Checker;
using DaxLab.Designs;

namespace DaxLab.Scenarios.History;

/// <summary>How a bug's fixed design is shown to pass: the strongest search that finishes quickly.</summary>
internal enum FixSearch
{
    /// <summary>Every interleaving without a preemption bound (DPOR): "proven".</summary>
    Proven,

    /// <summary>Every interleaving with at most two preemptions, without reduction: "exhaustive within bound 2".</summary>
    Bound2,
}

/// <summary>
/// A real, fixed DAX concurrency bug (docs/history.md, entry <see cref="Number"/>) that DaxLab
/// expresses: its variant design must fail <see cref="ScenarioName"/> and its fixed design pass.
/// </summary>
/// <param name="Number">The entry's number in docs/history.md.</param>
/// <param name="Commit">The fixing commit, as the table shows it.</param>
/// <param name="Title">The fixing commit's subject.</param>
/// <param name="Introduced">The commit or code that introduced it, with the release.</param>
/// <param name="YearsLatent">From the first release with the bug to the first with the fix.</param>
/// <param name="Variant">The design with the bug: the design it lived in, with the fix taken out (or the bug put in).</param>
/// <param name="Fixed">The same design with the fix.</param>
/// <param name="ScenarioName">The history scenario (src/DaxLab.Scenarios/History) on which the variant fails.</param>
/// <param name="FixSearch">How the fixed design's pass is established.</param>
/// <param name="Story">Three lines: the race, its symptom, the fix.</param>
/// <param name="MaxSteps">A run longer than this is a livelock (the checker's step-limit oracle); null keeps the checker's limit.</param>
/// <param name="LockDepOnVariant">
/// Whether the variant's search validates the lock order. Off for a deadlock that lockdep
/// would name first from a run that does not deadlock: the table then shows the deadlock itself,
/// with its interleaving. The fix's search always validates it.
/// </param>
internal sealed record HistoricalBug(
    int Number, string Commit, string Title, string Introduced, double YearsLatent,
    Design Variant, Design Fixed, string ScenarioName, FixSearch FixSearch, string Story, int? MaxSteps = null,
    bool LockDepOnVariant = true)
{
    public Scenario Scenario => BuiltInScenarios.Find(ScenarioName);
}

/// <summary>A bug of the corpus that DaxLab cannot express yet, and what it needs.</summary>
internal sealed record PendingBug(int Number, string Commit, string Title, string Missing);

/// <summary>docs/history.md's corpus as `daxlab history` runs it.</summary>
internal static class HistoryCorpus
{
    /// <summary>Today's fs/dax.c, the fixed side of every bug from v4.18 on.</summary>
    private static readonly Design V6 = DesignCatalog.Find("v6");

    public static IReadOnlyList<HistoricalBug> Bugs { get; } =
    [
        new(1, "ac401cc78242", "dax: New fault locking", "the DAX fault path (v4.0)", 1.3,
            HistoricalDesigns.V412IomapBeforeEntryLock, DesignCatalog.Default, "read-fault-vs-write-fault", FixSearch.Proven,
            "A read fault and a write fault on one hole both ask get_block and see a hole.\n"
            + "The write fault allocates and maps; the read fault then puts a hole page over the new blocks.\n"
            + "Fix: lock the radix-tree entry before get_block, so the second fault sees the first's blocks."),
        new(2, "965d004af540", "dax: fix deadlock with DAX 4k holes", "ac401cc78242 (v4.7)", 0.5,
            HistoricalDesigns.V412PageLockWakeOne, HistoricalDesigns.V412PageLock, "three-hole-read-faults", FixSearch.Bound2,
            "Three read faults on one hole: the first locks the EMPTY entry, two sleep on it.\n"
            + "page_cache_tree_insert wakes one; it waits on the hole page's lock, and the third sleeps for ever.\n"
            + "Fix: wake every sleeper of the entry the hole page replaces."),
        new(3, "23c84eb78375", "dax: Fix missed wakeup with PMD faults", "b15cd800682f (v4.20)", 0.7,
            HistoricalDesigns.V412PmdWaitsOnPte, DesignCatalog.Default, "pmd-fault-vs-locked-pte-entry", FixSearch.Proven,
            "A PMD fault finds a locked PTE entry inside its 2 MiB and sleeps with the aligned index's key.\n"
            + "The PTE fault unlocks and wakes its own index's key: the PMD fault sleeps for ever under mmap_sem.\n"
            + "Fix: a PMD request that meets a smaller entry does not wait; it falls back (XA_RETRY_ENTRY)."),
        new(4, "237388320def", "dax: Wake up all waiters after invalidating dax entry", "ac401cc78242 (v4.7)", 5.0,
            DesignCatalog.Default, HistoricalDesigns.V412WakeAllOnDelete, "truncate-vs-writebacks", FixSearch.Bound2,
            "An fsync holds an entry; a truncate and two more fsyncs wait. The unlock wakes the truncate,\n"
            + "which deletes the entry and wakes one fsync; it finds no entry and wakes nobody: the last sleeps for ever.\n"
            + "Fix: a deleted entry wakes all its waiters (WAKE_ALL)."),
        new(5, "f729c8c9b24f", "dax: wrprotect pmd_t in dax_mapping_entry_mkclean", "4b4bb46d00b3 (v4.10 merge window)", 0.1,
            HistoricalDesigns.V412MkcleanPtesOnly, DesignCatalog.Default, "fsync-vs-pmd-store", FixSearch.Proven,
            "A store through a huge PMD dirtied the entry; fsync cleans it but follows PTEs only.\n"
            + "The PMD stays writable over a clean entry: later stores take no fault and escape the next fsync.\n"
            + "Fix: follow_pte_pmd, and write-protect a huge PMD too."),
        new(6, "06083a0921fd", "dax: fix missing writeprotect the pte entry", "4b4bb46d00b3 (v4.10)", 5.5,
            DesignCatalog.Default, HistoricalDesigns.V412MkcleanWholeEntry, "fsync-pmd-entry-via-ptes", FixSearch.Proven,
            "Process A maps a PMD entry whole; process B maps 4 KiB of it with a PTE and stores.\n"
            + "fsync write-protects only the translation of the entry's first page: B's PTE stays writable over a clean entry.\n"
            + "Fix: pfn_mkclean_range over every page of the entry in every mapping."),
        new(7, "e11f8b7b6c4e", "dax: fix radix tree insertion race", "642261ac995e (v4.10)", 0.2,
            HistoricalDesigns.V410PreloadWithoutRelookup, HistoricalDesigns.V411Preload, "two-pmd-faults-preload", FixSearch.Proven,
            "A PMD fault finds the slot empty and drops the tree lock for radix_tree_preload.\n"
            + "Another PMD fault inserts its entry and maps the PMD; the insert fails -EEXIST and the first falls back under it.\n"
            + "Fix: look again after the preload, and restart if the slot was taken."),
        new(8, "May 2017 (id not found)", "dax: Fix race between colliding PMD & PTE entries", "v4.10 PMD fault path", 0.4,
            HistoricalDesigns.V412WithoutRecheck, DesignCatalog.Default, "pmd-vs-pte-fault-private", FixSearch.Proven,
            "A COW write fault falls back to PTEs while a read fault on the same 2 MiB takes the PMD path.\n"
            + "The PTE fault installs a page table; the PMD fault then maps a huge page over it, leaking the table.\n"
            + "Fix: under the entry lock, re-check the page-table level and retry."),
        new(9, "957ac8c421ad", "dax: fix PMD faults on zero-length files", "iomap PMD fault path (v4.10)", 0.9,
            DesignCatalog.Default, HistoricalDesigns.V412SigBusOnEmptyFile, "pmd-fault-on-empty-file", FixSearch.Proven,
            "A PMD fault after truncate to 0 computes max_pgoff as (0 - 1) >> PAGE_SHIFT: all ones.\n"
            + "Neither the SIGBUS nor the fallback check fires, and the fault maps 2 MiB wholly past EOF.\n"
            + "Fix: max_pgoff = DIV_ROUND_UP(i_size, PAGE_SIZE)."),
        new(11, "5fac7408d828", "mm, fs, dax: handle layout changes to pinned dax mappings", "3565fce3a659, get_user_pages() for DAX (v4.5)", 2.4,
            HistoricalDesigns.V6WithoutLayoutBreak, V6, "punch-vs-pinned-page", FixSearch.Proven,
            "get_user_pages pins a DAX page for DMA: the page is the file's block, and the pin holds no file lock.\n"
            + "A hole punch unmaps the page, drops its entry and frees the block while the DMA may still write to it.\n"
            + "Fix: dax_layout_busy_page, and the file system waits with its locks dropped until no page is pinned."),
        new(12, "d75996dd022b", "dax: dax_layout_busy_page() should not unmap cow pages", "5fac7408d828 (v4.18)", 1.1,
            HistoricalDesigns.V6LayoutBreakUnmapsCows, V6, "zero-range-vs-private-copy", FixSearch.Proven,
            "A store through a MAP_PRIVATE mapping made a private copy of page 0; a zero range of page 1 breaks layouts.\n"
            + "dax_layout_busy_page unmaps the whole file with even_cows: the copy is dropped and page 0 shows the file again.\n"
            + "Fix: unmap without even_cows; GUP only needs the shared translations gone."),
        new(13, "6be3e21d25ca", "fs/dax: don't skip locked entries when scanning entries", "b15cd800682f, the XArray conversion (v4.20)", 6.4,
            HistoricalDesigns.V6LayoutScanSkipsLocked, V6, "punch-vs-pinned-page-in-writeback", FixSearch.Proven,
            "fsync holds a pinned page's entry locked to write it back when the punch's layout scan reaches it.\n"
            + "get_unlocked_entry hands back the next present entry: the pinned page is never examined, and its block is freed.\n"
            + "Fix: wait for this entry (wait_entry_unlocked_exclusive) and examine it."),
        new(15, "fb26a1cbed8c", "ext4: Return back to starting transaction in ext4_dax_huge_fault()", "13e451fdc1af's order over 1db175428ee3's ext4 (never released)", 0.0,
            DesignCatalog.Find("ext4-v4.11-entry-first"), DesignCatalog.Find("ext4-v4.12"), "ext4-pwrite-vs-write-fault-commit", FixSearch.Proven,
            "A write fault locks the entry, then ext4_iomap_begin starts a handle; a commit has locked the transaction.\n"
            + "write(2) holds its handle and waits for that entry; the commit waits for write(2)'s handle: all three asleep.\n"
            + "Fix: ext4_dax_huge_fault starts the handle before the entry lock; ext4_iomap_begin's start nests in it.",
            LockDepOnVariant: false),
        new(16, "17879e8f865f", "xfs: fix locking for DAX writes", "DAX support (v4.0), direct-I/O locking", 1.7,
            HistoricalDesigns.V412SharedOverwrites, DesignCatalog.Default, "pwrite-vs-overwrite", FixSearch.Proven,
            "DAX writes inherited direct I/O's shared i_rwsem for aligned overwrites inside i_size.\n"
            + "Two overlapping write(2)s copy extent by extent in turn: the file ends with parts of each.\n"
            + "Fix: DAX writes take i_rwsem exclusive (ext4 followed in ff5462e39ca1)."),
        new(19, "01871e59af5c", "mm, dax: fix livelock, allow dax pmd mappings to become writeable", "first DAX PMD faults (v4.2)", 0.4,
            HistoricalDesigns.V412PmdInsertKeepsPresent, DesignCatalog.Default, "fsync-vs-pmd-store", FixSearch.Proven,
            "fsync write-protects a huge PMD; the next store takes a write fault on it.\n"
            + "insert_pfn_pmd sees a PMD present and leaves it read-only: the store faults again, for ever.\n"
            + "Fix: on a write, always make the PMD dirty and writable.",
            MaxSteps: 2_000),
        new(20, "d7782145e1ad", "filesystem-dax: Fix dax_layout_busy_page() livelock", "5fac7408d828 (v4.18)", 0.2,
            HistoricalDesigns.V6LayoutScanStepsOnePage, V6, "punch-vs-pinned-pmd-page", FixSearch.Proven,
            "dax_layout_busy_page scans the entries from index + 1 after each one it examined.\n"
            + "A PMD entry is stored at its aligned index and covers the next 511: the lookup returns it again, for ever.\n"
            + "Fix: after an entry, go on past all the pages it covers (1 << its order).",
            MaxSteps: 2_000),
    ];

    public static IReadOnlyList<PendingBug> Pending { get; } =
    [
        new(10, "12735f881952", "ext4: pre-zero allocated blocks for DAX IO", "unwritten extents and their conversion in the ext4 flavour, which has ext4's jbd2 handles but DaxLab's block map"),
        new(14, "c93db7bb6ef3", "dax: Check page->mapping isn't NULL", "a memory-failure path that starts from a page (dax_lock_page reading page->mapping without the inode) and inode eviction clearing page->mapping"),
        new(17, "1a14e3779dd5", "dax: fix ENOMEM handling in grab_mapping_entry()", "an allocation failure the checker can choose in grab_mapping_entry (xas_nomem), which DaxLab's index never has"),
        new(18, "0cb80b484755", "dax: Fix sleep in atomic contex in grab_mapping_entry()", "not a race: a lock-context rule (might_sleep under a spin lock)"),
    ];
}
