// Base, the bottom layer: the vocabulary every layer speaks (page geometry, errno), as the
// kernel keeps PAGE_SIZE and errno.h in include/ below every subsystem. It names nothing else
// of DaxLab, so any layer may use it without a cycle (tests/DaxLab.Tests/Architecture).
namespace DaxLab.Base;

/// <summary>Sizes shared by every layer: the x86-64 page and PMD sizes DAX maps with.</summary>
public static class Geometry
{
    public const int PageShift = 12;
    public const int PageSize = 1 << PageShift;
    public const long PageMask = PageSize - 1;

    /// <summary>Order of a PMD entry: 512 pages, 2 MiB.</summary>
    public const int PmdOrder = 9;
    public const int PmdShift = PageShift + PmdOrder;
    public const long PmdSize = 1L << PmdShift;
    public const long PmdMask = PmdSize - 1;
    public const int PagesPerPmd = 1 << PmdOrder;

    /// <summary>The largest file size the engine accepts (ext4 with 4 KiB blocks: 2^32 - 1 blocks; past it EFBIG).</summary>
    public const long MaxFileSize = (1L << 44) - PageSize;

    /// <summary>The last page index there can be: "to the end of the file" in page-index ranges (ULONG_MAX as a pgoff_t).</summary>
    public const long LastPageIndex = long.MaxValue >> PageShift;

    public static long PageAlignDown(long x) => x & ~PageMask;
    public static long PageAlignUp(long x) => (x + PageMask) & ~PageMask;
    public static long PmdAlignDown(long x) => x & ~PmdMask;

    /// <summary>PFN_DOWN: the frame that holds device address <paramref name="address"/> (never negative).</summary>
    public static long PfnDown(long address) => address >> PageShift;
}
