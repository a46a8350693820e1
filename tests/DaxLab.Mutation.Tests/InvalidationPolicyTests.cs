using DaxLab.Scenarios;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// The write path's invalidation policies of the 2017 designs (docs/designs.md,
/// <c>NewBlockInvalidation</c>), which v4.12 never runs: v4.10's nrpages guard and ross-v1's
/// unmap of each dropped entry. Each design's first failure on a write-vs-read-fault race is
/// pinned, its schedule count with it (the search is deterministic), so a mutant of its policy
/// that changes how the race fails is killed, as
/// <c>CheckerVerdictTests.The_fault_order_of_2017_still_races</c> does for the fault order.
/// ross-v1 is pinned on the 4 KiB race only: its first failure on the 2 MiB one took 13 s to find
/// on a loaded machine, too costly per mutant.
/// </summary>
public class InvalidationPolicyTests
{
    [Theory]
    [InlineData("v4.10", "write-vs-read-fault-2m",
        "end check: zero-page entry at page 512 covers allocated blocks; mapping at file offset 2097152: page at 2097152 maps the zero page over allocated blocks (2 schedules)")]
    [InlineData("v4.10", "write-vs-read-fault-4k",
        "end check: hole page at page 1 covers allocated blocks; mapping at file offset 4096: page at 4096 maps a hole page over allocated blocks (19 schedules)")]
    [InlineData("ross-v1", "write-vs-read-fault-4k",
        "end check: hole page at page 1 covers allocated blocks; mapping at file offset 4096: page at 4096 maps a hole page over allocated blocks (22 schedules)")]
    public void The_design_still_fails_the_write_vs_read_fault_race_as_it_did(string design, string scenario, string firstFailure)
    {
        var options = new CheckOptions { StopAtFirstFailure = true, TimeBudget = TimeSpan.FromSeconds(60) };
        var verdict = ScenarioChecker.Check(ScenarioChecker.BuiltIn(scenario), design, options);
        Assert.True(verdict.Failures.Count > 0, $"{design} no longer fails {scenario} ({verdict.Schedules} schedules)");
        Assert.Equal(firstFailure, verdict.Failures[0].Message.Split('\n')[0] + $" ({verdict.Schedules} schedules)");
    }
}
