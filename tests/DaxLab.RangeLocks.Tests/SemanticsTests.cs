namespace DaxLab.RangeLocks.Tests;

/// <summary>
/// Semantics every range lock must have, run against each variant. No sleeps: every wait below is
/// for something the test itself causes, and "still waiting" is checked only where the lock cannot
/// have granted yet.
/// </summary>
public abstract class SemanticsTests
{
    private protected abstract RangeLock NewLock();

    [Fact]
    public void Readers_share_overlapping_ranges()
    {
        var rl = NewLock();
        using var a = rl.AcquireRead(0, 10);
        Assert.True(rl.TryAcquireRead(5, 15, out var b));
        b.Dispose();
    }

    [Fact]
    public void A_writer_excludes_overlapping_readers_and_writers()
    {
        var rl = NewLock();
        using (rl.AcquireWrite(10, 20))
        {
            Assert.False(rl.TryAcquireRead(19, 30, out var r));
            Assert.False(r.IsAcquired);
            Assert.False(rl.TryAcquireWrite(0, 11, out _));
        }
        using var w = rl.AcquireRead(10, 20);
        Assert.False(rl.TryAcquireWrite(15, 16, out _));
    }

    [Fact]
    public void Disjoint_and_adjacent_ranges_do_not_conflict()
    {
        var rl = NewLock();
        using var a = rl.AcquireWrite(0, 10);
        Assert.True(rl.TryAcquireWrite(10, 20, out var b), "half-open ranges that touch do not overlap");
        Assert.True(rl.TryAcquireWrite(-10, 0, out var c));
        Assert.True(rl.TryAcquireRead(100, long.MaxValue, out var d));
        b.Dispose();
        c.Dispose();
        d.Dispose();
    }

    [Fact]
    public async Task A_waiting_writer_is_granted_when_the_holder_releases()
    {
        var rl = NewLock();
        var held = rl.AcquireRead(0, 10);
        var pending = rl.AcquireWriteAsync(5, 6);
        Assert.False(pending.IsCompleted);
        held.Dispose();
        var w = await Hang.Guard(pending, "the writer");
        Assert.True(w.IsWrite);
        Assert.Equal((5L, 6L), (w.Start, w.End));
        w.Dispose();
    }

    [Fact]
    public async Task A_blocked_synchronous_waiter_wakes_on_release_from_another_thread()
    {
        var rl = NewLock();
        var held = rl.AcquireWrite(0, 10);
        RangeLockReleaser got = default;
        var waiter = StartAndWaitUntilAsleep(() => got = rl.AcquireWrite(0, 10));
        await Task.Run(held.Dispose);
        Assert.True(waiter.Join(Hang.Limit), "the blocked writer was never woken");
        Assert.True(got.IsAcquired);
        got.Dispose();
    }

