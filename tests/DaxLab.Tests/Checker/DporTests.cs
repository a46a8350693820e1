using DaxLab.Checker;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

/// <summary>
/// Soundness of the unbounded search with source-set DPOR: on toy programs with known numbers of
/// Mazurkiewicz traces it completes one run per trace, and it finds the failures and final states
/// the unreduced search finds.
/// </summary>
public class DporTests(ITestOutputHelper output)
{
    // The unbounded pass alone, so that the counts are its own.
    private static readonly ExploreOptions Dpor = new(StrategyKind.Dfs, PreemptionBound: null, FirstPassesBound: null);
    private static readonly ExploreOptions Unreduced = Dpor with { Reduction = false };

    /// <summary>What one search saw: its result, its complete runs' traces (one key per trace), their final states.</summary>
    private sealed record Search(ExploreResult Result, int CompleteRuns, HashSet<string> Traces, HashSet<string> Finals)
    {
        public IEnumerable<string> FailureMessages => Result.Failures.Select(f => f.Message).Order();
    }

    private Search Run(Func<Seam, ISet<string>, RunSetup> toy, ExploreOptions options)
    {
        var finals = new HashSet<string>();
        var traces = new HashSet<string>();
        int complete = 0;
        var result = Explorer.Explore(seam => toy(seam, finals), options, run =>
        {
            if (run.Pruned)
                return;
            complete++;
            traces.Add(TraceKey(run));
        });
        output.WriteLine($"{result}; {complete} complete runs, {traces.Count} traces, {finals.Count} final states");
        return new Search(result, complete, traces, finals);
    }

    /// <summary>
    /// A run's Mazurkiewicz trace: each CPU's step count, and the order of every two conflicting
    /// steps of different CPUs (a common resource, one writes it), steps named by CPU and index.
    /// Computed here from the footprints, independently of the search's own happens-before.
    /// </summary>
    private static string TraceKey(RunResult run)
    {
        var local = new int[run.Trace.Count];
        var counts = new int[Limits.MaxCpus];
        for (int i = 0; i < run.Trace.Count; i++)
            local[i] = counts[run.Trace[i].Cpu]++;
        var pairs = new List<string>();
        for (int j = 0; j < run.Trace.Count; j++)
        {
            for (int i = 0; i < j; i++)
            {
                if (run.Trace[i].Cpu != run.Trace[j].Cpu && Conflict(run.Footprints[i], run.Footprints[j]))
                    pairs.Add($"{run.Trace[i].Cpu}.{local[i]}<{run.Trace[j].Cpu}.{local[j]}");
            }
        }
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(",", counts) + "|" + string.Join(" ", pairs);
    }

    private static bool Conflict(Footprint a, Footprint b)
    {
        if (a.IsEmpty || b.IsEmpty)
            return true;
        var bAccesses = b.Accesses.ToDictionary(x => x.Key, x => x.Value);
        return a.Accesses.Any(x => bAccesses.TryGetValue(x.Key, out bool w) && (w || x.Value));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Independent_writers_are_one_trace(int cpus)
    {
        var dpor = Run((seam, finals) => Toys.Writers(seam, cpus, shared: false, finals), Dpor);
        Assert.True(dpor.Result.Proven);
        Assert.Equal(1, dpor.CompleteRuns);
        Assert.Single(dpor.Finals);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 6)]
    [InlineData(4, 24)]
    [InlineData(5, 120)]
    public void Writers_of_one_variable_are_n_factorial_traces(int cpus, int traces)
    {
        var dpor = Run((seam, finals) => Toys.Writers(seam, cpus, shared: true, finals), Dpor);
        var full = Run((seam, finals) => Toys.Writers(seam, cpus, shared: true, finals), Unreduced);
        Assert.True(dpor.Result.Proven && full.Result.Proven);
        Assert.Equal(traces, full.Traces.Count);
        Assert.Equal(traces, dpor.CompleteRuns);
        Assert.Equal(full.Traces, dpor.Traces);
        Assert.Equal(full.Finals, dpor.Finals);
    }

    /// <summary>
    /// The reduced and the unreduced searches of a toy: the same traces, final states and
    /// failures, and the reduced one completes exactly one run per trace.
    /// </summary>
    private (Search Dpor, Search Full) Compare(Func<Seam, ISet<string>, RunSetup> toy)
    {
        var dpor = Run(toy, Dpor);
        var full = Run(toy, Unreduced);
        Assert.True(dpor.Result.Exhausted && full.Result.Exhausted);
        Assert.Equal(full.Traces.Order(), dpor.Traces.Order());
        Assert.Equal(full.Traces.Count, dpor.CompleteRuns);
        Assert.Equal(full.Finals.Order(), dpor.Finals.Order());
        Assert.Equal(full.FailureMessages, dpor.FailureMessages);
        return (dpor, full);
    }

