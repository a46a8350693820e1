using System.Runtime.CompilerServices;
using DaxLab.Base;

namespace DaxLab.Sync;

/// <summary>
/// The hashed table of wait queues that entry-lock sleepers use (fs/dax.c's wait_table).
/// </summary>
/// <remarks>
/// A sleeper is keyed by (mapping, index); a PMD entry's key uses its 2 MiB-aligned index, so
/// one key covers 512 pages. Several keys share a bucket, so a wake names its key and only
/// matching waiters are woken. The protocol mirrors prepare_to_wait_exclusive / schedule /
/// finish_wait: <see cref="Prepare"/> runs while the caller still holds the lock that guards
/// the condition (the index lock), so a wake issued after the caller drops that lock finds the
/// waiter already queued and cannot be lost.
/// Lock order: index lock (xa_lock) → bucket gate. The gate is a leaf. Its lockdep class is
/// <see cref="GateClass"/>, the one class of every wait_queue_head's lock.
/// </remarks>
public sealed class WaitQueueTable
{
    /// <summary>The lockdep class of the bucket gates: wait_queue_head_t's spin lock.</summary>
    public static readonly LockClass GateClass = new("wait_queue_head");

    private readonly Bucket?[] buckets;
    private readonly IScheduler? modelScheduler;

    /// <summary>The scheduler, or null on real threads; a constant null when the seam is compiled out (<see cref="Seam.CompiledOut"/>).</summary>
    private IScheduler? scheduler => Seam.CompiledOut ? null : modelScheduler;

    internal WaitQueueTable(Seam seam, int bucketCount)
    {
        Invariant.Holds(bucketCount > 0 && (bucketCount & (bucketCount - 1)) == 0, "bucket count must be a power of two");
        modelScheduler = seam.Scheduler;
        // Buckets are made on first use: the checker builds a table per run, and 4096 buckets
        // up front were most of a short run's allocations.
        buckets = new Bucket?[bucketCount];
    }

    /// <summary>
    /// Queues the current CPU as a waiter for <paramref name="key"/>: exclusive
    /// (prepare_to_wait_exclusive, at the tail: a wake of the next waiter wakes one of these) or
    /// not (prepare_to_wait, at the head: every wake of the key wakes it). Context: index lock held.
    /// </summary>
    public Waiter Prepare(WaitKey key, bool exclusive = true)
    {
        var bucket = BucketOf(key);
        var waiter = new Waiter(key, bucket, exclusive);
        scheduler?.Access(bucket, write: true);
        using (Annotate(bucket, exclusive ? "prepare_to_wait_exclusive" : "prepare_to_wait"))
        {
            lock (bucket.Gate)
            {
                if (exclusive)
                    bucket.Waiters.Add(waiter);
                else
                    bucket.Waiters.Insert(0, waiter);
            }
        }
        return waiter;
    }

    /// <summary>schedule(): sleeps until woken. Context: index lock dropped after <see cref="Prepare"/>.</summary>
    public void Sleep(Waiter waiter, string point)
    {
        var bucket = waiter.Bucket;
        if (scheduler is not null)
        {
            while (!waiter.Woken)
                scheduler.Block(waiter, point);
        }
        else
        {
            lock (bucket.Gate)
            {
                while (!waiter.Woken)
                    Monitor.Wait(bucket.Gate);
            }
        }
        Finish(waiter);
    }

    /// <summary>finish_wait: removes a waiter that was prepared but need not sleep.</summary>
    public void Finish(Waiter waiter)
    {
        scheduler?.Access(waiter.Bucket, write: true);
        using (Annotate(waiter.Bucket, "finish_wait"))
        {
            lock (waiter.Bucket.Gate)
                waiter.Bucket.Waiters.Remove(waiter);
        }
    }

    /// <summary>
    /// __wake_up for <paramref name="key"/>: every waiter of the key when <paramref name="all"/>
    /// (WAKE_ALL), otherwise the non-exclusive ones, which sit at the head, and the first
    /// exclusive one (WAKE_NEXT: nr_exclusive 1).
    /// </summary>
    public void Wake(WaitKey key, bool all)
    {
        // On real threads a bucket never made has no waiters: Prepare makes it under the index
        // lock, which the waker took after it. Under a scheduler the bucket is made anyway, so the
        // step declares the same access whichever came first.
        var bucket = scheduler is null ? Volatile.Read(ref SlotOf(key)) : BucketOf(key);
        if (bucket is null)
            return;
        scheduler?.Access(bucket, write: true);
        using var gate = Annotate(bucket, "__wake_up");
        lock (bucket.Gate)
        {
            if (bucket.Waiters.Count == 0)
                return;
            bool woke = false;
            foreach (var waiter in bucket.Waiters)
            {
                if (waiter.Woken || !waiter.Key.Equals(key))
                    continue;
                waiter.Woken = true;
                woke = true;
                scheduler?.Wake(waiter);
                if (!all && waiter.Exclusive)
                    break;
            }
            if (woke && scheduler is null)
                Monitor.PulseAll(bucket.Gate);
        }
    }

    /// <summary>Tells lockdep, under a scheduler, that the caller takes <paramref name="bucket"/>'s gate until the scope ends.</summary>
    private GateScope Annotate(Bucket bucket, string point)
    {
        scheduler?.LockAcquire(bucket, GateClass, LockUse.Write, point);
        return new GateScope(scheduler, bucket);
    }

    /// <summary>The lockdep release of a bucket gate: a struct, so real threads pay a null check and no allocation.</summary>
    private readonly struct GateScope(IScheduler? scheduler, Bucket bucket) : IDisposable
    {
        public void Dispose() => scheduler?.LockRelease(bucket);
    }

    private ref Bucket? SlotOf(WaitKey key) => ref buckets[key.GetHashCode() & (buckets.Length - 1)];

    private Bucket BucketOf(WaitKey key)
    {
        ref var slot = ref SlotOf(key);
        var bucket = Volatile.Read(ref slot);
        if (bucket is null)
        {
            var created = new Bucket();
            bucket = Interlocked.CompareExchange(ref slot, created, null) ?? created;
        }
        return bucket;
    }

    internal sealed class Bucket
    {
        /// <summary>
        /// Guards <see cref="Waiters"/> and each waiter's woken flag, and is the monitor they sleep
        /// on. Taken under xa_lock by a waiter preparing to sleep; a leaf.
        /// </summary>
        public readonly object Gate = new();
        public readonly List<Waiter> Waiters = [];
    }

    public sealed class Waiter
    {
        internal Waiter(WaitKey key, Bucket bucket, bool exclusive)
        {
            Key = key;
            Bucket = bucket;
            Exclusive = exclusive;
        }

        public WaitKey Key { get; }

        /// <summary>WQ_FLAG_EXCLUSIVE: a wake of the next waiter stops after waking this one.</summary>
        public bool Exclusive { get; }
        internal Bucket Bucket { get; }
        internal bool Woken;
    }
}

/// <summary>A wait-queue key: the address space and the (PMD-aligned for PMD entries) page index.</summary>
public readonly record struct WaitKey(object Mapping, long Index)
{
    /// <summary>
    /// The mapping's own hash (an address space hashes by inode number): the same in every run
    /// of a schedule, so the checker sees the same keys share a bucket each time.
    /// </summary>
    public override int GetHashCode() => HashCode.Combine(Mapping.GetHashCode(), Index);

    public bool Equals(WaitKey other) => ReferenceEquals(Mapping, other.Mapping) && Index == other.Index;
}
