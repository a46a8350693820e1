using DaxLab.Checker;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

public class PrimitivesUnderSchedulerTests(ITestOutputHelper output)
{
    /// <summary>
    /// Two waiters on keys that share the table's only bucket; the waker wakes A, reschedules,
    /// then publishes B's condition and wakes B. B checks on waking that its own condition holds.
    /// </summary>
    private static RunSetup TwoKeys(Seam seam, bool wakeB)
    {
        var table = seam.NewWaitQueueTable(bucketCount: 1);
        var mapping = new object();
        var (keyA, keyB) = (new WaitKey(mapping, 1), new WaitKey(mapping, 2));
        bool readyA = false, readyB = false;
        CpuBody Waiter(string label, WaitKey key, Func<bool> ready) => new(label, () =>
        {
            var waiter = table.Prepare(key);
            if (ready())
            {
                table.Finish(waiter);
                return;
            }
            table.Sleep(waiter, "dax_wait_entry");
            seam.Note("woken");
            if (!ready())
                throw new InvalidOperationException($"woken for index {key.Index} before its condition holds");
        });
        var waker = new CpuBody("CPU3 - waker", () =>
        {
            readyA = true;
            table.Wake(keyA, all: false);
            seam.Point("dax_wake_entry");
            if (!wakeB)
                return;
            readyB = true;
            table.Wake(keyB, all: false);
        });
        return new RunSetup([Waiter("CPU1 - waits on A", keyA, () => readyA), Waiter("CPU2 - waits on B", keyB, () => readyB), waker]);
    }

    [Fact]
    public void A_waiter_is_woken_only_for_its_key()
    {
        var result = Explorer.Explore(seam => TwoKeys(seam, wakeB: true), new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null));
        output.WriteLine(result.ToString());
        Assert.True(result.Exhausted);
        Assert.Empty(result.Failures);
    }

    [Fact]
    public void A_waiter_whose_key_is_never_woken_is_reported_asleep()
    {
        var result = Explorer.Explore(seam => TwoKeys(seam, wakeB: false), new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null));
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.Deadlock, failure.Kind);
        Assert.Contains("CPU2 - waits on B: asleep at dax_wait_entry on wait queue entry for index 2", failure.Message);
        Assert.Contains("CPU1 - waits on A: finished", failure.Message);
    }

    [Fact]
    public void A_cpu_that_throws_is_reported_with_its_label_and_the_others_are_unwound()
    {
        int unwound = 0;
        RunSetup Thrower(Seam seam)
        {
            var lk = seam.NewSpinLock("shared");
            bool waiting = false;
            return new RunSetup([
                new CpuBody("CPU1 - throws", () =>
                {
                    lk.Lock();
                    seam.Point("before_throw");
                    if (waiting)
                        throw new InvalidOperationException("boom");
                    lk.Unlock();
                }),
                new CpuBody("CPU2 - waits", () =>
                {
                    try
                    {
                        waiting = true;
                        using (lk.Hold())
                            seam.Point("holding");
                    }
                    finally
                    {
                        Interlocked.Increment(ref unwound);
                    }
                }),
            ]);
        }
        var result = Explorer.Explore(Thrower, new ExploreOptions(StrategyKind.Dfs));
        var failure = Assert.Single(result.Failures);
        output.WriteLine(failure.ToString());
        Assert.Equal(FailureKind.Exception, failure.Kind);
        Assert.Equal("CPU1 - throws threw InvalidOperationException: boom", failure.Message);
        Assert.Equal(0, failure.Cpu);
        Assert.Contains("boom", failure.Detail);

        int before = unwound;
        var replay = Explorer.Replay(Thrower, failure.ReplayToken);
        Assert.Equal(failure.Message, replay.Failure?.Message);
        Assert.Equal(before + 1, unwound);
    }

    [Fact]
    public void Blocking_in_the_end_check_is_refused_with_a_reason()
    {
        RunSetup Scenario(Seam seam)
        {
            var lk = seam.NewSpinLock("left_held");
            return new RunSetup([new CpuBody("CPU1 - leaks a lock", lk.Lock)], () => { lk.Lock(); return null; });
        }
        var failure = Assert.Single(Explorer.Explore(Scenario, new ExploreOptions(StrategyKind.Dfs)).Failures);
        Assert.Equal(FailureKind.EndCheck, failure.Kind);
        Assert.Contains("outside every CPU", failure.Message);
    }
}
