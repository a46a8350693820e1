namespace DaxLab.RangeLocks.Tests;

/// <summary>
/// Real threads on random overlapping ranges. Inside every critical section the holder claims each
/// byte of its range in a shared ownership array (-1 for a writer, a reader count otherwise); a claim
/// that finds a conflicting owner is a mutual-exclusion violation. Counts are fixed, not durations.
/// </summary>
public sealed class StressTests
{
    /// <summary>Bytes covered by the ranges: small, so ranges overlap often.</summary>
    private const int Space = 64;

    /// <summary>Threads: twice the 2 cores, so holders get preempted inside critical sections.</summary>
    private const int Threads = 4;

    /// <summary>Acquisitions per thread: enough to mix every path, small enough for the time budget.</summary>
    private const int Rounds = 20000;

    private const int WriterMark = -1;

    [Theory]
    [MemberData(nameof(Locks.All), MemberType = typeof(Locks))]
    public void Holders_never_overlap_conflictingly(LockKind kind)
    {
        var rl = Locks.Create(kind);
        var owners = new int[Space];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, Threads)
            .Select(seed => new Thread(() => Worker(rl, owners, seed, failures)))
            .ToArray();
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            Assert.True(t.Join(Hang.Limit * 2), "a stress thread never finished: deadlock or lost wake-up");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.All(owners, o => Assert.Equal(0, o));
    }

    [Theory]
    [MemberData(nameof(Locks.All), MemberType = typeof(Locks))]
    public async Task Async_holders_never_overlap_conflictingly(LockKind kind)
    {
        var rl = Locks.Create(kind);
        var owners = new int[Space];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, Threads).Select(seed => Task.Run(() => AsyncWorker(rl, owners, seed, failures)));
        await Task.WhenAll(workers).WaitAsync(Hang.Limit * 2);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.All(owners, o => Assert.Equal(0, o));
    }

    [Fact]
    public void Leaving_whole_object_mode_keeps_holders_apart()
    {
        // Every lock starts in whole-object mode; two threads released together by a barrier make
        // the switch to the list land anywhere in their first acquisitions, with a leftover or without.
        const int FreshLocks = 10000, RoundsPerLock = 4;
        var locks = Enumerable.Range(0, FreshLocks).Select(_ => new ListRangeLock()).ToArray();
        var owners = Enumerable.Range(0, FreshLocks).Select(_ => new int[Space]).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var together = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(seed => new Thread(() =>
        {
            for (int i = 0; i < FreshLocks; i++)
            {
                together.SignalAndWait();
                Worker(locks[i], owners[i], seed * FreshLocks + i, failures, RoundsPerLock);
            }
        })).ToArray();
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            Assert.True(t.Join(Hang.Limit * 2), "a stress thread never finished: deadlock or lost wake-up");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.All(owners.SelectMany(o => o), o => Assert.Equal(0, o));
    }

    private static void Worker(RangeLock rl, int[] owners, int seed, System.Collections.Concurrent.ConcurrentQueue<string> failures, int rounds = Rounds)
    {
        var random = new Random(seed);
        for (int i = 0; i < rounds && failures.IsEmpty; i++)
        {
            var (start, end, write) = NextRange(random);
            RangeLockReleaser r;
            switch (random.Next(4))
            {
                case 0:
                    if (!(write ? rl.TryAcquireWrite(start, end, out r) : rl.TryAcquireRead(start, end, out r)))
                        continue;
                    break;
                case 1:
                    using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1)))
                    {
                        try
                        {
                            r = write ? rl.AcquireWrite(start, end, cts.Token) : rl.AcquireRead(start, end, cts.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            continue;
                        }
                    }
                    break;
                case 2:
                    if (!(write ? rl.TryAcquireWrite(start, end, TimeSpan.FromMilliseconds(1), out r) : rl.TryAcquireRead(start, end, TimeSpan.FromMilliseconds(1), out r)))
                        continue;
                    break;
                default:
                    r = write ? rl.AcquireWrite(start, end) : rl.AcquireRead(start, end);
                    break;
            }
            Hold(r, owners, failures, downgrade: write && random.Next(4) == 0);
        }
    }

    private static async Task AsyncWorker(RangeLock rl, int[] owners, int seed, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        var random = new Random(seed + 1000);
        for (int i = 0; i < Rounds / 2 && failures.IsEmpty; i++)
        {
            var (start, end, write) = NextRange(random);
            var r = write ? await rl.AcquireWriteAsync(start, end) : await rl.AcquireReadAsync(start, end);
            if (random.Next(2) == 0)
                await Task.Yield();
            Hold(r, owners, failures, downgrade: write && random.Next(4) == 0);
        }
    }

    private static (long Start, long End, bool Write) NextRange(Random random)
    {
        int start = random.Next(Space - 1);
        int end = start + 1 + random.Next(Math.Min(16, Space - start - 1));
        return (start, end, random.Next(3) == 0);
    }

    // Claims, checks and unclaims every byte of the range; optionally downgrades halfway.
    private static void Hold(RangeLockReleaser r, int[] owners, System.Collections.Concurrent.ConcurrentQueue<string> failures, bool downgrade)
    {
        for (long b = r.Start; b < r.End; b++)
            Claim(ref owners[b], r.IsWrite, r, failures);
        if (downgrade)
        {
            // Turn the claim into one reader's before downgrading: readers may enter right after.
            for (long b = r.Start; b < r.End; b++)
                if (Interlocked.CompareExchange(ref owners[b], 1, WriterMark) != WriterMark)
                    failures.Enqueue($"byte {b} changed under a writer before its downgrade");
            r = r.Downgrade();
        }
        for (long b = r.Start; b < r.End; b++)
            Unclaim(ref owners[b], r.IsWrite, r, failures);
        r.Dispose();
    }

    private static void Claim(ref int owner, bool write, RangeLockReleaser r, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        if (write ? Interlocked.CompareExchange(ref owner, WriterMark, 0) != 0 : Interlocked.Increment(ref owner) <= 0)
            failures.Enqueue($"{r} found a byte owned by a conflicting holder");
    }

    private static void Unclaim(ref int owner, bool write, RangeLockReleaser r, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        if (write ? Interlocked.CompareExchange(ref owner, 0, WriterMark) != WriterMark : Interlocked.Decrement(ref owner) < 0)
            failures.Enqueue($"{r} found its byte changed by a conflicting holder");
    }
}
