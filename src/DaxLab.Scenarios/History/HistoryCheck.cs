using DaxLab.Checker;

namespace DaxLab.Scenarios.History;

/// <summary>
/// The two searches of a bug's verdict pair: the variant until its first failure, the fixed
/// design as its <see cref="FixSearch"/> says. Both are the checker's ordinary DFS; the history
/// command and the tests run exactly these. Like `daxlab check`, they trust the steps that
/// declare no access (docs/checker.md, "What proven means").
/// </summary>
internal static class HistoryCheck
{
    /// <summary>
    /// The variant's search: without a preemption bound, after the bounded first passes (so the
    /// failure shown has the fewest preemptions), stopping at the first failure.
    /// </summary>
    public static ExploreResult FindBug(HistoricalBug bug, TimeSpan budget)
    {
        using var runner = new ScenarioRunner(bug.Scenario, bug.Variant);
        var options = new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null, StopOnFailure: true, TimeBudget: budget,
            MaxStepsPerRun: bug.MaxSteps ?? Limits.DefaultMaxStepsPerRun, TrustEmptyFootprints: true, LockOrder: bug.LockDepOnVariant);
        return Explorer.Explore(runner.Build, options);
    }

    /// <summary>
    /// The fixed design's search: unbounded with DPOR (a pass is proven), or every schedule with
    /// at most two preemptions and no reduction (sleep sets may prune what a bound alone keeps).
    /// <paramref name="bound"/> lowers that bound for a quick test.
    /// </summary>
    public static ExploreResult ProveFix(HistoricalBug bug, TimeSpan budget, int bound = 2)
    {
        using var runner = new ScenarioRunner(bug.Scenario, bug.Fixed);
        var options = bug.FixSearch == FixSearch.Proven
            ? new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null, TimeBudget: budget, TrustEmptyFootprints: true)
            : new ExploreOptions(StrategyKind.Dfs, PreemptionBound: bound, Reduction: false, TimeBudget: budget);
        return Explorer.Explore(runner.Build, options with { MaxStepsPerRun = bug.MaxSteps ?? Limits.DefaultMaxStepsPerRun });
    }

    /// <summary>Whether a fix search's pass is the one its bug promises: proven, or exhaustive within bound 2.</summary>
    public static bool Passes(HistoricalBug bug, ExploreResult fix) =>
        fix.Failures.Count == 0 && (bug.FixSearch == FixSearch.Proven ? fix.Proven : fix.Exhausted);
}
