namespace DaxLab.RangeLocks;

/// <summary>
/// How a range lock waits, wakes and lets a scheduler in: the extension point that lets a
/// deterministic interleaving checker (or any cooperative scheduler) run the lock's own code.
/// Pass one to the constructor (<c>new FairRangeLock(parking)</c>, <c>new ListRangeLock(parking: p)</c>);
/// without one the lock uses its built-in host waits (spin, then block on a task), unchanged.
/// </summary>
/// <remarks>
/// <para>Protocol. A waiter checks its condition, then calls <see cref="Park"/> on a wait object;
/// whoever changes the condition calls <see cref="Unpark"/> on the same object afterwards. The lock
/// calls no <see cref="Yield"/> between the waiter's last check and <see cref="Park"/>, so under a
/// scheduler that runs one thread at a time "sleep until the next Unpark of this object" is enough.
/// A preemptive implementation must also return from a Park whose Unpark came first (a permit).
/// Park may return spuriously: the lock re-checks its condition in a loop.</para>
/// <para>With a policy the lock waits synchronously (the async methods complete before they
/// return), supports cancellation through the token, and accepts only zero and infinite timeouts:
/// a finite timeout would read the host clock, which a deterministic scheduler cannot replay;
/// model a timer as another thread that cancels the token.</para>
/// </remarks>
public interface IRangeLockParking
{
    /// <summary>
    /// True when one thread runs at a time and the others run only when it yields, blocks or
    /// ends (a model checker). Then spinning cannot help: the spin phase yields to the scheduler,
    /// since a spin loop without a scheduling point would be a livelock.
    /// </summary>
    bool IsCooperative { get; }

    /// <summary>
    /// Sleeps until <see cref="Unpark"/> of <paramref name="waitObject"/> (or spuriously), named
    /// <paramref name="point"/> for reports. Throws <see cref="OperationCanceledException"/> once
    /// <paramref name="cancellationToken"/> is cancelled, and must then return from the wait.
    /// Context: the caller holds none of the lock's state and re-checks its condition afterwards.
    /// </summary>
    void Park(object waitObject, string point, CancellationToken cancellationToken);

    /// <summary>Wakes every waiter parked on <paramref name="waitObject"/>. Context: called outside the lock's small lock.</summary>
    void Unpark(object waitObject);

    /// <summary>A place where preempting the caller can change the outcome (before a compare-and-swap, before taking the small lock).</summary>
    void Yield(string point);

    /// <summary>
    /// The current step reads or writes <paramref name="word"/>, a shared word the lock touches
    /// without a lock (a list node's link, the whole-object word), so a partial-order reduction
    /// can tell dependent steps apart. Objects compare by reference.
    /// </summary>
    void Access(object word, bool write);
}