    [Theory]
    [InlineData(3, 1, 8)]
    [InlineData(4, 1, 16)]
    [InlineData(2, 2, 18)]
    [InlineData(2, 3, 96)]
    public void Readers_and_writers_are_w_factorial_times_w_plus_1_to_the_r_traces(int readers, int writers, int traces)
    {
        var (dpor, _) = Compare((seam, finals) => Toys.ReadersWriters(seam, readers, writers, finals));
        Assert.Equal(traces, dpor.Traces.Count);
        Assert.NotEmpty(dpor.Result.Failures);
    }

    [Theory]
    [InlineData(2, 5, 35)]
    [InlineData(3, 12, 920)]
    public void Lastzero_completes_one_run_per_trace(int n, int traces, int unreducedRuns)
    {
        var (dpor, full) = Compare((seam, finals) => Toys.LastZero(seam, n, finals));
        Assert.Equal(traces, dpor.Traces.Count);
        Assert.Equal(unreducedRuns, full.CompleteRuns);
    }

    [Theory]
    [InlineData(2, 3, 4)]
    public void Indexer_with_collisions_completes_one_run_per_trace(int cpus, int messages, int traces)
    {
        var (dpor, _) = Compare((seam, finals) => Toys.Indexer(seam, cpus, messages, stride: 1, size: 8, finals));
        Assert.Equal(traces, dpor.Traces.Count);
    }

    [Fact]
    public void Indexer_without_collisions_is_one_trace_even_with_eight_cpus()
    {
        // 8 CPUs of 4 inserts each: 32! / (4!)^8, about 10^26 schedules unreduced.
        var dpor = Run((seam, finals) => Toys.Indexer(seam, cpus: 8, messages: 4, finals: finals), Dpor);
        Assert.True(dpor.Result.Proven);
        Assert.Equal(1, dpor.CompleteRuns);
    }

    [Fact]
    public void Failures_found_by_dpor_replay_exactly_and_the_search_is_deterministic()
    {
        Func<Seam, RunSetup> lastzero = seam => Toys.LastZero(seam, 3);
        var first = Explorer.Explore(lastzero, Dpor);
        var second = Explorer.Explore(lastzero, Dpor);
        Assert.NotEmpty(first.Failures);
        Assert.Equal(first.Schedules, second.Schedules);
        Assert.Equal(first.Failures.Select(f => f.ReplayToken), second.Failures.Select(f => f.ReplayToken));
        foreach (var failure in first.Failures)
        {
            var replay = Explorer.Replay(lastzero, failure.ReplayToken);
            Assert.Equal(failure.Message, replay.Failure?.Message);
            Assert.Equal(failure.Trace, replay.Trace);
        }
    }

    [Fact]
    public void The_first_passes_give_each_failure_its_fewest_preemptions()
    {
        // The unbounded pass alone may first meet the lost update with more preemptions than it needs.
        Func<Seam, RunSetup> racy = seam => Toys.Counter(seam, locked: false, cpus: 3);
        var result = Explorer.Explore(racy, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null));
        output.WriteLine(result.ToString());
        Assert.True(result.Stop == StopReason.Exhausted);
        Assert.All(result.Failures, f => Assert.Equal(1, f.Preemptions));
    }

    [Fact]
    public void A_sleeper_and_the_wake_up_that_ends_its_sleep_are_never_reordered()
    {
        // The ABBA deadlock and the counter under a lock: spinlocks sleep and wake each other.
        // Lockdep would add its report of the same cycle; the deadlock is what the reduction must keep.
        var abba = Run((seam, _) => Toys.AbBaSpinlocks(seam), Dpor with { LockOrder = false });
        var abbaFull = Run((seam, _) => Toys.AbBaSpinlocks(seam), Unreduced with { LockOrder = false });
        Assert.Single(abba.Result.Failures);
        Assert.Equal(abbaFull.FailureMessages, abba.FailureMessages);
        Assert.Equal(abbaFull.Traces.Order(), abba.Traces.Order());
        var locked = Compare((seam, finals) => Toys.Counter(seam, locked: true, cpus: 2));
        Assert.Empty(locked.Dpor.Result.Failures);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(2)]
    public void Verdict_words_say_how_far_the_search_went(int? bound)
    {
        var proven = Explorer.Explore(seam => Toys.Counter(seam, locked: true), new ExploreOptions(StrategyKind.Dfs, PreemptionBound: bound));
        Assert.Equal(bound is null ? $"pass (proven, no bound, {proven.Schedules} schedules)" : $"pass (exhaustive within bound 2, {proven.Schedules} schedules)", proven.Verdict);
        var cut = Explorer.Explore(seam => Toys.Counter(seam, locked: true, cpus: 3), new ExploreOptions(StrategyKind.Dfs, PreemptionBound: bound, MaxSchedules: 3));
        Assert.Equal("pass (3 schedules, not exhaustive: schedule limit)", cut.Verdict);
        Assert.Equal(StopReason.ScheduleLimit, cut.Stop);
    }
}
