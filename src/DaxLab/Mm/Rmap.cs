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
            long vmaLast = vma.Pgoff + (vma.Length >> Geometry.PageShift) - 1;
            long from = Math.Max(first, vma.Pgoff), to = Math.Min(last, vmaLast);
            if (from > to)
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
                return true;
        }
        return false;
    }

    /// <summary>
    /// dax_mapping_entry_mkclean's walk (v4.12): in every shared mapping that contains page
    /// <paramref name="index"/>, write-protects the translation of that page if it maps
    /// <paramref name="pfn"/>. Only the entry's first page is looked at, even for a PMD entry.
    /// </summary>
    public static void WriteProtectEntry(AddressSpace mapping, long index, long pfn)
    {
        using var rmap = mapping.IMmapRwsem.Read();
        foreach (var vma in mapping.Mappings)
        {
            if (vma.Shared)
                vma.WriteProtect(index, pfn);
        }
    }

    /// <summary>
    /// dax_writeback_one's walk since 06083a0921fd (v5.19): every shared mapping that maps any
    /// of the entry's <paramref name="count"/> pages from <paramref name="index"/> gets every
    /// translation of them write-protected (pfn_mkclean_range).
    /// </summary>
    public static void WriteProtectEntryPages(AddressSpace mapping, long index, long pfn, long count)
    {
        using var rmap = mapping.IMmapRwsem.Read();
        foreach (var vma in mapping.Mappings)
        {
            if (vma.Shared)
                vma.WriteProtectRange(index, pfn, count);
        }
    }
}
