using DaxLab.Checker;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

/// <summary>Lock-order validation (lockdep): cycles in the class graph of every run of an exploration.</summary>
public class LockOrderTests(ITestOutputHelper output)
{
    private static ExploreOptions Dfs(bool lockOrder = true) => new(StrategyKind.Dfs, PreemptionBound: null, Reduction: false, LockOrder: lockOrder);

    [Fact]
    public void An_inversion_across_runs_is_reported_with_both_acquisition_stacks_though_no_schedule_deadlocks()
    {
        var result = Explorer.Explore(seam => Toys.ClaimThenLock(seam, inverted: true), Dfs());
        output.WriteLine(result.ToString());
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.True(result.Exhausted);
        Assert.Equal(FailureKind.LockOrder, failure.Kind);
        Assert.Equal("possible circular locking dependency detected: A -> B -> A", failure.Message);
        var detail = failure.Detail!;
        Assert.Contains("CPU2 - B then A is trying to acquire lock:\n (A){write}, at: down_write(A)", detail);
        Assert.Contains("but it already holds lock:\n (B){write}, at: down_write(B)", detail);
        Assert.Contains("-> #1 (B), on CPU1 - A then B in the run ", detail);
        Assert.Contains(" (A){write}, at: down_write(A)\n       down_write(A)\n       claim\n", detail);
        Assert.Contains("*** DEADLOCK ***", detail);
        Assert.Equal(1, failure.Cpu);
    }

    [Fact]
    public void The_report_names_the_earlier_run_and_each_run_replays_one_order()
    {
        var failure = Assert.Single(Explorer.Explore(seam => Toys.ClaimThenLock(seam, inverted: true), Dfs()).Failures);
        string earlier = failure.Detail!.Split("in the run ")[1].Split(',')[0];
        Assert.NotEqual(failure.ReplayToken, earlier);
        // Each run alone takes the locks in one order: a replay, with a lockdep of its own, finds no cycle.
        Assert.Empty(Explorer.Replay(seam => Toys.ClaimThenLock(seam, inverted: true), failure.ReplayToken).LockOrderFailures);
        Assert.Empty(Explorer.Replay(seam => Toys.ClaimThenLock(seam, inverted: true), earlier).LockOrderFailures);
    }

    [Fact]
    public void A_consistent_order_is_not_reported()
    {
        var result = Explorer.Explore(seam => Toys.ClaimThenLock(seam, inverted: false), Dfs());
        Assert.Empty(result.Failures);
        Assert.True(result.Exhausted);
    }

    [Fact]
    public void Rw_semaphore_readers_are_not_recursive_so_a_read_read_inversion_is_reported()
    {
        var failure = Assert.Single(Explorer.Explore(seam => Toys.ClaimThenLock(seam, inverted: true, read: true), Dfs()).Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.LockOrder, failure.Kind);
        Assert.Contains(" (A){read}, at: down_read(A)", failure.Detail);
    }

    [Fact]
    public void Validation_switched_off_reports_nothing()
    {
        var result = Explorer.Explore(seam => Toys.ClaimThenLock(seam, inverted: true), Dfs(lockOrder: false));
        Assert.Empty(result.Failures);
    }

    [Fact]
    public void Two_instances_of_one_class_nest_only_under_a_subclass()
    {
        var plain = Assert.Single(Explorer.Explore(seam => Toys.NestedInstances(seam, subclass: 0), Dfs()).Failures);
        output.WriteLine(plain.ToString());
        Assert.Equal(FailureKind.LockOrder, plain.Kind);
        Assert.Equal("possible recursive locking detected: ILOCK acquired while holding ILOCK", plain.Message);
        Assert.Empty(Explorer.Explore(seam => Toys.NestedInstances(seam, subclass: 1), Dfs()).Failures);
    }

    [Fact]
    public void An_inversion_within_one_run_is_reported_next_to_its_deadlock_and_replays()
    {
        var result = Explorer.Explore(Toys.AbBaSpinlocks, Dfs());
        Assert.Contains(result.Failures, f => f.Kind == FailureKind.Deadlock);
        var lockOrder = Assert.Single(result.Failures, f => f.Kind == FailureKind.LockOrder);
        Assert.Equal("possible circular locking dependency detected: A -> B -> A", lockOrder.Message);
        var replay = Explorer.Replay(Toys.AbBaSpinlocks, lockOrder.ReplayToken);
        Assert.Equal(lockOrder.Message, Assert.Single(replay.LockOrderFailures).Message);
    }
}
