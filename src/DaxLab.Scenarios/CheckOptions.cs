using DaxLab.Checker;

namespace DaxLab.Scenarios;

/// <summary>
/// How <see cref="ScenarioChecker.Check(Scenario, string, CheckOptions?)"/> searches: the
/// strategy, its bound and its budgets. The defaults are those of <c>daxlab check</c> for one
/// cell: depth-first with dynamic partial-order reduction and no preemption bound, so a pass is
/// a proof when the search finishes within its budget.
/// </summary>
public sealed record CheckOptions
{
    /// <summary>The search strategy; <see cref="StrategyKind.Dfs"/> (the default) is the only one that can prove a pass.</summary>
    public StrategyKind Strategy { get; init; } = StrategyKind.Dfs;

    /// <summary>The most preemptions a schedule may have; null (the default) for none, which DFS searches with DPOR.</summary>
    public int? PreemptionBound { get; init; }

    /// <summary>How long the search may run; null (the default) for no time limit.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>The most schedules (runs) the search makes; the default is the checker's, 100,000.</summary>
    public long MaxSchedules { get; init; } = Limits.DefaultMaxSchedules;

    /// <summary>Stop at the first failure instead of looking for every distinct one.</summary>
    public bool StopAtFirstFailure { get; init; }

    /// <summary>Prune equivalent interleavings (DPOR or sleep sets); off only to compare counts. On by default.</summary>
    public bool Reduction { get; init; } = true;

    /// <summary>
    /// Treat a step that declares no shared access as independent of every other (the engine
    /// declares every access outside its locks; docs/checker.md). On by default, as in <c>daxlab check</c>.
    /// </summary>
    public bool TrustEmptyFootprints { get; init; } = true;

    /// <summary>Validate the lock order across every run, as lockdep does, and fail on a cycle. On by default.</summary>
    public bool LockOrder { get; init; } = true;

    /// <summary>
    /// DFS without a preemption bound: first search with bounds 0 and 1 (small passes), so that
    /// each failure's first example has the fewest preemptions, then unbounded. On by default;
    /// off, the unbounded pass runs alone (how <c>daxlab check --compare-reduction</c> counts schedules).
    /// </summary>
    public bool FewestPreemptionsFirst { get; init; } = true;

    /// <summary>
    /// Run the scenario's setup once and start every later run from a copy of the state it left
    /// (<c>SetupSnapshot</c>: objects copied, device bytes copy-on-write), instead of running the
    /// setup in every run. Same schedules, verdicts and replay tokens either way, faster with it.
    /// On by default; off for <c>daxlab check --compare-snapshot</c>'s other half.
    /// </summary>
    public bool SetupSnapshot { get; init; } = true;

    /// <summary>PCT: the bug depth the random priorities aim at.</summary>
    public int PctDepth { get; init; } = Limits.DefaultPctDepth;

    /// <summary>PCT and random walk: the seed of the first run.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>DFS with a preemption bound: search only shard <c>Index</c> of <c>Count</c> (1-based); null for the whole tree.</summary>
    public (int Index, int Count)? Shard { get; init; }

    /// <summary>Called on the searching thread after every run, with where the search stands.</summary>
    public Action<ExploreProgress>? Progress { get; init; }

    /// <summary>Stops the search; the verdict then says how far it got (<see cref="StopReason.Cancelled"/>).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The checker's options for a search with these settings.</summary>
    internal ExploreOptions ToExplore() => new(Strategy, PreemptionBound, Reduction, PctDepth, Seed, MaxSchedules, TimeBudget, Shard,
        TrustEmptyFootprints: TrustEmptyFootprints, StopOnFailure: StopAtFirstFailure, LockOrder: LockOrder, Progress: Progress,
        FirstPassesBound: FewestPreemptionsFirst ? Limits.FirstPassesBound : null);
}
