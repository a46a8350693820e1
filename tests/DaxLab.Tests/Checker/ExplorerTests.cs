using DaxLab.Checker;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

public class ExplorerTests(ITestOutputHelper output)
{
    private static ExploreOptions Dfs(int? bound = 2, bool reduction = true) => new(StrategyKind.Dfs, PreemptionBound: bound, Reduction: reduction);

    [Fact]
    public void Dfs_finds_the_lost_update_with_one_preemption()
    {
        var result = Explorer.Explore(seam => Toys.Counter(seam, locked: false), Dfs(bound: 1));
        output.WriteLine(result.ToString());
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.EndCheck, failure.Kind);
        Assert.Equal("end check: counter is 1, expected 2", failure.Message);
        Assert.Equal(1, failure.Preemptions);
        Assert.True(result.Exhausted);
    }

    [Fact]
    public void Without_preemptions_the_lost_update_cannot_happen()
    {
        var result = Explorer.Explore(seam => Toys.Counter(seam, locked: false), Dfs(bound: 0));
        Assert.Empty(result.Failures);
        Assert.True(result.Exhausted);
    }

    [Fact]
    public void The_fewest_preemption_example_is_kept()
    {
        var result = Explorer.Explore(seam => Toys.Counter(seam, locked: false, cpus: 3), Dfs(bound: 3));
        output.WriteLine(result.ToString());
        Assert.NotEmpty(result.Failures);
        Assert.All(result.Failures, f => Assert.Equal(1, f.Preemptions));
    }

    [Theory]
    [InlineData(StrategyKind.Random)]
    [InlineData(StrategyKind.Pct)]
    public void Random_strategies_find_the_lost_update_within_a_small_budget(StrategyKind strategy)
    {
        var result = Explorer.Explore(seam => Toys.Counter(seam, locked: false), new ExploreOptions(strategy, Seed: 42, MaxSchedules: 200));
        output.WriteLine(result.ToString());
        var failure = Assert.Single(result.Failures);
        Assert.Equal(1, failure.Preemptions);
        Assert.Equal(200, result.Schedules);
        Assert.False(result.Exhausted);
    }

    [Theory]
    [InlineData(2, null, true)]
    [InlineData(2, null, false)]
    [InlineData(3, 2, true)]
    public void The_counter_under_a_spinlock_passes_and_the_space_is_exhausted(int cpus, int? bound, bool reduction)
    {
        var result = Explorer.Explore(seam => Toys.Counter(seam, locked: true, cpus: cpus), Dfs(bound, reduction));
        output.WriteLine(result.ToString());
        Assert.Empty(result.Failures);
        Assert.True(result.Exhausted);
    }

    [Fact]
    public void Undeclared_accesses_do_not_let_the_reduction_hide_the_race()
    {
        var result = Explorer.Explore(seam => Toys.Counter(seam, locked: false, declare: false), Dfs(bound: 1));
        Assert.Equal("end check: counter is 1, expected 2", Assert.Single(result.Failures).Message);
    }

    [Fact]
    public void Ab_ba_spinlocks_deadlock_and_the_report_names_both_waits()
    {
        var result = Explorer.Explore(Toys.AbBaSpinlocks, Dfs());
        var failure = Assert.Single(result.Failures, f => f.Kind == FailureKind.Deadlock);
        output.WriteLine(failure.ToString());
        Assert.Contains("CPU1 - A then B: asleep at spin_lock(B) on spinlock B", failure.Message);
        Assert.Contains("CPU2 - B then A: asleep at spin_lock(A) on spinlock A", failure.Message);
        Assert.Equal(1, failure.Preemptions);
    }

    [Fact]
    public void Ab_ba_rw_semaphores_deadlock_and_the_report_names_both_waits()
    {
        var result = Explorer.Explore(Toys.AbBaRwSemaphores, Dfs());
        var failure = Assert.Single(result.Failures, f => f.Kind == FailureKind.Deadlock);
        output.WriteLine(failure.ToString());
        Assert.Contains("CPU1 - write(2): asleep at down_read(mmap_sem) on rw_semaphore mmap_sem", failure.Message);
        Assert.Contains("CPU2 - page fault: asleep at down_read(i_rwsem) on rw_semaphore i_rwsem", failure.Message);
    }

    [Fact]
    public void Progress_reports_every_run_with_its_place_in_the_tree()
    {
        var seen = new List<ExploreProgress>();
        var result = Explorer.Explore(seam => Toys.Independent(seam, cpus: 3, steps: 1, resources: 3),
            Dfs(bound: null, reduction: false) with { Progress = seen.Add });
        Assert.Equal(6, result.Schedules);
        Assert.Equal([1, 2, 3, 4, 5, 6], seen.Select(p => p.Schedules));
        // Three first choices, two second ones: an even tree, where a run's place is exact.
        Assert.Equal([0, 1 / 6.0, 2 / 6.0, 3 / 6.0, 4 / 6.0, 5 / 6.0], seen.Select(p => p.Share!.Value), new ToleranceComparer(1e-9));
        Assert.All(seen, p => Assert.Equal(3, p.Steps));
        Assert.All(seen, p => Assert.Null(p.Bound));
    }

    [Fact]
    public void Random_strategies_report_no_share_of_a_tree()
    {
        var seen = new List<ExploreProgress>();
        Explorer.Explore(seam => Toys.Counter(seam, locked: false), new ExploreOptions(StrategyKind.Random, MaxSchedules: 5, Progress: seen.Add));
        Assert.Equal(5, seen.Count);
        Assert.All(seen, p => Assert.Null(p.Share));
        Assert.Equal(1, seen[^1].Failures);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double value) => 0;
    }

    [Fact]
    public void A_spin_loop_without_a_blocking_call_hits_the_step_limit()
    {
        static RunSetup Spinner(Seam seam)
        {
            bool flag = false;
            return new RunSetup([
                new CpuBody("CPU1 - spins", () => { while (!flag) seam.Point("cpu_relax"); }),
                new CpuBody("CPU2 - sets", () => flag = true),
            ]);
        }
        var result = Explorer.Explore(Spinner, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: 0, MaxStepsPerRun: 100));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(FailureKind.StepLimit, failure.Kind);
        Assert.Contains("MaxStepsPerRun", failure.Message);
        Assert.Contains("CPU1 - spins: runnable at cpu_relax", failure.Detail);
    }
}
