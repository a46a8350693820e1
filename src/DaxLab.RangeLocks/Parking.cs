using System.Diagnostics;

namespace DaxLab.RangeLocks;

/// <summary>
/// The only place where a waiter blocks (<see cref="Park"/>) and the only place where one is woken
/// (<see cref="Wake"/>). Both algorithms route every wait through here, so a later deterministic
/// interleaving checker can replace these two methods with a scheduler.
/// </summary>
internal static class Parking
{
    /// <summary>Deadline meaning "wait as long as it takes".</summary>
    internal const long NoDeadline = long.MaxValue;

    /// <summary>A fresh wake-up signal. Continuations run on the pool, never inside the waker's critical section.</summary>
    internal static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Deadline for a timeout measured from now; <see cref="Timeout.InfiniteTimeSpan"/> means none.</summary>
    internal static long DeadlineFrom(TimeSpan timeout)
    {
        long ms = (long)timeout.TotalMilliseconds;
        if (ms == Timeout.Infinite)
            return NoDeadline;
        if (ms < 0 || ms > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout,
                "The timeout must be Timeout.InfiniteTimeSpan or between 0 and int.MaxValue milliseconds.");
        return Environment.TickCount64 + ms;
    }

    /// <summary>True once waiting would be pointless: a zero timeout (try-acquire) or a passed deadline.</summary>
    internal static bool Expired(long deadline) => RemainingMilliseconds(deadline) == 0;

    /// <summary>
    /// Blocks (or, when <paramref name="synchronous"/> is false, awaits) until <paramref name="signal"/>
    /// completes. Returns false on timeout, throws <see cref="OperationCanceledException"/> on cancellation.
    /// Context: the caller holds no lock; it re-checks its condition afterwards, as wakes may be spurious.
    /// </summary>
    internal static ValueTask<bool> Park(Task signal, long deadline, CancellationToken cancellationToken, bool synchronous)
    {
        if (!synchronous)
            return ParkAsync(signal, deadline, cancellationToken);
        // Task.Wait spins briefly and then blocks in the kernel, so a long holder costs no core.
        bool woken = signal.Wait(RemainingMilliseconds(deadline), cancellationToken);
        Debug.Assert(!woken || signal.IsCompleted, "a wait that reports success saw the signal complete");
        return new ValueTask<bool>(woken);
    }

    /// <summary>Wakes every waiter parked on <paramref name="signal"/>. Context: call outside any lock.</summary>
    internal static void Wake(TaskCompletionSource signal) => signal.TrySetResult();

    // The asynchronous half of Park: no thread is held while waiting.
    private static async ValueTask<bool> ParkAsync(Task signal, long deadline, CancellationToken cancellationToken)
    {
        int remaining = RemainingMilliseconds(deadline);
        try
        {
            await signal.WaitAsync(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    // Milliseconds left before the deadline, as Task.Wait expects them (-1: infinite).
    private static int RemainingMilliseconds(long deadline)
    {
        if (deadline == NoDeadline)
            return Timeout.Infinite;
        long left = deadline - Environment.TickCount64;
        return left <= 0 ? 0 : (int)Math.Min(left, int.MaxValue);
    }
}