    /// <summary>
    /// Starts <paramref name="body"/> on its own thread and returns once that thread sleeps (or
    /// ended), so what follows meets a waiter that is really blocked, not one still on its way.
    /// </summary>
    private static Thread StartAndWaitUntilAsleep(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true };
        thread.Start();
        Assert.True(SpinWait.SpinUntil(() => (thread.ThreadState & ThreadState.WaitSleepJoin) != 0 || !thread.IsAlive, Hang.Limit),
            "the waiter neither slept nor ended");
        return thread;
    }

    [Fact]
    public async Task A_releaser_stays_valid_across_await_and_threads()
    {
        var rl = NewLock();
        var r = await rl.AcquireWriteAsync(0, 10);
        await Task.Yield();
        await Task.Run(r.Dispose);
        Assert.True(rl.TryAcquireWrite(0, 10, out var again));
        again.Dispose();
    }

    [Fact]
    public async Task A_cancelled_writer_does_not_strand_readers_queued_behind_it()
    {
        var rl = NewLock();
        var reader0 = rl.AcquireRead(0, 10);
        using var cts = new CancellationTokenSource();
        var writer = rl.AcquireWriteAsync(0, 10, cts.Token);
        Assert.False(writer.IsCompleted);
        var reader1 = rl.AcquireReadAsync(0, 10);
        var reader2 = rl.AcquireReadAsync(2, 4);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.AsTask());
        // reader0 still holds: the queued readers must get in beside it, not wait for it.
        (await Hang.Guard(reader1, "reader1")).Dispose();
        (await Hang.Guard(reader2, "reader2")).Dispose();
        reader0.Dispose();
        Assert.True(rl.TryAcquireWrite(0, 10, out var w), "the cancelled writer left no trace");
        w.Dispose();
    }

    [Fact]
    public async Task A_cancelled_writer_does_not_strand_readers_when_a_writer_holds()
    {
        var rl = NewLock();
        var holder = rl.AcquireWrite(0, 10);
        using var cts = new CancellationTokenSource();
        var writer = rl.AcquireWriteAsync(0, 10, cts.Token);
        var readers = new[] { rl.AcquireReadAsync(0, 10), rl.AcquireReadAsync(5, 20) };
        Assert.False(writer.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.AsTask());
        holder.Dispose();
        foreach (var reader in readers)
            (await Hang.Guard(reader, "a reader queued behind the cancelled writer")).Dispose();
    }

    [Fact]
    public void A_cancelled_synchronous_waiter_throws_and_leaves_no_trace()
    {
        var rl = NewLock();
        var holder = rl.AcquireWrite(0, 10);
        using var cts = new CancellationTokenSource();
        Exception? thrown = null;
        var waiter = StartAndWaitUntilAsleep(() =>
        {
            try
            {
                rl.AcquireRead(0, 10, cts.Token);
            }
            catch (OperationCanceledException e)
            {
                thrown = e;
            }
        });
        cts.Cancel();
        Assert.True(waiter.Join(Hang.Limit), "the cancelled waiter never returned");
        Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        holder.Dispose();
        Assert.True(rl.TryAcquireWrite(0, 10, out var w));
        w.Dispose();
    }

    [Fact]
    public void An_already_cancelled_token_throws_even_when_the_range_is_free()
    {
        var rl = NewLock();
        Assert.ThrowsAny<OperationCanceledException>(() => rl.AcquireWrite(0, 1, new CancellationToken(canceled: true)));
        Assert.True(rl.TryAcquireWrite(0, 1, out var w));
        w.Dispose();
    }

    [Fact]
    public void A_timed_out_acquire_returns_false_and_leaves_no_trace()
    {
        var rl = NewLock();
        var holder = rl.AcquireRead(0, 10);
        Assert.False(rl.TryAcquireWrite(0, 10, TimeSpan.FromMilliseconds(20), out var w));
        Assert.False(w.IsAcquired);
        Assert.True(rl.TryAcquireRead(0, 10, out var r), "no writer remains queued ahead of a reader");
        r.Dispose();
        holder.Dispose();
        Assert.True(rl.TryAcquireWrite(0, 10, out w));
        w.Dispose();
    }

    [Fact]
    public async Task A_timed_out_async_writer_unblocks_readers_queued_behind_it()
    {
        var rl = NewLock();
        var reader0 = rl.AcquireRead(0, 10);
        var writer = rl.TryAcquireWriteAsync(0, 10, TimeSpan.FromMilliseconds(50));
        var reader1 = rl.AcquireReadAsync(0, 10);
        var timedOut = await Hang.Guard(writer, "the timed-out writer's result");
        Assert.False(timedOut.IsAcquired);
        (await Hang.Guard(reader1, "reader1")).Dispose();
        reader0.Dispose();
    }

    [Fact]
    public async Task Downgrade_admits_readers_and_still_excludes_writers()
    {
        var rl = NewLock();
        var write = rl.AcquireWrite(0, 10);
        var reader = rl.AcquireReadAsync(0, 10);
        Assert.False(reader.IsCompleted);
        var read = write.Downgrade();
        Assert.False(read.IsWrite);
        (await Hang.Guard(reader, "a reader after downgrade")).Dispose();
        Assert.False(rl.TryAcquireWrite(5, 6, out _), "the downgraded hold still excludes writers");
        Assert.True(rl.TryAcquireRead(5, 6, out var other));
        other.Dispose();
        var ex = Assert.Throws<InvalidOperationException>(write.Dispose);
        Assert.Contains("downgraded", ex.Message);
        read.Dispose();
        Assert.True(rl.TryAcquireWrite(0, 10, out var w));
        w.Dispose();
    }

    [Fact]
    public void Releasing_a_copy_twice_throws_and_does_not_release_twice()
    {
        var rl = NewLock();
        var first = rl.AcquireRead(0, 10);
        var copy = first;
        var second = rl.AcquireRead(0, 10);
        first.Dispose();
        var ex = Assert.Throws<InvalidOperationException>(copy.Dispose);
        Assert.Contains("already released", ex.Message);
        Assert.False(rl.TryAcquireWrite(0, 10, out _), "the second reader still holds");
        second.Dispose();
        Assert.True(rl.TryAcquireWrite(0, 10, out var w));
        w.Dispose();
    }

    [Fact]
    public void Misusing_a_releaser_that_holds_nothing_throws()
    {
        var rl = NewLock();
        Assert.Contains("holds no range", Assert.Throws<InvalidOperationException>(() => default(RangeLockReleaser).Dispose()).Message);
        using var read = rl.AcquireRead(0, 1);
        Assert.Contains("only a write hold", Assert.Throws<InvalidOperationException>(() => read.Downgrade()).Message);
        var write = rl.AcquireWrite(5, 6);
        write.Dispose();
        Assert.Contains("already released", Assert.Throws<InvalidOperationException>(() => write.Downgrade()).Message);
    }

    [Fact]
    public void Empty_or_inverted_ranges_and_bad_timeouts_are_rejected()
    {
        var rl = NewLock();
        Assert.Throws<ArgumentOutOfRangeException>(() => rl.AcquireRead(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => rl.AcquireWrite(6, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => rl.TryAcquireRead(0, 1, TimeSpan.FromMilliseconds(-2), out _));
    }
}

public sealed class ListSemanticsTests : SemanticsTests
{
    private protected override RangeLock NewLock() => new ListRangeLock(wholeObjectFastPath: false);
}

public sealed class ListWholeObjectSemanticsTests : SemanticsTests
{
    private protected override RangeLock NewLock() => new ListRangeLock(wholeObjectFastPath: true);

    [Fact]
    public void The_default_list_lock_starts_in_whole_object_mode()
    {
        // A whole-object hold is reused per thread; a list node is fresh each time.
        var rl = new ListRangeLock();
        for (int i = 0; i < 100; i++)
            rl.AcquireWrite(i, i + 10).Dispose();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            rl.AcquireWrite(i, i + 10).Dispose();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_range_held_earlier_does_not_make_a_later_disjoint_request_wait()
    {
        var rl = NewLock();
        rl.AcquireWrite(0, 1000).Dispose();
        using var held = rl.AcquireRead(0, 10);
        // The second request present at once switches to the list; only the held [0, 10) counts.
        Assert.True(rl.TryAcquireWrite(500, 510, out var w), "waited for a range released long ago");
        w.Dispose();
    }

    [Fact]
    public void A_thread_holding_two_ranges_gets_a_write_between_them()
    {
        var rl = NewLock();
        using var low = rl.AcquireRead(0, 10);
        using var high = rl.AcquireRead(100, 110);
        Assert.True(rl.TryAcquireWrite(50, 60, out var w), "the gap between two held ranges is free");
        w.Dispose();
    }

    [Fact]
    public async Task The_hold_left_over_from_whole_object_mode_blocks_only_what_it_conflicts_with()
    {
        var rl = NewLock();
        var leftover = rl.AcquireWrite(0, 10);
        var reader = rl.AcquireReadAsync(5, 15);
        Assert.False(reader.IsCompleted, "the leftover write hold overlaps the reader");
        Assert.True(rl.TryAcquireWrite(10, 20, out var beside), "a disjoint writer passes the leftover");
        beside.Dispose();
        var read = leftover.Downgrade();
        using (await Hang.Guard(reader, "the reader behind the downgraded leftover"))
            Assert.False(rl.TryAcquireWrite(0, 1, out _), "the downgraded leftover still holds [0, 10) for reading");
        read.Dispose();
        Assert.True(rl.TryAcquireWrite(0, 10, out var after), "the leftover was cleared on release");
        after.Dispose();
    }
}

public sealed class FairSemanticsTests : SemanticsTests
{
    private protected override RangeLock NewLock() => new FairRangeLock();

    [Fact]
    public async Task A_writer_queued_before_later_readers_is_granted_before_them()
    {
        var rl = new FairRangeLock();
        var reader0 = rl.AcquireRead(0, 10);
        var writer = rl.AcquireWriteAsync(0, 10);
        var reader1 = rl.AcquireReadAsync(5, 6);
        Assert.False(writer.IsCompleted);
        Assert.False(reader1.IsCompleted, "a reader may not overtake the queued writer");
        Assert.False(rl.TryAcquireRead(0, 1, out _), "nor may a try-acquire");
        reader0.Dispose();
        var w = await Hang.Guard(writer, "the queued writer");
        Assert.False(reader1.IsCompleted, "the later reader still waits for the writer");
        w.Dispose();
        (await Hang.Guard(reader1, "the later reader")).Dispose();
    }

    [Fact]
    public async Task Waiters_on_one_range_are_granted_in_arrival_order()
    {
        var rl = new FairRangeLock();
        var holder = rl.AcquireWrite(0, 10);
        var pending = new ValueTask<RangeLockReleaser>[5];
        for (int i = 0; i < pending.Length; i++)
            pending[i] = rl.AcquireWriteAsync(0, 10);
        holder.Dispose();
        for (int i = 0; i < pending.Length; i++)
        {
            var w = await Hang.Guard(pending[i], $"writer {i}");
            for (int j = i + 1; j < pending.Length; j++)
                Assert.False(pending[j].IsCompleted, $"writer {j} overtook writer {i}");
            w.Dispose();
        }
    }
}
