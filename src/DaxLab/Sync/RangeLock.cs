using System.Diagnostics;

namespace DaxLab.Sync;

/// <summary>
/// A reader/writer lock over ranges of one object, [start, end): the engine's own, simple one,
/// for the range-lock design. Readers share with readers; any overlap with a writer waits.
/// </summary>
/// <remarks>
/// Held ranges live in a list guarded by a host gate on real threads; under a scheduler the
/// state needs no lock and waiters block on the lock itself. Not fair: a stream of readers
/// can delay a writer; DaxLab.RangeLocks has the fair and the scalable ones.
/// </remarks>
public sealed class RangeLock
{
    private readonly object gate = new();
    private readonly IScheduler? modelScheduler;

    /// <summary>The scheduler, or null on real threads; a constant null when the seam is compiled out (<see cref="Seam.CompiledOut"/>).</summary>
    private IScheduler? scheduler => Seam.CompiledOut ? null : modelScheduler;
    private readonly List<Holder> held = [];
    private readonly string lockPoint;

    internal RangeLock(Seam seam, string name)
    {
        modelScheduler = seam.Scheduler;
        lockPoint = "range_lock(" + name + ")";
    }

    /// <summary>Takes [start, end) for reading or writing; dispose the result to release.</summary>
    public Holder Acquire(long start, long end, bool write)
    {
        Debug.Assert(start < end, "empty range");
        var holder = new Holder(this, start, end, write);
        if (scheduler is not null)
        {
            scheduler.Reschedule(lockPoint);
            scheduler.Access(this, write: true);
            while (Conflicts(holder))
                scheduler.Block(this, lockPoint);
            held.Add(holder);
            return holder;
        }
        lock (gate)
        {
            while (Conflicts(holder))
                Monitor.Wait(gate);
            held.Add(holder);
        }
        return holder;
    }

    private bool Conflicts(Holder wanted)
    {
        foreach (var h in held)
        {
            if (h.Start < wanted.End && wanted.Start < h.End && (h.Write || wanted.Write))
                return true;
        }
        return false;
    }

    private void Release(Holder holder)
    {
        if (scheduler is not null)
        {
            scheduler.Access(this, write: true);
            bool removed = held.Remove(holder);
            Debug.Assert(removed, "range_unlock of a range not held");
            scheduler.Wake(this);
            return;
        }
        lock (gate)
        {
            bool removed = held.Remove(holder);
            Debug.Assert(removed, "range_unlock of a range not held");
            Monitor.PulseAll(gate);
        }
    }

    public sealed class Holder : IDisposable
    {
        private readonly RangeLock owner;

        internal Holder(RangeLock owner, long start, long end, bool write)
        {
            this.owner = owner;
            Start = start;
            End = end;
            Write = write;
        }

        public long Start { get; }
        public long End { get; }
        public bool Write { get; }

        public void Dispose() => owner.Release(this);
    }
}
