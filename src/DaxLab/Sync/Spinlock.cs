using DaxLab.Base;

namespace DaxLab.Sync;

/// <summary>
/// spinlock_t (named apart from System.Threading.SpinLock): a short critical section that never sleeps while held.
/// </summary>
/// <remarks>
/// Real threads use <see cref="Lock"/>. Under a scheduler the owner is a flag: a CPU that finds
/// it held blocks on the lock until the owner unlocks (the owner can only be preempted inside
/// if the critical section itself has a scheduling point).
/// </remarks>
public sealed class Spinlock
{
    private readonly Lock hostLock = new();
    private readonly IScheduler? modelScheduler;

    /// <summary>The scheduler, or null on real threads; a constant null when the seam is compiled out (<see cref="Seam.CompiledOut"/>).</summary>
    private IScheduler? scheduler => Seam.CompiledOut ? null : modelScheduler;
    private readonly string lockPoint;
    private bool modelHeld;

    internal Spinlock(Seam seam, string name)
    {
        modelScheduler = seam.Scheduler;
        Name = name;
        Class = LockClass.Of(name);
        lockPoint = "spin_lock(" + name + ")";
    }

    public string Name { get; }

    /// <summary>The lockdep class: the name without its instance suffix.</summary>
    public LockClass Class { get; }

    public void Lock()
    {
        if (scheduler is null)
        {
            hostLock.Enter();
            return;
        }
        scheduler.Reschedule(lockPoint);
        scheduler.LockAcquire(this, Class, LockUse.Write, lockPoint);
        while (modelHeld)
            scheduler.Block(this, lockPoint);
        scheduler.Access(this, write: true);
        modelHeld = true;
    }

    public void Unlock()
    {
        if (scheduler is null)
        {
            hostLock.Exit();
            return;
        }
        Invariant.Holds(modelHeld, $"spin_unlock of an unlocked {Name}");
        scheduler.Access(this, write: true);
        modelHeld = false;
        scheduler.LockRelease(this);
        scheduler.Wake(this);
    }

    /// <summary>Whether the current CPU may assume the lock is held (for assertions).</summary>
    public bool IsHeld => scheduler is null ? hostLock.IsHeldByCurrentThread : modelHeld;

    /// <summary>Scope helper: <c>using (lk.Hold()) { ... }</c>.</summary>
    public Scope Hold()
    {
        Lock();
        return new Scope(this);
    }

    public readonly struct Scope(Spinlock owner) : IDisposable
    {
        public void Dispose() => owner.Unlock();
    }
}
