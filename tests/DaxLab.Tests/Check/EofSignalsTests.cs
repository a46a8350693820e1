using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

/// <summary>
/// The EOF rule on hand-made histories: an 8 KiB file when the CPUs start, times chosen so the
/// calls overlap as each test says.
/// </summary>
public class EofSignalsTests
{
    private const long Initial = 8192;

    private static MappedAccess Load(long offset, long start, long end, long? sigBusAt = null) =>
        new(Cpu: 1, $"mread {offset} 8", offset, 8, start, end, sigBusAt);

    private static SizeChange Truncate(long size, long start, long end) => new(size, Extends: false, start, end);

    private static List<string> Violations(MappedAccess access, params SizeChange[] changes) =>
        [.. EofSignals.Violations([access], changes, Initial)];

    [Fact]
    public void A_load_past_a_truncate_that_ended_before_it_must_raise_sigbus()
    {
        var problem = Assert.Single(Violations(Load(4096, start: 3, end: 4), Truncate(4096, start: 1, end: 2)));
        Assert.Equal("CPU2's 'mread 4096 8' reached file offset 4096, wholly past EOF while it ran (i_size at most 4096), without SIGBUS", problem);
    }

    [Fact]
    public void A_load_that_overlapped_the_truncate_may_have_seen_the_old_size()
    {
        Assert.Empty(Violations(Load(4096, start: 2, end: 4), Truncate(4096, start: 1, end: 3)));
    }

    [Fact]
    public void The_partial_page_at_eof_is_inside_it()
    {
        Assert.Empty(Violations(Load(4096, start: 3, end: 4), Truncate(4097, start: 1, end: 2)));
    }

    [Fact]
    public void A_sigbus_inside_eof_is_flagged()
    {
        var problem = Assert.Single(Violations(Load(4096, start: 1, end: 2, sigBusAt: 4096)));
        Assert.Equal("CPU2's 'mread 4096 8' raised SIGBUS at file offset 4096, inside EOF while it ran (i_size at least 8192)", problem);
    }

    [Fact]
    public void A_sigbus_after_the_truncate_or_during_it_is_the_rule()
    {
        Assert.Empty(Violations(Load(4096, start: 3, end: 4, sigBusAt: 4096), Truncate(4096, start: 1, end: 2)));
        Assert.Empty(Violations(Load(4096, start: 2, end: 4, sigBusAt: 4096), Truncate(4096, start: 1, end: 3)));
    }

    [Fact]
    public void A_write_past_eof_that_ended_first_lets_a_load_through_and_a_later_truncate_does_not_undo_what_came_before()
    {
        var extend = new SizeChange(16384, Extends: true, Start: 1, End: 2);
        Assert.Empty(Violations(Load(12288, start: 3, end: 4), extend));
        // The truncate to 12 KiB ran after a write that had grown the file to 16 KiB: the page
        // at 12 KiB is inside only if the truncate came first, and it ended before the write began.
        var shrink = Truncate(12288, start: 1, end: 2);
        var grow = new SizeChange(16384, Extends: true, Start: 3, End: 4);
        Assert.Empty(Violations(Load(12288, start: 5, end: 6), shrink, grow));
        Assert.Single(Violations(Load(12288, start: 5, end: 6), grow with { Start = 1, End = 2 }, shrink with { Start = 3, End = 4 }));
    }

    [Fact]
    public void An_extension_never_shrinks_the_file()
    {
        // Growing "to" 4 KiB a file of 8 KiB leaves it 8 KiB: a load at 4 KiB stays inside.
        Assert.Empty(Violations(Load(4096, start: 3, end: 4), new SizeChange(4096, Extends: true, Start: 1, End: 2)));
    }
}
