using DaxLab.Checker;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;
using DaxLab.Designs;

namespace DaxLab.Tests.Check;

/// <summary>
/// What lockdep's report on `pwrite-from-mapping-disjoint` foresees for range-lock and
/// rw-entry-locks: a call that holds the design's lock over one 2 MiB while its copy faults in
/// another takes that lock's class under itself, so two such calls crossed over one file
/// deadlock ABBA. range-lock's overwrites share i_rwsem, so two crossed pwrite(2)s can; rw-entry-
/// locks' write(2)s exclude each other on i_rwsem, but two read(2)s, which share it, each into a
/// writable mapping of the other's hole, take the other's region for writing in their faults.
/// </summary>
public class SameFileCrossedCopyTests
{
    private const string CrossedOverwrites = """
        scenario crossed-overwrites
        setup:
            pwrite -S 0x41 0 4m
            mmap -r 0 4m
        cpu write A(2):
            pwrite -M 0 -B 2m 0 4k
        cpu write B(2):
            pwrite -M 0 -B 0 2m 4k
        check:
            size 4m
        """;

    private const string CrossedReads = """
        scenario crossed-preads
        setup:
            truncate 4m
            pwrite -S 0x41 0 4k
            pwrite -S 0x42 2m 4k
            mmap -rw 0 4m
        cpu read A(2):
            pread -M 0 -B 2m 0 4k
        cpu read B(2):
            pread -M 0 -B 0 2m 4k
        check:
            size 4m
        """;

    [Theory]
    [InlineData("range-lock", CrossedOverwrites, "asleep at fair_range_lock_wait(i_range_lock) on read")]
    [InlineData("rw-entry-locks", CrossedReads, "asleep at down_write(dax_entry_rwsem)")]
    public void Two_crossed_copies_over_one_file_deadlock_as_lockdep_foresaw(string designName, string text, string asleep)
    {
        using var runner = new ScenarioRunner(Scenario.Parse(text, "crossed.scn"), DesignCatalog.Find(designName));
        var result = Explorer.Explore(runner.Build, new ExploreOptions(StrategyKind.Dfs, Reduction: false, StopOnFailure: true, LockOrder: false));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(FailureKind.Deadlock, failure.Kind);
        Assert.Equal(1, failure.Preemptions);
        Assert.Contains("CPU1 - ", failure.Message);
        Assert.Contains(asleep, failure.Message);
    }

    [Fact]
    public void V4_12_runs_both_crossings_without_deadlock_or_lock_order_report()
    {
        foreach (string text in new[] { CrossedOverwrites, CrossedReads })
        {
            using var runner = new ScenarioRunner(Scenario.Parse(text, "crossed.scn"), DesignCatalog.Find("v4.12"));
            var result = Explorer.Explore(runner.Build, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: 1, Reduction: false));
            Assert.True(result.Failures.Count == 0 && result.Exhausted, string.Join("\n\n", result.Failures));
        }
    }
}
