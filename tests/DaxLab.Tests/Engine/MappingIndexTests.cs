using DaxLab.Index;
using DaxLab.Sync;

namespace DaxLab.Tests.Engine;

public class MappingIndexTests
{
    [Fact]
    public void Pmd_entry_covers_its_512_pages_and_counts_once()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(1024 + 7, DaxEntry.MakeZero(pmd: true));
        Assert.Equal(1, index.Count);
        Assert.True(index.Load(1024).IsZero);
        Assert.True(index.Load(1024 + 511).IsPmd);
        Assert.True(index.Load(1024 + 512).IsNone);
        Assert.True(index.Load(1023).IsNone);
        Assert.True(index.Erase(1024 + 300).IsPmd);
        Assert.Equal(0, index.Count);
        Assert.True(index.Load(1024).IsNone);
    }

    [Fact]
    public void Pte_entries_are_found_in_order_and_detected_as_a_pmd_conflict()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(5, DaxEntry.MakeMapped(77, pmd: false));
        index.Store(2000, DaxEntry.MakeZero(pmd: false));
        index.Store(3, DaxEntry.MakeZero(pmd: false));
        Assert.True(index.HasPteEntries(0));
        Assert.True(index.HasPteEntries(511));
        Assert.False(index.HasPteEntries(512));
        var seen = new List<long>();
        long next = 0;
        while (index.FindNext(next, long.MaxValue >> 12, out long at, out var entry))
        {
            seen.Add(at);
            next = at + entry.PageCount;
        }
        Assert.Equal([3, 5, 2000], seen);
        Assert.Equal(77, index.Load(5).Pfn);
        Assert.False(index.FindNext(6, 1999, out _, out _));
    }

    [Fact]
    public void Entry_encoding_keeps_flags_tags_and_pfn_apart()
    {
        var entry = DaxEntry.MakeMapped(0x12345 << 9, pmd: true).With(DaxEntry.Locked | DaxEntry.TagDirty);
        Assert.True(entry.IsMapped && entry.IsPmd && entry.IsLocked && entry.IsDirty && !entry.IsToWrite);
        Assert.Equal(0x12345L << 9, entry.Pfn);
        Assert.Equal(512, entry.PageCount);
        Assert.Equal(DaxEntry.MakeMapped(0x12345 << 9, pmd: true), entry.Identity);
        var empty = DaxEntry.MakeEmpty(pmd: false);
        Assert.True(empty.IsEmpty && empty.IsLocked && !empty.IsMapped && !empty.IsZero);
        Assert.True(DaxEntry.MakeZero(pmd: false).IsZero);
    }

    [Fact]
    public void FindNext_agrees_whether_it_walks_the_keys_or_the_nodes()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        var expected = new SortedSet<long>();
        for (long node = 0; node < 20; node++)
        {
            long at = node * 512 + (node * 37 % 512);
            index.Store(at, DaxEntry.MakeZero(pmd: false));
            expected.Add(at);
        }
        foreach (var (start, end) in new[] { (0L, 2000L), (600L, 700L), (40L, 10_000L), (5_000L, 5_100L) })
        {
            var seen = new List<long>();
            long next = start;
            while (index.FindNext(next, end, out long at, out _))
            {
                seen.Add(at);
                next = at + 1;
            }
            Assert.Equal(expected.Where(e => e >= start && e <= end), seen);
        }
    }

    /// <summary>nrpages, which v4.10's write path tests before it invalidates, counts hole pages only.</summary>
    [Fact]
    public void Hole_pages_are_counted_as_they_come_and_go()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(7, DaxEntry.MakeHolePage());
        index.Store(9, DaxEntry.MakeZero(pmd: false));
        index.Store(1024, DaxEntry.MakeZero(pmd: true));
        Assert.Equal(1, index.HolePages);
        index.Store(7, DaxEntry.MakeMapped(77, pmd: false));
        Assert.Equal(0, index.HolePages);
        index.Store(8, DaxEntry.MakeHolePage());
        index.Store(10, DaxEntry.MakeHolePage());
        index.Erase(8);
        Assert.Equal(1, index.HolePages);
        Assert.Equal(4, index.Count);
    }
}
