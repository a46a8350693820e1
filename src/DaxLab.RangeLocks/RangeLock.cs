using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DaxLab.RangeLocks;

/// <summary>
/// What one acquisition asks for: the range, the mode, when to give up and what cancels it.
/// <see cref="Deadline"/> is in <see cref="Environment.TickCount64"/> milliseconds.
/// </summary>
internal readonly record struct LockRequest(long Start, long End, bool IsWrite, long Deadline, CancellationToken CancellationToken)
{
    /// <summary>An attempt that never waits, so it has no deadline or token to honour: only the range and mode are read.</summary>
    internal static LockRequest Immediate(long start, long end, bool isWrite) => new(start, end, isWrite, Parking.NoDeadline, CancellationToken.None);
}

/// <summary>
/// The public surface shared by <see cref="ListRangeLock"/> and <see cref="FairRangeLock"/>: argument
/// checks and the sync/async/try variants, all funnelled into each algorithm's <see cref="TryAcquireNow"/>
/// and, when that cannot grant, its <see cref="AcquireWaitingAsync"/>.
/// Only this assembly can derive from it.
/// </summary>
public abstract class RangeLock : IRangeLock
{
    /// <summary>
    /// The waiting policy, or null for the built-in host waits. Null on the default path, so every
    /// hook below is one predictable null check on a readonly field.
    /// </summary>
    private protected readonly IRangeLockParking? Policy;

    private protected RangeLock(IRangeLockParking? parking) => Policy = parking;

    /// <summary>A scheduling point of the policy; nothing on the host path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void Point(string point) => Policy?.Yield(point);

    /// <summary>Declares a lock-free access to a shared word for the policy; nothing on the host path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void Touch(object word, bool write) => Policy?.Access(word, write);

    /// <inheritdoc/>
    public RangeLockReleaser AcquireRead(long start, long end, CancellationToken cancellationToken = default) =>
        AcquireSync(start, end, isWrite: false, Parking.NoDeadline, cancellationToken);

    /// <inheritdoc/>
    public RangeLockReleaser AcquireWrite(long start, long end, CancellationToken cancellationToken = default) =>
        AcquireSync(start, end, isWrite: true, Parking.NoDeadline, cancellationToken);

    /// <inheritdoc/>
    public bool TryAcquireRead(long start, long end, out RangeLockReleaser releaser) =>
        TryAcquireRead(start, end, TimeSpan.Zero, out releaser);

    /// <inheritdoc/>
    public bool TryAcquireWrite(long start, long end, out RangeLockReleaser releaser) =>
        TryAcquireWrite(start, end, TimeSpan.Zero, out releaser);

    /// <inheritdoc/>
    public bool TryAcquireRead(long start, long end, TimeSpan timeout, out RangeLockReleaser releaser, CancellationToken cancellationToken = default)
    {
        releaser = AcquireSync(start, end, isWrite: false, DeadlineFrom(timeout), cancellationToken);
        return releaser.IsAcquired;
    }

    /// <inheritdoc/>
    public bool TryAcquireWrite(long start, long end, TimeSpan timeout, out RangeLockReleaser releaser, CancellationToken cancellationToken = default)
    {
        releaser = AcquireSync(start, end, isWrite: true, DeadlineFrom(timeout), cancellationToken);
        return releaser.IsAcquired;
    }

