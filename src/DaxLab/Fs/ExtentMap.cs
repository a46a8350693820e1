using DaxLab.Base;

namespace DaxLab.Fs;

/// <summary>A run of device blocks [Start, Start + Count).</summary>
internal readonly record struct BlockRun(long Start, long Count)
{
    public long End => Start + Count;
}

/// <summary>
/// One extent (xfs_bmbt_irec): file blocks [FileBlock, FileBlock + Count) live at device blocks
/// [DevBlock, DevBlock + Count); Unwritten extents are allocated but read as zeros.
/// </summary>
internal readonly record struct Extent(long FileBlock, long DevBlock, long Count, bool Unwritten)
{
    public long FileEnd => FileBlock + Count;

    public long DevEnd => DevBlock + Count;

    /// <summary>The device block holding file block <paramref name="fileBlock"/> of this extent.</summary>
    public long DevOf(long fileBlock) => DevBlock + (fileBlock - FileBlock);

    /// <summary>The part of this extent inside file blocks [first, end); it must overlap them.</summary>
    public Extent Clip(long first, long end)
    {
        long from = Math.Max(first, FileBlock);
        long to = Math.Min(end, FileEnd);
        Invariant.Holds(from < to, "clip of an extent outside the range");
        return new Extent(from, DevOf(from), to - from, Unwritten);
    }

    /// <summary>Whether <paramref name="next"/> continues this extent in the file and on the device with the same state.</summary>
    public bool Continues(Extent next) =>
        FileEnd == next.FileBlock && DevEnd == next.DevBlock && Unwritten == next.Unwritten
        && Count + next.Count <= ExtentMap.MaxExtentBlocks;
}

/// <summary>
/// The sorted, non-overlapping extent list of one inode (the incore extent tree, as a list).
/// </summary>
/// <remarks>
/// Neighbouring extents that continue each other are always merged, so the map is canonical:
/// the same file state gives the same list whether built at run time or by log replay.
/// Context: readers hold the owner's ILOCK shared; writers hold it exclusive plus the log lock.
/// </remarks>
internal sealed class ExtentMap
{
    /// <summary>Longest extent: 2^20 blocks (4 GiB) keeps an extent's count in the on-device 32-bit field with room to spare.</summary>
    public const long MaxExtentBlocks = 1L << 20;

    private readonly List<Extent> extents = [];

    public int Count => extents.Count;

    public Extent this[int index] => extents[index];

    public IEnumerable<Extent> All => extents;

    /// <summary>
    /// Index of the first extent ending after <paramref name="fileBlock"/>: the extent holding
    /// it if any, else the next one (or <see cref="Count"/>).
    /// </summary>
    public int Search(long fileBlock)
    {
        int lo = 0, hi = extents.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (extents[mid].FileEnd <= fileBlock)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>Whether file blocks [first, end) hold no extent at all.</summary>
    public bool IsHole(long first, long end)
    {
        int i = Search(first);
        return i == extents.Count || extents[i].FileBlock >= end;
    }

    /// <summary>Maps a hole: inserts <paramref name="extent"/>, merging with neighbours that continue it.</summary>
    public void Insert(Extent extent)
    {
        Invariant.Holds(extent.Count > 0 && extent.Count <= MaxExtentBlocks, "extent length in range");
        Invariant.Holds(IsHole(extent.FileBlock, extent.FileEnd), "insert only into a hole");
        int i = Search(extent.FileBlock);
        if (i > 0 && extents[i - 1].Continues(extent))
        {
            extent = extents[i - 1] with { Count = extents[i - 1].Count + extent.Count };
            extents.RemoveAt(--i);
        }
        if (i < extents.Count && extent.Continues(extents[i]))
        {
            extent = extent with { Count = extent.Count + extents[i].Count };
            extents.RemoveAt(i);
        }
        extents.Insert(i, extent);
        AssertSorted(i);
    }

    /// <summary>
    /// Removes every mapping of file blocks [first, end), splitting extents that straddle the
    /// edges, and returns the removed pieces (clipped to the range) in file order.
    /// </summary>
    public List<Extent> Remove(long first, long end)
    {
        Invariant.Holds(first < end, "remove of an empty range");
        var removed = new List<Extent>();
        int i = Search(first);
        while (i < extents.Count && extents[i].FileBlock < end)
        {
            Extent e = extents[i];
            removed.Add(e.Clip(first, end));
            extents.RemoveAt(i);
            if (e.FileBlock < first)
                extents.Insert(i++, e.Clip(e.FileBlock, first));
            if (e.FileEnd > end)
                extents.Insert(i++, e.Clip(end, e.FileEnd));
        }
        Invariant.Holds(IsHole(first, end), "range is a hole after remove");
        return removed;
    }

    /// <summary>Sets the unwritten state of every mapped block of [first, end); holes stay holes.</summary>
    public void Convert(long first, long end, bool unwritten)
    {
        foreach (Extent piece in Remove(first, end))
            Insert(piece with { Unwritten = unwritten });
    }

    /// <summary>Drops every extent (unlink) and returns them.</summary>
    public List<Extent> Clear()
    {
        var all = new List<Extent>(extents);
        extents.Clear();
        return all;
    }

    private void AssertSorted(int around)
    {
        for (int j = Math.Max(1, around - 1); j <= Math.Min(extents.Count - 1, around + 1); j++)
            Invariant.Holds(extents[j - 1].FileEnd <= extents[j].FileBlock && !extents[j - 1].Continues(extents[j]), "extents sorted, disjoint and merged");
    }
}
