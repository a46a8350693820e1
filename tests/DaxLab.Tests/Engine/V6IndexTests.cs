using DaxLab.Base;
using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Index;
using DaxLab.Mm;
using DaxLab.Sync;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>
/// What the v6 design changes in the index and its waits: XA_RETRY_ENTRY for an order
/// mismatch, WAKE_NEXT against WAKE_ALL, and the non-exclusive wait of dax_lock_mapping_entry.
/// </summary>
public class V6IndexTests
{
    private static MappingIndex NewIndex() => new(Seam.RealThreads);

    [Fact]
    public void Find_conflict_for_a_pmd_lookup_finds_any_pte_entry_in_its_2m()
    {
        var index = NewIndex();
        using (index.XaLock.Hold())
        {
            index.Store(700, DaxEntry.MakeMapped(9, pmd: false));
            Assert.True(index.FindConflict(512, Geometry.PmdOrder, out long at).Pfn == 9 && at == 700);
            Assert.True(index.FindConflict(1023, Geometry.PmdOrder, out at).Pfn == 9 && at == 700, "any index of the 2 MiB looks at all of it");
            Assert.True(index.FindConflict(701, 0, out _).IsNone, "a PTE lookup sees only its own slot");
            Assert.True(index.FindConflict(0, Geometry.PmdOrder, out _).IsNone, "another 2 MiB is empty");
        }
    }

    [Fact]
    public void Find_conflict_for_a_pte_lookup_returns_the_pmd_entry_over_it()
    {
        var index = NewIndex();
        using (index.XaLock.Hold())
        {
            index.Store(512, DaxEntry.MakeMapped(1024, pmd: true));
            var entry = index.FindConflict(777, 0, out long at);
            Assert.True(entry.IsPmd && at == 512, $"{entry} at {at}");
        }
    }

    [Fact]
    public void The_retry_entry_is_no_entry_and_is_never_stored()
    {
        Assert.True(DaxEntry.Conflict.IsConflict);
        Assert.False(DaxEntry.Conflict.IsNone || DaxEntry.Conflict.IsMapped || DaxEntry.MakeEmpty(pmd: true).IsConflict);
        Assert.Equal("conflict", DaxEntry.Conflict.ToString());
        var index = NewIndex();
        using (index.XaLock.Hold())
            Assert.Throws<InvariantViolationException>(() => index.Store(0, DaxEntry.Conflict));
    }

    /// <summary>
    /// One CPU holds the lock of a 4 KiB entry at a 2 MiB boundary and asks for a PMD entry
    /// there. The radix tree's lookup (v4.12) waits for that entry, its own: the checker finds
    /// the CPU asleep for good. The XArray's (v6) returns the conflict at once and falls back.
    /// </summary>
    [Theory]
    [InlineData("v4.12", true)]
    [InlineData("v6", false)]
    public void A_pmd_grab_over_a_locked_pte_entry_waits_only_in_the_radix_tree(string design, bool waits)
    {
        bool fellBack = false;
        RunSetup Build(Seam seam)
        {
            var fs = DaxFileSystem.CreateInMemory(16 * MiB, new DaxOptions { Seam = seam, Design = DesignCatalog.Find(design) });
            var file = fs.OpenFile("f", DaxOpenFlags.Create);
            var mapping = file.Inode.Mapping;
            var core = file.Inode.Core;
            return new RunSetup([new CpuBody("CPU1 - fault", () =>
            {
                var pte = core.GrabMappingEntry(mapping, 512, pmd: false, out _);
                core.GrabMappingEntry(mapping, 512, pmd: true, out fellBack);
                core.UnlockEntry(mapping, 512, pte);
            })]);
        }
        // Without lockdep, which flags any second entry lock taken while one is held.
        var result = Explorer.Explore(Build, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null, LockOrder: false));
        if (waits)
        {
            Assert.Equal(FailureKind.Deadlock, Assert.Single(result.Failures).Kind);
            return;
        }
        Assert.Empty(result.Failures);
        Assert.True(fellBack);
    }

    /// <summary>
    /// Three sleepers on one key, two exclusive (get_next_unlocked_entry) and one not
    /// (dax_lock_mapping_entry's wait_entry_unlocked): WAKE_NEXT wakes the non-exclusive one and
    /// the first exclusive one; WAKE_ALL wakes the last as well.
    /// </summary>
    [Fact]
    public void Wake_next_wakes_the_non_exclusive_sleepers_and_one_exclusive_one()
    {
        var table = Seam.RealThreads.NewWaitQueueTable(4);
        var key = new WaitKey(new object(), 3);
        var first = table.Prepare(key);
        var second = table.Prepare(key);
        var shared = table.Prepare(key, exclusive: false);
        var otherKey = table.Prepare(key with { Index = 4 }, exclusive: false);
        table.Wake(key, all: false);
        Assert.Equal((true, false, true, false), (first.Woken, second.Woken, shared.Woken, otherKey.Woken));
        table.Wake(key, all: true);
        Assert.True(second.Woken);
        Assert.False(otherKey.Woken, "a wake reaches only its key");
        foreach (var waiter in new[] { first, second, shared, otherKey })
            table.Finish(waiter);
    }

    /// <summary>
    /// dax_lock_mapping_entry, the memory-failure path's lock: a mapped entry is locked and
    /// handed back; a zero entry or none gives the kernel's ~0 cookie and locks nothing.
    /// </summary>
    [Fact]
    public void Dax_lock_mapping_entry_locks_mapped_entries_only_and_unlocks_cleanly()
    {
        using var fs = NewFs("v6");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Write(0, new byte[8192]);
        file.Truncate(16384);
        using var map = file.Map(0, 16384, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(0, "a"u8);
        map.Load(8192, new byte[1]);
        var core = file.Inode.Core;
        var mapping = file.Inode.Mapping;
        var locked = core.LockMappingEntry(mapping, 0);
        Assert.True(locked.IsLocked && locked.IsMapped, locked.ToString());
        Assert.True(core.LockMappingEntry(mapping, 2).IsNone, "a zero entry gives the ~0 cookie, nothing locked");
        Assert.True(core.LockMappingEntry(mapping, 3).IsNone, "no entry, nothing locked");
        core.UnlockEntry(mapping, 0, locked);
        Assert.All(Entries(file), e => Assert.False(e.Entry.IsLocked, e.ToString()));
    }
}
