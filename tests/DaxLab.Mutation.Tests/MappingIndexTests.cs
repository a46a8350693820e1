using DaxLab.Base;
using DaxLab.Index;
using DaxLab.Sync;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// The index as the xarray would answer, checked directly: its bookkeeping (counts, which 2 MiB
/// node holds what), its lookups at and around 2 MiB boundaries and its range scan's order. The
/// scenarios store few entries, all in the file's first 2 MiB, so these mutants lived there.
/// </summary>
public class MappingIndexTests
{
    private const long Pmd = Geometry.PagesPerPmd;

    /// <summary>A 2 MiB node holding only a PMD entry has no PTE entries (the PMD fault's conflict test).</summary>
    [Fact]
    public void A_pmd_entry_is_not_a_pte_entry()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(3 * Pmd, DaxEntry.MakeZero(pmd: true));
        Assert.False(index.HasPteEntries(3 * Pmd + 5));
        index.Store(5 * Pmd + 1, DaxEntry.MakeZero(pmd: false));
        Assert.True(index.HasPteEntries(5 * Pmd + 511));
    }

    /// <summary>
    /// xas_find_conflict of order 0 finds only the entry at the index, one of PMD order the first
    /// PTE entry of the index's 2 MiB, and a PMD entry is returned at its aligned index whatever
    /// index inside it was asked for.
    /// </summary>
    [Fact]
    public void FindConflict_looks_at_the_index_or_its_2_MiB()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(2, DaxEntry.MakeMapped(40, pmd: false));
        index.Store(6, DaxEntry.MakeMapped(41, pmd: false));
        index.Store(Pmd + 100, DaxEntry.MakeMapped(42, pmd: false));
        index.Store(4 * Pmd, DaxEntry.MakeZero(pmd: true));

        Assert.Equal(40, index.FindConflict(2, 0, out long at).Pfn);
        Assert.Equal(2, at);
        Assert.True(index.FindConflict(3, 0, out at).IsNone);
        Assert.True(index.FindConflict(5, 0, out at).IsNone);
        Assert.Equal(5, at);

        Assert.Equal(42, index.FindConflict(Pmd + 3, Geometry.PmdOrder, out at).Pfn);
        Assert.Equal(Pmd + 100, at);
        Assert.True(index.FindConflict(2 * Pmd + 3, Geometry.PmdOrder, out at).IsNone);
        Assert.Equal(2 * Pmd, at);

        Assert.True(index.FindConflict(4 * Pmd + 7, 0, out at).IsPmd);
        Assert.Equal(4 * Pmd, at);
        Assert.True(index.FindConflict(4 * Pmd + 300, Geometry.PmdOrder, out at).IsZero);
        Assert.Equal(4 * Pmd, at);
    }

    /// <summary>
    /// The range scan returns the lowest entry whichever way it walks. With more 2 MiB keys in the
    /// range than nodes it walks the nodes, in the dictionary's order (the order they were made):
    /// here the highest first, so a walk that kept the first entry it found, or skipped the nodes
    /// below it, would answer wrong.
    /// </summary>
    [Fact]
    public void FindNext_over_the_nodes_returns_the_lowest_entry()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(9 * Pmd + 4, DaxEntry.MakeZero(pmd: false));
        index.Store(6 * Pmd, DaxEntry.MakeZero(pmd: true));
        index.Store(Pmd + 300, DaxEntry.MakeZero(pmd: false));
        index.Store(Pmd + 301, DaxEntry.MakeZero(pmd: false));

        Assert.True(index.FindNext(0, 20 * Pmd, out long at, out var entry));
        Assert.Equal(Pmd + 300, at);
        Assert.False(entry.IsPmd);
        Assert.True(index.FindNext(Pmd + 302, 20 * Pmd, out at, out entry));
        Assert.Equal(6 * Pmd, at);
        Assert.True(entry.IsPmd);
        Assert.True(index.FindNext(6 * Pmd + 1, 20 * Pmd, out at, out entry));
        Assert.Equal(6 * Pmd, at);
        Assert.True(index.FindNext(7 * Pmd, 20 * Pmd, out at, out _));
        Assert.Equal(9 * Pmd + 4, at);
        Assert.False(index.FindNext(9 * Pmd + 5, 20 * Pmd, out _, out _));
    }

    /// <summary>Count and nrpages follow each erase: an entry that was not a hole page leaves nrpages alone.</summary>
    [Fact]
    public void Erase_counts_what_it_removes()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(7, DaxEntry.MakeHolePage());
        index.Store(9, DaxEntry.MakeZero(pmd: false));
        index.Store(2 * Pmd, DaxEntry.MakeZero(pmd: true));
        Assert.Equal(3, index.Count);

        Assert.True(index.Erase(9).IsZero);
        Assert.Equal(2, index.Count);
        Assert.Equal(1, index.HolePages);
        Assert.True(index.Erase(2 * Pmd + 8).IsPmd);
        Assert.Equal(1, index.Count);
        Assert.True(index.Erase(7).IsHolePage);
        Assert.Equal(0, index.Count);
        Assert.Equal(0, index.HolePages);
    }

    /// <summary>What Store refuses: an entry of two kinds, and a PMD entry changed while unlocked.</summary>
    [Fact]
    public void Store_checks_the_entry_and_its_lock()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        var twoKinds = Assert.Throws<InvariantViolationException>(() =>
            index.Store(1, DaxEntry.MakeZero(pmd: false).With(DaxEntry.HolePageBit)));
        Assert.Contains("entry of two kinds at once", twoKinds.Message);

        index.Store(Pmd, DaxEntry.MakeZero(pmd: true));
        var unlocked = Assert.Throws<InvariantViolationException>(() =>
            index.Store(Pmd, DaxEntry.MakeMapped(Pmd, pmd: true)));
        Assert.Contains("an entry is changed only while locked", unlocked.Message);
    }

    /// <summary>
    /// lockdep sees a PMD entry's LOCKED bit set and cleared at the entry's aligned index, as it
    /// sees a PTE entry's, whatever index inside the 2 MiB the store or erase names.
    /// </summary>
    [Fact]
    public void Lockdep_sees_a_pmd_entry_locked_and_unlocked()
    {
        var scheduler = new EntryLockRecorder();
        var index = new MappingIndex(new Seam(scheduler));
        using var xa = index.XaLock.Hold();
        index.Store(Pmd + 5, DaxEntry.MakeEmpty(pmd: true));
        index.Store(Pmd + 9, DaxEntry.MakeZero(pmd: true).With(DaxEntry.Locked));
        Assert.Single(scheduler.Held);
        index.Store(Pmd, DaxEntry.MakeZero(pmd: true));
        Assert.Empty(scheduler.Held);
        index.Store(Pmd + 1, DaxEntry.MakeZero(pmd: true).With(DaxEntry.Locked));
        index.Erase(Pmd + 200);
        Assert.Empty(scheduler.Held);
        Assert.Equal(2, scheduler.Acquisitions);
    }

    /// <summary>A single CPU that records the entry locks held; releasing one not held is a bookkeeping slip.</summary>
    private sealed class EntryLockRecorder : IScheduler
    {
        public readonly HashSet<object> Held = [];
        public int Acquisitions;
        private readonly HashSet<object> otherLocks = [];

        public void Reschedule(string point)
        {
        }

        public void Block(object channel, string point) =>
            throw new InvalidOperationException($"a single CPU blocked at {point}");

        public void Wake(object channel)
        {
        }

        public void Note(string what)
        {
        }

        public void Access(object resource, bool write)
        {
        }

        public void LockAcquire(object instance, LockClass lockClass, LockUse use, string point, object? dropping = null)
        {
            if (lockClass != MappingIndex.EntryLockClass)
            {
                otherLocks.Add(instance);
                return;
            }
            Assert.True(Held.Add(instance), $"entry lock {instance} taken twice");
            Acquisitions++;
        }

        public void LockRelease(object instance)
        {
            if (otherLocks.Contains(instance))
                return;
            Assert.True(Held.Remove(instance), $"entry lock {instance} released but not held");
        }
    }
}
