using DaxLab.RangeLocks;

namespace DaxLab.Sync;

/// <summary>
/// Runs a DaxLab.RangeLocks lock under the seam's deterministic scheduler: the library's waits,
/// wakes, scheduling points and lock-free words map one to one onto <see cref="IScheduler"/>.
/// Created by <see cref="Seam.NewRangeLockParking"/> only when the seam has a scheduler; on real
/// threads the lock gets no policy and keeps its own host waits.
/// </summary>
/// <remarks>
/// Blocking is <see cref="IScheduler.Block"/> on the library's wait object (a list node, a fair
/// lock request, the fair lock's small lock) and the library re-checks in a loop; waking is
/// <see cref="IScheduler.Wake"/> on the same object. Cancellation is modelled: a token cancelled
/// by another CPU wakes the waiter from inside that CPU's step (the registration runs on the
/// cancelling thread), and the waiter throws <see cref="OperationCanceledException"/>.
/// </remarks>
internal sealed class SchedulerParking(IScheduler scheduler, string name) : IRangeLockParking
{
    /// <summary>Point names with the lock's name appended, built once: the set is small and fixed.</summary>
    private readonly Dictionary<string, string> points = [];

    public bool IsCooperative => true;

    public void Park(object waitObject, string point, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            scheduler.Block(waitObject, Named(point));
            return;
        }
        // The token is shared state between the waiter and the canceller: declare it (equal tokens are one resource).
        scheduler.Access(cancellationToken, write: false);
        cancellationToken.ThrowIfCancellationRequested();
        using (cancellationToken.Register(() => scheduler.Wake(waitObject)))
            scheduler.Block(waitObject, Named(point));
        scheduler.Access(cancellationToken, write: false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Unpark(object waitObject) => scheduler.Wake(waitObject);

    public void Yield(string point) => scheduler.Reschedule(Named(point));

    public void Access(object word, bool write) => scheduler.Access(word, write);

    private string Named(string point)
    {
        if (!points.TryGetValue(point, out var named))
        {
            named = point + "(" + name + ")";
            points.Add(point, named);
        }
        return named;
    }
}
