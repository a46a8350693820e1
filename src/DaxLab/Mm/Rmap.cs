using DaxLab.Base;
using DaxLab.Index;

namespace DaxLab.Mm;

/// <summary>The reverse map: from file pages to the user mappings that map them.</summary>
public static class Rmap
{
    /// <summary>
    /// unmap_mapping_range: removes every translation of file pages [first, last] from every
    /// mapping of the file. Private copies go only when <paramref name="evenCows"/> (truncate),
    /// not for invalidation or hole punch. Context: takes i_mmap_rwsem shared, then each ptl.
    /// </summary>
    public static void UnmapMappingRange(AddressSpace mapping, long first, long last, bool evenCows)
    {
        using var rmap = mapping.IMmapRwsem.Read();
        foreach (var vma in mapping.Mappings)
        {
            long from = Math.Max(first, vma.Pgoff);
            // Stryker disable once Arithmetic : equivalent, Zap clamps the range to the mapping (docs/checker.md)
            long to = Math.Min(last, vma.PgoffOf(vma.End - 1));
            if (from > to)
                // Stryker disable once Statement : equivalent, Zap returns at once on the empty range (docs/checker.md)
                continue;
            vma.Zap(vma.AddressOf(from), vma.AddressOf(to) + Geometry.PageSize, evenCows);
        }
    }

    /// <summary>Whether any mapping of the file has a translation of a page at or past <paramref name="first"/>.</summary>
    public static bool MapsPagesFrom(AddressSpace mapping, long first) => AnyMapping(mapping, vma => vma.MapsPagesFrom(first));

    /// <summary>page_mapped for the hole page at <paramref name="index"/>: whether any mapping maps it.</summary>
    public static bool IsHolePageMapped(AddressSpace mapping, long index) => AnyMapping(mapping, vma => vma.MapsHolePage(index));

    /// <summary>Walks the file's mappings under i_mmap_rwsem shared until one passes <paramref name="test"/>.</summary>
    private static bool AnyMapping(AddressSpace mapping, Func<VmArea, bool> test)
    {
        using var rmap = mapping.IMmapRwsem.Read();
        foreach (var vma in mapping.Mappings)
        {
            if (test(vma))
                // Stryker disable once Boolean : equivalent on v4.12, whose invalidation unmaps the whole range after it (docs/checker.md)
                return true;
        }
        return false;
    }

    /// <summary>
    /// dax_mapping_entry_mkclean's walk (v4.12): in every shared mapping, write-protects the
    /// translations of pages <paramref name="index"/> to <paramref name="index"/> +
    /// <paramref name="pages"/> - 1 that map <paramref name="pfn"/> onwards. v4.12 passes one
    /// page, even for a PMD entry; 06083a0921fd's walk passes the whole entry. Before
    /// f729c8c9b24f (<paramref name="followHugePmd"/> false) a huge PMD was not looked at.
    /// </summary>
    public static void WriteProtectEntry(AddressSpace mapping, long index, long pfn, long pages, bool followHugePmd)
    {
        using var rmap = mapping.IMmapRwsem.Read();
        foreach (var vma in mapping.Mappings)
        {
            if (vma.Shared)
                vma.WriteProtect(index, pfn, pages, followHugePmd);
        }
    }
}
