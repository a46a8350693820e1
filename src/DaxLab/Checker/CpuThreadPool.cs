using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>
/// The host threads of simulated CPUs, kept across runs: a run rents one per CPU and each goes
/// back when its body is over, so a run starts no thread (starting them cost more than a short
/// run, and the engine's TLB model registers a slot for every host thread it ever sees).
/// </summary>
/// <remarks>
/// Workers are background threads, so idle ones never keep a process alive, and a worker idle
/// for <see cref="IdleTimeout"/> ends. The pool holds as many threads as runs have needed at
/// once (runs of concurrent explorations each rent their own).
/// </remarks>
internal static class CpuThreadPool
{
    /// <summary>How long an idle worker waits for a run before its thread ends.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One pooled host thread. Its baton starts its job, then carries the job's turns.</summary>
    internal sealed class Worker
    {
        public readonly Baton Baton = new();
        public Thread Thread = null!;
        /// <summary>Set by the renter before the baton first comes; run at that first turn.</summary>
        public Action? Job;
    }

    /// <summary>Guards <see cref="Idle"/>; a leaf: nothing is taken or waited on while it is held.</summary>
    private static readonly Lock Gate = new();
    private static readonly List<Worker> Idle = [];

    /// <summary>An idle worker, or a new one. It runs its <see cref="Worker.Job"/> when its baton is first released.</summary>
    public static Worker Rent()
    {
        lock (Gate)
        {
            if (Idle.Count > 0)
            {
                var worker = Idle[^1];
                Idle.RemoveAt(Idle.Count - 1);
                return worker;
            }
        }
        var created = new Worker();
        created.Thread = new Thread(() => Loop(created)) { IsBackground = true, Name = "checker CPU" };
        created.Thread.Start();
        return created;
    }

    /// <summary>
    /// The worker's job is over, but for its last hand-off: it may be rented again at once (its
    /// next job starts when its baton is released, which happens after the hand-off).
    /// </summary>
    public static void Return(Worker worker)
    {
        lock (Gate)
        {
            Invariant.Holds(!Idle.Contains(worker));
            Idle.Add(worker);
        }
    }

    private static void Loop(Worker worker)
    {
        while (true)
        {
            if (!worker.Baton.Wait(IdleTimeout))
            {
                lock (Gate)
                {
                    if (Idle.Remove(worker))
                        return;
                }
                continue; // rented meanwhile: its first turn is coming
            }
            var job = worker.Job;
            worker.Job = null;
            Invariant.Holds(job is not null, "a worker's baton is first released by the run that rented it");
            job!();
        }
    }
}

/// <summary>
/// The hand-off between host threads: one thread releases, the owner waits. Each release is
/// matched by one wait. The owner blocks at once, without spinning: of a run's threads only
/// the holder has work, and on a loaded machine (the 2-core one the checker is developed on
/// carries a dozen runnable threads) a spinning waiter takes the core the holder needs.
/// SemaphoreSlim's spin before it blocks made a run's hand-offs most of its time (#9).
/// </summary>
internal sealed class Baton
{
    /// <summary>Guards <see cref="count"/>; a leaf, held only to count and to wait or pulse.</summary>
    private readonly object gate = new();
    /// <summary>Releases not yet matched by a wait.</summary>
    private int count;

    public void Release()
    {
        lock (gate)
        {
            count++;
            Monitor.Pulse(gate);
        }
    }

    public void Wait() => Wait(Timeout.InfiniteTimeSpan);

    public bool Wait(TimeSpan timeout)
    {
        lock (gate)
        {
            while (count == 0)
            {
                if (!Monitor.Wait(gate, timeout))
                    return false;
            }
            count--;
            return true;
        }
    }
}
