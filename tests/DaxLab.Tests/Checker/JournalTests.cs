using DaxLab.Checker;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

/// <summary>
/// The jbd2 journal's rules (Sync/Journal.cs): nesting in the task's handle, a start that waits
/// while the transaction is locked or full, a commit that waits for every open handle. Checked
/// under the checker over every interleaving, and on real threads with condition barriers.
/// </summary>
public class JournalTests(ITestOutputHelper output)
{
    private static ExploreOptions Every(bool lockOrder = false) => new(StrategyKind.Dfs, PreemptionBound: null, Reduction: false, LockOrder: lockOrder);

    [Fact]
    public void A_second_start_in_the_same_task_nests_and_only_the_outermost_stop_ends_the_handle()
    {
        var journal = Seam.RealThreads.NewJournal("test", maxCredits: 10);
        var outer = journal.Start(4, "outer");
        var inner = journal.Start(4, "inner");
        Assert.Same(outer, inner);
        Assert.Equal(2, outer.References);
        Assert.Equal(1, journal.OpenHandles);
        journal.Stop(inner);
        Assert.Same(outer, journal.CurrentHandle);
        Assert.Equal(1, journal.OpenHandles);
        journal.Stop(outer);
        Assert.Null(journal.CurrentHandle);
        Assert.Equal(0, journal.OpenHandles);
    }

    [Fact]
    public void Misuse_is_refused_a_handle_of_another_task_or_credits_the_journal_cannot_hold()
    {
        var journal = Seam.RealThreads.NewJournal("test", maxCredits: 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.Start(11, "too big"));
        var handle = journal.Start(2, "mine");
        Exception? refused = null;
        var other = new Thread(() =>
        {
            try
            {
                journal.Stop(handle);
            }
            catch (InvalidOperationException e)
            {
                refused = e;
            }
        });
        other.Start();
        other.Join();
        Assert.NotNull(refused);
        Assert.Equal(1, journal.OpenHandles);
        journal.Stop(handle);
    }

    /// <summary>
    /// Real threads: the commit locks the transaction and cannot finish while a handle is open;
    /// the barrier is the journal's own state (locked), not a delay.
    /// </summary>
    [Fact]
    public void On_real_threads_a_commit_waits_for_the_open_handle()
    {
        var journal = Seam.RealThreads.NewJournal("test", maxCredits: 10);
        var handle = journal.Start(3, "holder");
        var committer = new Thread(() => journal.CommitRunning("commit"));
        committer.Start();
        SpinWait.SpinUntil(() => journal.IsLocked);
        Assert.Equal(0, journal.CommittedTid);
        Assert.Equal(1, journal.OpenHandles);
        journal.Stop(handle);
        committer.Join();
        Assert.Equal(1, journal.CommittedTid);
        Assert.False(journal.IsLocked);
        Assert.Equal(2, journal.RunningTid);
    }

    /// <summary>Under the checker, in every interleaving: the commit returns only once the handle it found open has stopped.</summary>
    [Fact]
    public void In_every_interleaving_a_commit_returns_only_after_the_handles_of_its_transaction_stopped()
    {
        int waitedFor = 0;
        RunSetup Setup(Seam seam)
        {
            var journal = seam.NewJournal("test", maxCredits: 10);
            bool open = false;
            return new RunSetup([
                new CpuBody("CPU1 - handle", () =>
                {
                    var handle = journal.Start(3, "ext4_journal_start");
                    open = true;
                    seam.Point("ext4_map_blocks");
                    open = false;
                    journal.Stop(handle);
                }),
                new CpuBody("CPU2 - commit", () =>
                {
                    journal.CommitRunning("jbd2_complete_transaction");
                    if (open)
                        throw new InvalidOperationException("the commit finished with a handle of its transaction open");
                    if (journal.CommittedTid == 1)
                        waitedFor++;
                }),
            ]);
        }
        var result = Explorer.Explore(Setup, Every());
        output.WriteLine(result.ToString());
        Assert.True(result.Exhausted);
        Assert.Empty(result.Failures);
        Assert.True(waitedFor > 0, "some interleaving commits the handle's transaction");
    }

    /// <summary>
    /// A nested start never waits, even while a commit holds the transaction locked: otherwise a
    /// task would wait for the commit that waits for its own handle.
    /// </summary>
    [Fact]
    public void A_nested_start_does_not_wait_for_a_locked_transaction()
    {
        RunSetup Setup(Seam seam)
        {
            var journal = seam.NewJournal("test", maxCredits: 10);
            return new RunSetup([
                new CpuBody("CPU1 - fault in a handle", () =>
                {
                    var outer = journal.Start(5, "ext4_journal_start_sb");
                    seam.Point("grab_mapping_entry");
                    var inner = journal.Start(2, "ext4_journal_start");
                    journal.Stop(inner);
                    journal.Stop(outer);
                }),
                new CpuBody("CPU2 - commit", () => journal.CommitRunning("jbd2_complete_transaction")),
            ]);
        }
        var result = Explorer.Explore(Setup, Every(lockOrder: true));
        Assert.True(result.Exhausted);
        Assert.Empty(result.Failures);
    }

