using System.Diagnostics;
using DaxLab.Sync;

namespace DaxLab.Checker;

/// <summary>
/// Explores the interleavings of a scenario: the factory builds fresh state for every run
/// (called once per run with a new <see cref="Seam"/>), a strategy chooses the schedules.
/// </summary>
public static class Explorer
{
    public static ExploreResult Explore(Func<Seam, RunSetup> factory, ExploreOptions options, CancellationToken ct = default) =>
        Explore(factory, options, observe: null, ct);

    /// <summary>As above, showing <paramref name="observe"/> every run the search counts (the soundness tests compare the runs' traces).</summary>
    internal static ExploreResult Explore(Func<Seam, RunSetup> factory, ExploreOptions options, Action<RunResult>? observe, CancellationToken ct = default)
    {
        options.Validate();
        var tally = new Tally(options, observe, ct);
        var stop = options.Strategy == StrategyKind.Dfs ? ExploreDfs(factory, options, tally) : ExploreRandom(factory, options, tally);
        return new ExploreResult(options, tally.Schedules, tally.Pruned, stop, tally.Elapsed, tally.Failures);
    }

    /// <summary>Re-executes exactly the schedule of <paramref name="token"/> (from a <see cref="Failure"/>).</summary>
    /// <exception cref="InvalidOperationException">The run departs from the token: the scenario is not deterministic.</exception>
    public static RunResult Replay(Func<Seam, RunSetup> factory, string token)
    {
        var schedule = ReplayToken.Decode(token);
        var chooser = new ReplayChooser(schedule);
        // The original's step count as the limit: a step-limit failure recurs at the same step.
        var run = ScheduledRun.Execute(factory, chooser, schedule.Header, schedule.Steps, new LockDep());
        chooser.CheckComplete(run);
        return run;
    }

    /// <summary>
    /// DFS with iterative preemption bounding: bound 0, 1, ... up to the option's bound, so the
    /// first example of each failure has the fewest preemptions. Without a bound, the passes
    /// with bounds up to <see cref="ExploreOptions.FirstPassesBound"/> come first, for the same reason,
    /// then the unbounded pass (with DPOR when reduction is on). Returns why the search stopped.
    /// </summary>
    private static StopReason ExploreDfs(Func<Seam, RunSetup> factory, ExploreOptions options, Tally tally)
    {
        var header = new ReplayToken.Header(StrategyKind.Dfs, 0);
        foreach (int? bound in Passes(options.PreemptionBound, options.FirstPassesBound))
        {
            tally.Bound = bound;
            // The passes before an unbounded one are there to show each failure with the fewest
            // preemptions, which sleep sets cannot promise within a bound: the run they keep of a
            // trace may need more preemptions than the one they cut (range-lock's
            // pread-vs-overwrite: a torn read with 1 preemption cut in pass 1, found by DPOR with
            // 2). Those passes are small, so they run unreduced.
            bool reduce = options.Reduction && (bound is null || options.PreemptionBound is not null);
            var dfs = new DfsSearch(bound, reduce, options.TrustEmptyFootprints, options.Shard);
            bool more = true;
            while (more)
            {
                if (tally.Stopped is { } stop)
                    return stop;
                var run = ScheduledRun.Execute(factory, dfs, header, options.MaxStepsPerRun, tally.LockDep);
                if (dfs.Owns(run))
                    tally.Record(run);
                more = dfs.Backtrack(run);
            }
        }
        return options.PreemptionBound is null ? StopReason.Exhausted : StopReason.BoundExhausted;
    }

    /// <summary>The preemption bound of each pass, the last one's being the search's.</summary>
    private static IEnumerable<int?> Passes(int? bound, int? firstPassesBound)
    {
        int last = bound ?? firstPassesBound ?? -1;
        for (int b = 0; b <= last; b++)
            yield return b;
        if (bound is null)
            yield return null;
    }

    /// <summary>
    /// PCT or random walk: independent seeded runs until the budget ends. PCT's first run has no
    /// change points and measures k, the run length; later runs raise k to the longest seen.
    /// </summary>
    private static StopReason ExploreRandom(Func<Seam, RunSetup> factory, ExploreOptions options, Tally tally)
    {
        var header = new ReplayToken.Header(options.Strategy, options.Seed);
        int expectedSteps = 1;
        for (long r = 0; ; r++)
        {
            if (tally.Stopped is { } stop)
                return stop;
            var rng = SplitMix64.ForRun(options.Seed, r);
            IChooser chooser = options.Strategy == StrategyKind.Random
                ? new RandomChooser(rng)
                : new PctChooser(rng, r == 0 ? 1 : options.PctDepth, expectedSteps);
            var run = ScheduledRun.Execute(factory, chooser, header, options.MaxStepsPerRun, tally.LockDep);
            expectedSteps = Math.Max(expectedSteps, run.Trace.Count);
            tally.Record(run);
        }
    }

    /// <summary>Counts runs against the budget and keeps one example of each failure, the one with the fewest preemptions.</summary>
    private sealed class Tally(ExploreOptions options, Action<RunResult>? observe, CancellationToken ct)
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly List<Failure> failures = [];

        /// <summary>The lock-order graph every run of the exploration adds to, or null when it is off.</summary>
        public LockDep? LockDep { get; } = options.LockOrder ? new LockDep() : null;

        public long Schedules { get; private set; }

        /// <summary>DFS: the preemption bound of the pass under way, for progress reports.</summary>
        public int? Bound { private get; set; }

        public long Pruned { get; private set; }

        public TimeSpan Elapsed => clock.Elapsed;

        public IReadOnlyList<Failure> Failures => failures;

        /// <summary>The budget that ends the search now, or null while it may go on.</summary>
        public StopReason? Stopped =>
            options.StopOnFailure && failures.Count > 0 ? StopReason.FirstFailure
            : Schedules >= options.MaxSchedules ? StopReason.ScheduleLimit
            : options.TimeBudget is { } budget && clock.Elapsed >= budget ? StopReason.TimeBudget
            : ct.IsCancellationRequested ? StopReason.Cancelled
            : null;

        public void Record(RunResult run)
        {
            observe?.Invoke(run);
            Schedules++;
            if (run.Pruned)
                Pruned++;
            foreach (var lockOrder in run.LockOrderFailures)
                Keep(lockOrder);
            if (run.Failure is { } failure)
                Keep(failure);
            Report(run);
        }

        /// <summary>Tells <see cref="ExploreOptions.Progress"/> where the search stands after <paramref name="run"/>.</summary>
        private void Report(RunResult run)
        {
            if (options.Progress is not { } progress)
                return;
            bool dfs = options.Strategy == StrategyKind.Dfs;
            progress(new ExploreProgress(Schedules, Elapsed, run.Trace.Count, failures.Count, dfs ? Bound : null, dfs ? run.TreePosition : null));
        }

        /// <summary>Adds a failure, or replaces the example of the same failure if this one is smaller.</summary>
        private void Keep(Failure failure)
        {
            int same = failures.FindIndex(f => f.Message == failure.Message);
            if (same < 0)
                failures.Add(failure);
            else if (IsSmaller(failure, failures[same]))
                failures[same] = failure;
        }

        /// <summary>Fewer preemptions, then fewer steps: the easier counterexample to read.</summary>
        private static bool IsSmaller(Failure a, Failure b) =>
            a.Preemptions < b.Preemptions || (a.Preemptions == b.Preemptions && a.Trace.Count < b.Trace.Count);
    }
}