    /// <inheritdoc/>
    public ValueTask<RangeLockReleaser> AcquireReadAsync(long start, long end, CancellationToken cancellationToken = default) =>
        AcquireAsync(start, end, isWrite: false, Parking.NoDeadline, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<RangeLockReleaser> AcquireWriteAsync(long start, long end, CancellationToken cancellationToken = default) =>
        AcquireAsync(start, end, isWrite: true, Parking.NoDeadline, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<RangeLockReleaser> TryAcquireReadAsync(long start, long end, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        AcquireAsync(start, end, isWrite: false, DeadlineFrom(timeout), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<RangeLockReleaser> TryAcquireWriteAsync(long start, long end, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        AcquireAsync(start, end, isWrite: true, DeadlineFrom(timeout), cancellationToken);

    /// <summary>
    /// Grants <c>[start, end)</c> in the given mode if nothing conflicts with it now, or returns null and leaves
    /// nothing behind. Never waits. Separate from <see cref="AcquireWaitingAsync"/> so the uncontended
    /// path takes scalars and returns a plain reference: a <see cref="ValueTask{TResult}"/> of a
    /// reference type runs through shared generic code, which the JIT does not always inline (perf in
    /// the disjoint-writer benchmark gave its awaiter more samples than the whole-object acquisition
    /// itself), and copying a 40-byte request struct on every call can stall store forwarding.
    /// </summary>
    private protected abstract RangeHolder? TryAcquireNow(long start, long end, bool isWrite);

    /// <summary>
    /// After <see cref="TryAcquireNow"/> found a conflict: grants <paramref name="request"/>, or
    /// returns null once its deadline passes, or throws <see cref="OperationCanceledException"/>.
    /// When <paramref name="synchronous"/> is true the result must be complete on return: every wait
    /// goes through <see cref="Parking.Park"/>, which blocks then. A request that fails leaves nothing behind.
    /// </summary>
    private protected abstract ValueTask<RangeHolder?> AcquireWaitingAsync(LockRequest request, bool synchronous);

    /// <summary>Releases a holder whose token the releaser has just retired.</summary>
    private protected abstract void ReleaseCore(RangeHolder holder);

    /// <summary>Switches a write holder to read (<see cref="RangeHolder.SwitchToRead"/>) and lets waiting readers past it.</summary>
    private protected abstract void DowngradeCore(RangeHolder holder);

    /// <summary>Called by <see cref="RangeLockReleaser.Dispose"/>; the token check throws on a second release.</summary>
    internal void Release(RangeHolder holder, int token)
    {
        holder.RetireToken(token);
        ReleaseCore(holder);
    }

    /// <summary>Called by <see cref="RangeLockReleaser.Downgrade"/>; the old releaser becomes stale.</summary>
    internal RangeLockReleaser Downgrade(RangeHolder holder, int token)
    {
        int readToken = holder.AdvanceTokenForDowngrade(token);
        DowngradeCore(holder);
        return new RangeLockReleaser(this, holder, readToken, isWrite: false);
    }

    // Synchronous variants share the async waiting path; with synchronous: true it never really suspends.
    private RangeLockReleaser AcquireSync(long start, long end, bool isWrite, long deadline, CancellationToken cancellationToken)
    {
        CheckRequest(start, end, cancellationToken);
        var holder = TryAcquireNow(start, end, isWrite);
        if (holder is null && !Parking.Expired(deadline))
        {
            var request = new LockRequest(start, end, isWrite, deadline, cancellationToken);
            ValueTask<RangeHolder?> pending = AcquireWaitingAsync(request, synchronous: true);
            Debug.Assert(pending.IsCompleted, "a synchronous acquisition parks by blocking, so it is complete on return");
            holder = pending.GetAwaiter().GetResult();
        }
        return Wrap(holder);
    }

    // No async state machine when the lock grants at once, the uncontended case.
    // Under a policy every wait is the policy's synchronous Park: no continuation may run on a pool thread.
    private ValueTask<RangeLockReleaser> AcquireAsync(long start, long end, bool isWrite, long deadline, CancellationToken cancellationToken)
    {
        CheckRequest(start, end, cancellationToken);
        var holder = TryAcquireNow(start, end, isWrite);
        if (holder is not null || Parking.Expired(deadline))
            return new ValueTask<RangeLockReleaser>(Wrap(holder));
        var request = new LockRequest(start, end, isWrite, deadline, cancellationToken);
        ValueTask<RangeHolder?> pending = AcquireWaitingAsync(request, synchronous: Policy is not null);
        if (pending.IsCompletedSuccessfully)
            return new ValueTask<RangeLockReleaser>(Wrap(pending.Result));
        return AwaitGrant(pending);
    }

    private async ValueTask<RangeLockReleaser> AwaitGrant(ValueTask<RangeHolder?> pending) =>
        Wrap(await pending.ConfigureAwait(false));

    // A null holder is a timeout; callers see it as a releaser with IsAcquired false.
    private RangeLockReleaser Wrap(RangeHolder? holder) =>
        holder is null ? default : new RangeLockReleaser(this, holder, holder.Token, holder.IsWrite);

    // A policy replays schedules, not clocks: only "now or never" and "forever" are deterministic.
    private long DeadlineFrom(TimeSpan timeout)
    {
        long deadline = Parking.DeadlineFrom(timeout);
        if (Policy is not null && timeout != TimeSpan.Zero && deadline != Parking.NoDeadline)
            throw new NotSupportedException(
                $"A range lock with an IRangeLockParking policy takes only zero or infinite timeouts, not {timeout}: "
                + "a finite one reads the host clock. Model the timer as another thread that cancels the token.");
        return deadline;
    }

    // Rejects empty and inverted ranges, and honours a token cancelled before the call.
    private static void CheckRequest(long start, long end, CancellationToken cancellationToken)
    {
        if (start >= end)
            throw new ArgumentOutOfRangeException(nameof(end), end,
                $"A range [start, end) must be non-empty: start ({start}) must be less than end ({end}).");
        cancellationToken.ThrowIfCancellationRequested();
    }
}