    /// <summary>
    /// CPU1 holds a handle and wants lock L; CPU3 holds L and starts a handle. Alone they are
    /// safe (the start does not wait), which shows lockdep's report is about order, not a
    /// deadlock seen; with a commit between them the start waits for the locked transaction,
    /// the commit for CPU1's handle, CPU1 for L: the deadlock.
    /// </summary>
    private static RunSetup HandleThenLock(Seam seam, bool commit)
    {
        var journal = seam.NewJournal("test", maxCredits: 10);
        var l = seam.NewRwSemaphore("L");
        var cpus = new List<CpuBody>
        {
            new("CPU1 - handle then L", () =>
            {
                var handle = journal.Start(3, "ext4_journal_start");
                using (l.Write())
                    seam.Point("work");
                journal.Stop(handle);
            }),
            new("CPU2 - L then handle", () =>
            {
                using (l.Write())
                    journal.Stop(journal.Start(3, "ext4_journal_start"));
            }),
        };
        if (commit)
            cpus.Add(new("CPU3 - commit", () => journal.CommitRunning("jbd2_complete_transaction")));
        return new RunSetup(cpus);
    }

    [Fact]
    public void Without_a_commit_a_start_does_not_wait_and_no_interleaving_deadlocks()
    {
        var result = Explorer.Explore(seam => HandleThenLock(seam, commit: false), Every());
        Assert.True(result.Exhausted);
        Assert.Empty(result.Failures);
    }

    [Fact]
    public void A_start_waits_while_the_transaction_is_locked_for_commit_which_closes_the_cycle()
    {
        var result = Explorer.Explore(seam => HandleThenLock(seam, commit: true), Every() with { StopOnFailure = true });
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.Deadlock, failure.Kind);
        Assert.Contains("CPU1 - handle then L: asleep at down_write(L)", failure.Message);
        Assert.Contains("CPU2 - L then handle: asleep at wait_transaction_locked", failure.Message);
        Assert.Contains("CPU3 - commit: asleep at jbd2_log_wait_commit", failure.Message);
    }

    [Fact]
    public void Lockdep_reports_the_handle_inversion_from_two_cpus_that_never_deadlock()
    {
        var result = Explorer.Explore(seam => HandleThenLock(seam, commit: false), Every(lockOrder: true));
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.LockOrder, failure.Kind);
        Assert.Equal("possible circular locking dependency detected: L -> jbd2_handle -> L", failure.Message);
        Assert.Contains("(jbd2_handle){read}, at: ext4_journal_start", failure.Detail);
    }

    /// <summary>Two handles whose credits do not fit one transaction never share one: the second start waits for a commit.</summary>
    [Fact]
    public void A_start_whose_credits_do_not_fit_waits_for_the_commit_of_the_full_transaction()
    {
        int separated = 0;
        RunSetup Setup(Seam seam)
        {
            var journal = seam.NewJournal("test", maxCredits: 10);
            long first = 0, second = 0;
            return new RunSetup([
                new CpuBody("CPU1", () =>
                {
                    var h = journal.Start(6, "start");
                    first = h.Tid;
                    seam.Point("work");
                    journal.Stop(h);
                }),
                new CpuBody("CPU2", () =>
                {
                    var h = journal.Start(6, "start");
                    second = h.Tid;
                    journal.Stop(h);
                }),
            ], () =>
            {
                if (first == second)
                    return $"12 credits in one transaction of 10 (both in T{first})";
                separated++;
                return null;
            });
        }
        var result = Explorer.Explore(Setup, Every());
        Assert.True(result.Exhausted);
        Assert.Empty(result.Failures);
        Assert.Equal(result.Schedules, separated);
    }

    /// <summary>The credit wait is a wait for a commit, which waits for the open handle: a lock held across it deadlocks with no committer CPU at all.</summary>
    [Fact]
    public void A_credit_wait_under_a_lock_the_handle_holder_wants_deadlocks()
    {
        RunSetup Setup(Seam seam)
        {
            var journal = seam.NewJournal("test", maxCredits: 10);
            var l = seam.NewRwSemaphore("L");
            return new RunSetup([
                new CpuBody("CPU1 - handle then L", () =>
                {
                    var h = journal.Start(6, "start");
                    using (l.Write())
                        seam.Point("work");
                    journal.Stop(h);
                }),
                new CpuBody("CPU2 - L then handle", () =>
                {
                    using (l.Write())
                        journal.Stop(journal.Start(6, "start"));
                }),
            ]);
        }
        var result = Explorer.Explore(Setup, Every() with { StopOnFailure = true });
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.Deadlock, failure.Kind);
        Assert.Contains("CPU2 - L then handle: asleep at jbd2_log_wait_commit", failure.Message);
    }
}
