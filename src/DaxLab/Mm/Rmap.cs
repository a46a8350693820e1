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

    /// <summary>dax_entry_mkclean's walk: write-protects the shared mappings of an entry's pages.</summary>
    public static void WriteProtectEntry(AddressSpace mapping, long index, bool pmd)
    {
        using var rmap = mapping.IMmapRwsem.Read();
        foreach (var vma in mapping.Mappings)
        {
            if (vma.Shared)
                vma.WriteProtect(index, pmd);
        }
    }
}
