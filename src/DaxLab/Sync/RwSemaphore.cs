using DaxLab.Base;

namespace DaxLab.Sync;

/// <summary>
/// rw_semaphore: a sleeping reader/writer lock (i_rwsem, i_mmap_sem, mmap_sem, ILOCK).
/// </summary>
/// <remarks>
/// State is one integer: the number of readers, or <see cref="WriterHeld"/>. Readers enter with a
/// compare-and-swap while no writer holds or waits; writers wait for zero. A waiting writer
/// stops new readers so it cannot starve, as the kernel's rwsem does. Owners are not tracked:
/// like the kernel's, the semaphore may be released by a different thread from the acquirer.
/// </remarks>
public sealed class RwSemaphore
{
    private const int WriterHeld = -1;

    /// <summary>
    /// On real threads, the monitor that sleepers wait on and releasers pulse; taken only to sleep
    /// or to wake, and a leaf. The count and the two tallies are words changed atomically, not under it.
    /// </summary>
    private readonly object gate = new();
    private readonly IScheduler? modelScheduler;

    /// <summary>The scheduler, or null on real threads; a constant null when the seam is compiled out (<see cref="Seam.CompiledOut"/>).</summary>
    private IScheduler? scheduler => Seam.CompiledOut ? null : modelScheduler;
    private readonly string downReadPoint;
    private readonly string downWritePoint;
    private int count;
    private int waitingWriters;
    private int sleepers;

    internal RwSemaphore(Seam seam, string name)
    {
        modelScheduler = seam.Scheduler;
        Name = name;
        Class = LockClass.Of(name);
        downReadPoint = "down_read(" + name + ")";
        downWritePoint = "down_write(" + name + ")";
    }

    public string Name { get; }

    /// <summary>The lockdep class: the name without its instance suffix (ILOCK#1 is of class ILOCK).</summary>
    public LockClass Class { get; }

    public bool IsWriteLocked => Volatile.Read(ref count) == WriterHeld;

    public bool IsLocked => Volatile.Read(ref count) != 0;

    public void DownRead()
    {
        if (scheduler is not null)
        {
            DownReadModel(Class);
            return;
        }
        if (TryDownRead())
            return;
        lock (gate)
        {
            // Interlocked: a full fence between announcing the sleeper and re-checking, so a
            // releaser that misses the sleeper has already made the lock available.
            Interlocked.Increment(ref sleepers);
            while (!TryDownRead())
                Monitor.Wait(gate);
            Interlocked.Decrement(ref sleepers);
        }
    }

    /// <summary>
    /// down_read_nested: down_read, telling lockdep this is the inner of several locks of this
    /// class that the caller holds in a safe order (<see cref="LockClass.Subclass"/>).
    /// </summary>
    public void DownReadNested(int subclass)
    {
        if (scheduler is not null)
            DownReadModel(LockClass.Of(Name, subclass));
        else
            DownRead();
    }

    private void DownReadModel(LockClass lockClass)
    {
        var model = scheduler!;
        model.Reschedule(downReadPoint);
        model.LockAcquire(this, lockClass, LockUse.Read, downReadPoint);
        while (!TryDownRead())
            model.Block(this, downReadPoint);
    }

    private bool TryDownRead()
    {
        scheduler?.Access(this, write: true);
        while (true)
        {
            int c = Volatile.Read(ref count);
            if (c == WriterHeld || Volatile.Read(ref waitingWriters) > 0)
                return false;
            if (Interlocked.CompareExchange(ref count, c + 1, c) == c)
                return true;
        }
    }

    public void UpRead()
    {
        if (scheduler is not null)
        {
            scheduler.Access(this, write: true);
            scheduler.LockRelease(this);
        }
        int after = Interlocked.Decrement(ref count);
        Invariant.Holds(after >= 0, $"up_read without down_read on {Name}");
        if (after == 0)
            WakeSleepers();
    }

    public void DownWrite()
    {
        if (scheduler is not null)
        {
            DownWriteModel(Class);
            return;
        }
        if (TryTakeWrite())
            return;
        lock (gate)
        {
            Interlocked.Increment(ref waitingWriters);
            Interlocked.Increment(ref sleepers);
            while (!TryTakeWrite())
                Monitor.Wait(gate);
            Interlocked.Decrement(ref sleepers);
            Interlocked.Decrement(ref waitingWriters);
        }
    }

    /// <summary>down_write_nested: down_write as the inner of several locks of this class (see <see cref="DownReadNested"/>).</summary>
    public void DownWriteNested(int subclass)
    {
        if (scheduler is not null)
            DownWriteModel(LockClass.Of(Name, subclass));
        else
            DownWrite();
    }

    private void DownWriteModel(LockClass lockClass)
    {
        var model = scheduler!;
        model.Reschedule(downWritePoint);
        model.LockAcquire(this, lockClass, LockUse.Write, downWritePoint);
        waitingWriters++;
        while (!TryTakeWrite())
            model.Block(this, downWritePoint);
        waitingWriters--;
    }

    public void UpWrite()
    {
        if (scheduler is not null)
        {
            scheduler.Access(this, write: true);
            scheduler.LockRelease(this);
        }
        int before = Interlocked.Exchange(ref count, 0);
        Invariant.Holds(before == WriterHeld, $"up_write without down_write on {Name}");
        WakeSleepers();
    }

    private bool TryTakeWrite()
    {
        scheduler?.Access(this, write: true);
        return Interlocked.CompareExchange(ref count, WriterHeld, 0) == 0;
    }

    private void WakeSleepers()
    {
        if (scheduler is not null)
        {
            scheduler.Access(this, write: true);
            scheduler.Wake(this);
            return;
        }
        // A sleeper registers under the gate before re-checking, so taking the gate here
        // orders this wake-up after its check: no wake-up is lost.
        if (Volatile.Read(ref sleepers) == 0 && Volatile.Read(ref waitingWriters) == 0)
            return;
        lock (gate)
            Monitor.PulseAll(gate);
    }

    public ReadScope Read()
    {
        DownRead();
        return new ReadScope(this);
    }

    public WriteScope Write()
    {
        DownWrite();
        return new WriteScope(this);
    }

    public readonly struct ReadScope(RwSemaphore owner) : IDisposable
    {
        public void Dispose() => owner.UpRead();
    }

    public readonly struct WriteScope(RwSemaphore owner) : IDisposable
    {
        public void Dispose() => owner.UpWrite();
    }
}
