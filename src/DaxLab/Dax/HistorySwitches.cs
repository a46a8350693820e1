namespace DaxLab.Dax;

/// <summary>
/// Where fs/dax.c (and the mm code under it) differed, before or after the 2017 designs, in a
/// way one real concurrency bug turned on (docs/history.md). Each flag names the commit that
/// made the difference; none is set in any design of the default <c>daxlab check</c> matrix,
/// so every one of them keeps that matrix's behaviour when clear.
/// </summary>
[Flags]
public enum HistorySwitches
{
    None = 0,

    /// <summary>
    /// Before f729c8c9b24f (v4.10-rc): dax_mapping_entry_mkclean followed PTEs only, so a huge
    /// PMD stayed writable over an entry fsync had cleaned.
    /// </summary>
    MkcleanPtesOnly = 1 << 0,

    /// <summary>
    /// v4.7 to v4.13 as the kernel had it: a 4 KiB hole page is locked with the page lock, whose
    /// sleepers wait on the page's own queue, not the DAX wait table (DaxLab's deviation 3 uses
    /// the DAX key for both). With this switch a sleeper on the EMPTY entry is woken only by the
    /// wake that page_cache_tree_insert sends when the page replaces it.
    /// </summary>
    HolePagesUsePageLock = 1 << 1,

    /// <summary>
    /// Before 965d004af540 (v4.10-rc): page_cache_tree_insert woke one sleeper of the DAX entry
    /// the hole page replaced; the others slept on for an unlock that would never come on their
    /// queue. Meaningful with <see cref="HolePagesUsePageLock"/>.
    /// </summary>
    HolePageInsertWakesOne = 1 << 2,

    /// <summary>
    /// Before 01871e59af5c (v4.5): insert_pfn_pmd left a present huge PMD as it was, so a write
    /// fault on one that writeback had made read-only returned without making it writable, and
    /// the store faulted again for ever.
    /// </summary>
    PmdInsertKeepsPresent = 1 << 3,

    /// <summary>
    /// b15cd800682f (v4.20) to 23c84eb78375 (v5.3): a PMD fault's xas_find_conflict finds a
    /// locked PTE entry inside its 2 MiB and sleeps on it with the key of the aligned index,
    /// which the PTE entry's unlock, keyed by its own index, never wakes. Clear, the PMD fault
    /// falls back at once, as v4.12 did and 23c84eb78375's XA_RETRY_ENTRY does again.
    /// </summary>
    PmdWaitsOnPteEntries = 1 << 4,

    /// <summary>
    /// v4.10 and v4.11: grab_mapping_entry drops the tree lock for radix_tree_preload between
    /// finding the slot empty and inserting, and another fault may insert meanwhile; it looks
    /// again (e11f8b7b6c4e) and restarts if the slot was taken. DaxLab otherwise keeps the lock
    /// (fidelity deviation 11).
    /// </summary>
    PreloadDropsXaLock = 1 << 5,

    /// <summary>
    /// Before e11f8b7b6c4e (v4.11-rc), with <see cref="PreloadDropsXaLock"/>: no second look; the
    /// insert of a PMD entry over a slot taken meanwhile fails with -EEXIST, which the fault takes
    /// for PTE entries and falls back to 4 KiB under the PMD the other fault installed.
    /// </summary>
    PreloadSkipsRelookup = 1 << 6,

    /// <summary>
    /// 5fac7408d828 (v4.18) to d7782145e1ad: dax_layout_busy_page's pagevec loop set index to
    /// each entry's index and looked up again from index + 1, which a PMD entry stored at its
    /// aligned index still covers: the lookup found the same entry for ever.
    /// </summary>
    LayoutScanStepsOnePage = 1 << 7,

    /// <summary>
    /// b15cd800682f (v4.20) to 6be3e21d25ca (v6.15): dax_layout_busy_page_range's xas_for_each
    /// handed a locked entry to get_unlocked_entry, whose xas_find_conflict returned the next
    /// present entry, so the locked one, perhaps a pinned page's, was never examined.
    /// </summary>
    LayoutScanSkipsLockedEntries = 1 << 8,

    /// <summary>
    /// 5fac7408d828 (v4.18) to d75996dd022b (v5.3): dax_layout_busy_page unmapped the whole file
    /// with even_cows set, dropping the private copies of MAP_PRIVATE mappings, whose next
    /// access faulted in the file's bytes: a zero range anywhere lost every private write.
    /// </summary>
    LayoutBreakUnmapsCows = 1 << 9,
}
