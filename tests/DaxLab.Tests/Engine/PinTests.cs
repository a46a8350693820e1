using DaxLab.Base;
using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Mm;
using DaxLab.Sync;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>Pins on device pages (get_user_pages) and truncate's wait for them (dax_layout_busy_page).</summary>
public class PinTests
{
    [Fact]
    public void Page_refs_count_pins_per_page_and_refuse_an_unpin_without_a_pin()
    {
        var refs = new PageRefs(Seam.RealThreads);
        refs.Pin(7);
        refs.Pin(7);
        Assert.Equal(7, refs.FirstPinned(5, 4));
        refs.Unpin(7);
        Assert.Equal(7, refs.FirstPinned(7, 1));
        refs.Unpin(7);
        Assert.Equal(-1, refs.FirstPinned(0, 16));
        Assert.Throws<InvariantViolationException>(() => refs.Unpin(7));
    }

    [Fact]
    public void Waiting_for_an_idle_page_returns_at_once_without_dropping_the_locks()
    {
        var refs = new PageRefs(Seam.RealThreads);
        int dropped = 0;
        refs.WaitIdle(3, () => dropped++, () => dropped--);
        Assert.Equal(0, dropped);
    }

    [Fact]
    public void Pin_faults_a_hole_in_for_writing_and_pins_the_new_block()
    {
        using var fs = NewFs("v6");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(8192);
        using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        using var pins = map.Pin(4096, 100);
        Assert.Equal(1, pins.Count);
        var entry = EntryAt(file, 4096);
        Assert.True(entry.IsMapped && entry.IsDirty, entry.ToString());
        Assert.Equal(entry.Pfn, file.Inode.Core.Pages.FirstPinned(entry.Pfn, 1));
        Assert.True(PteAt(map, 4096).IsWritable);
        pins.Dispose();
        pins.Dispose();
        Assert.Equal(0, pins.Count);
        Assert.Equal(-1, file.Inode.Core.Pages.FirstPinned(entry.Pfn, 1));
    }

    [Fact]
    public void Pin_of_a_read_only_mapping_or_past_eof_is_efault_and_leaves_nothing_pinned()
    {
        using var fs = NewFs("v6");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(4096);
        using var readOnly = file.Map(0, 8192, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => readOnly.Pin(0, 4096)).Errno);
        using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => map.Pin(0, 8192)).Errno);
        var first = EntryAt(file, 0);
        Assert.Equal(-1, file.Inode.Core.Pages.FirstPinned(first.Pfn, 1));
    }

    /// <summary>
    /// One CPU pins a page, then punches it out itself. With layouts broken (v6) the punch waits
    /// for a pin only this CPU could drop: the checker finds it asleep in wait_var_event. Without
    /// (v4.12) the punch goes through and drops the pinned page: the use after free.
    /// </summary>
    [Theory]
    [InlineData("v6")]
    [InlineData("v4.12")]
    public void A_punch_waits_for_the_pin_only_where_layouts_are_broken(string design)
    {
        IReadOnlyList<string> freed = [];
        RunSetup Build(Seam seam)
        {
            var fs = DaxFileSystem.CreateInMemory(16 * MiB, new DaxOptions { Seam = seam, Design = DesignCatalog.Find(design) });
            var file = fs.OpenFile("f", DaxOpenFlags.Create);
            file.Write(0, new byte[8192]);
            var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
            return new RunSetup([new CpuBody("CPU1 - DMA, then punch", () =>
            {
                using var pins = map.Pin(4096, 4096);
                file.PunchHole(4096, 4096);
                freed = fs.FreedWhilePinned;
            })]);
        }
        var result = Explorer.Explore(Build, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null));
        if (design == "v6")
        {
            var failure = Assert.Single(result.Failures);
            Assert.Equal(FailureKind.Deadlock, failure.Kind);
            Assert.Contains("wait_var_event", failure.Message);
            return;
        }
        Assert.Empty(result.Failures);
        Assert.Contains("while device page", Assert.Single(freed));
    }
}
