namespace DaxLab.Sync;

/// <summary>
/// What a deterministic scheduler (the checker) plugs into the <see cref="Seam"/>.
/// </summary>
/// <remarks>
/// Under a scheduler exactly one simulated CPU runs at a time. Every place the kernel could be
/// preempted calls <see cref="Reschedule"/>; every sleep becomes <see cref="Block"/> on a channel
/// (the primitive or waiter that will be woken) inside a re-check loop, and every wake-up is
/// <see cref="Wake"/>. Because one CPU runs at a time, primitive state needs no host locking
/// in this mode: the scheduler's hand-off between host threads is the only synchronization.
/// </remarks>
public interface IScheduler
{
    /// <summary>A scheduling point named for the kernel function about to run.</summary>
    void Reschedule(string point);

    /// <summary>
    /// The running CPU sleeps on <paramref name="channel"/> until another CPU wakes it. Callers
    /// re-check their condition afterwards, so a spurious return is harmless.
    /// </summary>
    void Block(object channel, string point);

    /// <summary>Makes every CPU sleeping on <paramref name="channel"/> runnable.</summary>
    void Wake(object channel);

    /// <summary>Records what the running CPU saw or did, for the race diagrams.</summary>
    void Note(string what);

    /// <summary>
    /// Declares that the running CPU's current step reads or writes <paramref name="resource"/>:
    /// the footprint partial-order reduction compares. Primitives declare themselves; engine
    /// code declares the shared data it touches without a lock (device memory, page tables
    /// walked by the MMU, i_size).
    /// </summary>
    void Access(object resource, bool write);

    /// <summary>
    /// lock_acquire: the running CPU is about to take (or, for <see cref="LockUse.Wait"/>, wait
    /// for) <paramref name="instance"/>, a lock of <paramref name="lockClass"/>, at
    /// <paramref name="point"/>. Called before any wait, so the order is recorded even when the
    /// acquisition never completes. For a wait, <paramref name="dropping"/> is a held lock the
    /// caller drops before it sleeps (xa_lock around get_unlocked_entry's sleep): it orders nothing.
    /// A scheduler that does not validate lock order ignores it.
    /// </summary>
    void LockAcquire(object instance, LockClass lockClass, LockUse use, string point, object? dropping = null)
    {
    }

    /// <summary>lock_release: <paramref name="instance"/> is released. Ignored like <see cref="LockAcquire"/>.</summary>
    void LockRelease(object instance)
    {
    }
}
