using DaxLab.Scenarios;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// The test every mutant of the protocol code must pass to survive: the checker over each
/// built-in scenario, and each of the harness's own, on the landed design (v4.12) gives the
/// verdict it gives unmutated. A cell that passes must still be proven without a bound; a cell
/// that fails must still fail, so a mutant that hides one of v4.12's known failures is killed too.
/// </summary>
/// <remarks>
/// The search is the one `daxlab check` runs (DPOR, no preemption bound, empty footprints
/// trusted), stopped at the first failure: one failure is enough to kill a mutant.
/// </remarks>
public class CheckerVerdictTests
{
    /// <summary>
    /// v4.12's failing cells in the default matrix (docs/designs.md, pinned in VerdictTests), each
    /// with the first line of the first failure the search finds unmutated. The search is
    /// deterministic, so a mutant that fails such a cell another way has changed what the checker
    /// reports, and is killed too.
    /// </summary>
    private static readonly Dictionary<string, string> Failing = new()
    {
        ["fsync-pmd-entry-via-ptes"] = "end check: page at 4096 is mapped writable but its entry is clean: a store would escape fsync",
        ["pmd-fault-on-empty-file"] = "end check: entry at page 0 is wholly past EOF (i_size 0): pmd zero; mapping at file offset 0: "
            + "a huge page at file offset 0 is mapped past EOF (i_size 0); CPU1's 'mread 0 1' reached file offset 0, "
            + "wholly past EOF while it ran (i_size at most 0), without SIGBUS",
        ["truncate-vs-writebacks"] = "deadlock: no CPU can run.",
        ["punch-vs-pinned-page"] = "end check: truncate dropped the entry at file offset 4096 while device page 513 was pinned "
            + "(get_user_pages): its block is freed under a DMA",
        ["truncate-vs-pinned-page"] = "end check: truncate dropped the entry at file offset 4096 while device page 513 was pinned "
            + "(get_user_pages): its block is freed under a DMA",
    };

    /// <summary>
    /// The harness's own scenarios (Scenarios/*.scn): races v4.12 passes that no built-in
    /// scenario shows, kept out of the default matrix, which pins every design's verdict.
    /// </summary>
    private static readonly Dictionary<string, Scenario> HarnessScenarios =
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Scenarios"), "*.scn")
            .Select(path => ScenarioChecker.LoadFile(path))
            .ToDictionary(s => s.Name);

    public static TheoryData<string> Scenarios() =>
        new(ScenarioChecker.BuiltIn().Select(s => s.Name).Concat(HarnessScenarios.Keys.Order()));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_landed_design_keeps_its_verdict(string scenarioName)
    {
        var options = new CheckOptions { StopAtFirstFailure = true, TimeBudget = TimeSpan.FromSeconds(60) };
        var scenario = HarnessScenarios.GetValueOrDefault(scenarioName) ?? ScenarioChecker.BuiltIn(scenarioName);
        var verdict = ScenarioChecker.Check(scenario, ScenarioChecker.DefaultDesign, options);
        if (Failing.TryGetValue(scenarioName, out string? expected))
        {
            Assert.True(verdict.Failures.Count > 0, $"the known failure of v4.12 on {scenarioName} is no longer found ({verdict.Schedules} schedules)");
            Assert.Equal(expected, verdict.Failures[0].Message.Split('\n')[0]);
            return;
        }
        Assert.True(verdict.Passed, string.Join("\n\n", verdict.Failures));
        Assert.True(verdict.Exhaustive, $"{verdict.Schedules} schedules without proving the cell");
    }

    /// <summary>
    /// The lost wakeup of an invalidation that leaves a DIRTY entry (Scenarios/Bounded): an
    /// allocating pwrite and two write faults on its page. v4.12 passes it, but the proof takes
    /// about 29,000 schedules, too many for every mutant that reaches the write and fault paths;
    /// within two preemptions the search is exhaustive in about 1,200 schedules, and finds the
    /// fault left asleep when __dax_invalidate_mapping_entry does not pass its wake on.
    /// </summary>
    [Fact]
    public void Invalidation_passes_the_wake_on_to_a_second_fault()
    {
        var scenario = ScenarioChecker.LoadFile(Path.Combine(AppContext.BaseDirectory, "Scenarios", "Bounded", "allocating-write-vs-two-write-faults.scn"));
        var options = new CheckOptions { PreemptionBound = WakeSearchBound, StopAtFirstFailure = true, TimeBudget = TimeSpan.FromSeconds(60) };
        var verdict = ScenarioChecker.Check(scenario, ScenarioChecker.DefaultDesign, options);
        Assert.True(verdict.Passed, string.Join("\n\n", verdict.Failures));
        Assert.True(verdict.Exhaustive, $"{verdict.Schedules} schedules without exhausting bound {WakeSearchBound}");
    }

    /// <summary>
    /// The preemption bound of the wake's search: the smallest at which it finds the lost wakeup
    /// (within one preemption the search passes the mutant too).
    /// </summary>
    private const int WakeSearchBound = 2;

    /// <summary>
    /// The 2017 race on a design whose faults ask ->iomap_begin before they lock the entry:
    /// ross-v1, which invalidates every allocation, so that the fault order alone fails it.
    /// v4.12 never takes that order, so only a design that does reaches the ladder's other rung;
    /// the first failure is pinned, as for v4.12's failing cells.
    /// </summary>
    [Fact]
    public void The_fault_order_of_2017_still_races()
    {
        var options = new CheckOptions { StopAtFirstFailure = true, TimeBudget = TimeSpan.FromSeconds(60) };
        var verdict = ScenarioChecker.Check(ScenarioChecker.BuiltIn("write-vs-read-fault-4k"), "ross-v1", options);
        Assert.True(verdict.Failures.Count > 0, $"ross-v1 no longer races on write-vs-read-fault-4k ({verdict.Schedules} schedules)");
        Assert.Equal(RaceOfIomapFirst, verdict.Failures[0].Message.Split('\n')[0]);
    }

    private const string RaceOfIomapFirst =
        "end check: hole page at page 1 covers allocated blocks; mapping at file offset 4096: page at 4096 maps a hole page over allocated blocks";
}
