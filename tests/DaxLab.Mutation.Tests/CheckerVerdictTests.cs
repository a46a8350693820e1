using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// The test every mutant of the protocol code must pass to survive: the checker over each
/// built-in scenario on the landed design (v4.12) gives the verdict it gives unmutated. A cell
/// that passes must still be proven without a bound; a cell that fails must still fail, so a
/// mutant that hides one of v4.12's known failures is killed too.
/// </summary>
/// <remarks>
/// The search is the one `daxlab check` runs (DPOR, no preemption bound, empty footprints
/// trusted), stopped at the first failure: one failure is enough to kill a mutant.
/// </remarks>
public class CheckerVerdictTests
{
    /// <summary>v4.12's failing cells in the default matrix (docs/designs.md, pinned in VerdictTests).</summary>
    private static readonly HashSet<string> Failing =
    [
        "fsync-pmd-entry-via-ptes",
        "pmd-fault-on-empty-file",
        "truncate-vs-writebacks",
    ];

    public static TheoryData<string> Scenarios() => new(BuiltInScenarios.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_landed_design_keeps_its_verdict(string scenarioName)
    {
        using var runner = new ScenarioRunner(BuiltInScenarios.Find(scenarioName), DesignCatalog.Find("v4.12"));
        var options = new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null, TrustEmptyFootprints: true, StopOnFailure: true,
            TimeBudget: TimeSpan.FromSeconds(60));
        var result = Explorer.Explore(runner.Build, options);
        if (Failing.Contains(scenarioName))
        {
            Assert.True(result.Failures.Count > 0, $"the known failure of v4.12 on {scenarioName} is no longer found ({result.Schedules} schedules)");
            return;
        }
        Assert.True(result.Failures.Count == 0, string.Join("\n\n", result.Failures));
        Assert.True(result.Exhausted, $"{result.Schedules} schedules without proving the cell");
    }
}
