namespace DaxLab.RangeLocks;

/// <summary>
/// A reader/writer lock over half-open ranges <c>[start, end)</c> of <see cref="long"/> offsets.
/// Two readers of overlapping ranges may hold together; a writer excludes every overlapping holder.
/// Every successful acquisition returns a <see cref="RangeLockReleaser"/> that must be disposed exactly once.
/// </summary>
/// <remarks>
/// Waits are not thread-affine: a releaser may be disposed on any thread, including after an <c>await</c>.
/// A waiter that is cancelled or times out leaves no trace and unblocks whoever it was holding up.
/// </remarks>
public interface IRangeLock
{
    /// <summary>Blocks until <c>[start, end)</c> is held for reading, or throws <see cref="OperationCanceledException"/>.</summary>
    RangeLockReleaser AcquireRead(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Blocks until <c>[start, end)</c> is held for writing, or throws <see cref="OperationCanceledException"/>.</summary>
    RangeLockReleaser AcquireWrite(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Takes <c>[start, end)</c> for reading only if that is possible without waiting.</summary>
    bool TryAcquireRead(long start, long end, out RangeLockReleaser releaser);

    /// <summary>Takes <c>[start, end)</c> for writing only if that is possible without waiting.</summary>
    bool TryAcquireWrite(long start, long end, out RangeLockReleaser releaser);

    /// <summary>Waits at most <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/> for no limit) for a read hold.</summary>
    bool TryAcquireRead(long start, long end, TimeSpan timeout, out RangeLockReleaser releaser, CancellationToken cancellationToken = default);

    /// <summary>Waits at most <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/> for no limit) for a write hold.</summary>
    bool TryAcquireWrite(long start, long end, TimeSpan timeout, out RangeLockReleaser releaser, CancellationToken cancellationToken = default);

    /// <summary>Asynchronously waits for a read hold on <c>[start, end)</c>.</summary>
    ValueTask<RangeLockReleaser> AcquireReadAsync(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Asynchronously waits for a write hold on <c>[start, end)</c>.</summary>
    ValueTask<RangeLockReleaser> AcquireWriteAsync(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Asynchronously waits at most <paramref name="timeout"/>; on timeout the result has <see cref="RangeLockReleaser.IsAcquired"/> false.</summary>
    ValueTask<RangeLockReleaser> TryAcquireReadAsync(long start, long end, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Asynchronously waits at most <paramref name="timeout"/>; on timeout the result has <see cref="RangeLockReleaser.IsAcquired"/> false.</summary>
    ValueTask<RangeLockReleaser> TryAcquireWriteAsync(long start, long end, TimeSpan timeout, CancellationToken cancellationToken = default);
}
