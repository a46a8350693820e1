using DaxLab.Checker;
using DaxLab.Sync;

namespace DaxLab.Tests.Checker;

/// <summary>Toy scenarios built only from the seam's primitives and scheduling points.</summary>
internal static class Toys
{
    public sealed class Cell
    {
        public int Value;
    }

    /// <summary>
    /// Two CPUs increment a counter: read, a scheduling point, write. Without the lock the
    /// classic lost update shows with one preemption between a read and its write.
    /// </summary>
    public static RunSetup Counter(Seam seam, bool locked, bool declare = true, int cpus = 2)
    {
        var counter = new Cell();
        var lk = seam.NewSpinLock("counter_lock");
        CpuBody Increment(int n) => new($"CPU{n} - inc", () =>
        {
            if (locked)
                lk.Lock();
            if (declare)
                seam.Access(counter, write: false);
            int seen = counter.Value;
            seam.Note($"reads {seen}");
            seam.Point("counter_store");
            if (declare)
                seam.Access(counter, write: true);
            counter.Value = seen + 1;
            seam.Note($"writes {seen + 1}");
            if (locked)
                lk.Unlock();
        });
        var bodies = Enumerable.Range(1, cpus).Select(Increment).ToArray();
        return new RunSetup(bodies, () => counter.Value == cpus ? null : $"counter is {counter.Value}, expected {cpus}");
    }

    /// <summary>CPU1 takes A then B, CPU2 takes B then A, each with a scheduling point between.</summary>
    public static RunSetup AbBaSpinlocks(Seam seam)
    {
        var a = seam.NewSpinLock("A");
        var b = seam.NewSpinLock("B");
        CpuBody Take(string label, Spinlock first, Spinlock second) => new(label, () =>
        {
            using (first.Hold())
            {
                seam.Point("between_locks");
                using (second.Hold())
                    seam.Note("holds both");
            }
        });
        return new RunSetup([Take("CPU1 - A then B", a, b), Take("CPU2 - B then A", b, a)]);
    }

    public static RunSetup AbBaRwSemaphores(Seam seam)
    {
        var a = seam.NewRwSemaphore("i_rwsem");
        var b = seam.NewRwSemaphore("mmap_sem");
        CpuBody Take(string label, RwSemaphore first, RwSemaphore second) => new(label, () =>
        {
            using (first.Write())
            {
                seam.Point("between_locks");
                using (second.Read())
                    seam.Note("holds both");
            }
        });
        return new RunSetup([Take("CPU1 - write(2)", a, b), Take("CPU2 - page fault", b, a)]);
    }

    /// <summary>
    /// Two CPUs race to claim a flag (read and set in one step); only the winner takes its two
    /// rw semaphores: CPU1 A then B, CPU2 B then A when <paramref name="inverted"/>, else A then
    /// B too. One CPU takes locks per run, so no schedule can deadlock: the inverted order shows
    /// only across runs, which is what lockdep is for.
    /// </summary>
    public static RunSetup ClaimThenLock(Seam seam, bool inverted, bool read = false)
    {
        var claim = new Cell();
        IDisposable Take(RwSemaphore semaphore) => read ? semaphore.Read() : semaphore.Write();
        var a = seam.NewRwSemaphore("A");
        var b = seam.NewRwSemaphore("B");
        CpuBody Claimant(string label, RwSemaphore first, RwSemaphore second) => new(label, () =>
        {
            seam.Point("claim");
            seam.Access(claim, write: true);
            if (claim.Value++ > 0)
                return;
            using (Take(first))
            {
                seam.Point("between_locks");
                using (Take(second))
                    seam.Note("holds both");
            }
        });
        return new RunSetup([Claimant("CPU1 - A then B", a, b), inverted ? Claimant("CPU2 - B then A", b, a) : Claimant("CPU2 - A then B", a, b)]);
    }

    /// <summary>
    /// One CPU nests the two instances of one class, ILOCK#1 then ILOCK#2, the inner one under
    /// subclass <paramref name="subclass"/> (0: no annotation).
    /// </summary>
    public static RunSetup NestedInstances(Seam seam, int subclass)
    {
        var outer = seam.NewRwSemaphore("ILOCK#1");
        var inner = seam.NewRwSemaphore("ILOCK#2");
        return new RunSetup([new CpuBody("CPU1 - rename", () =>
        {
            using (outer.Write())
            {
                if (subclass == 0)
                    inner.DownWrite();
                else
                    inner.DownWriteNested(subclass);
                inner.UpWrite();
            }
        })]);
    }

    /// <summary>
    /// Each CPU takes <paramref name="steps"/> steps, each writing resources[cpu % resources]:
    /// with as many resources as CPUs, every step of one CPU is independent of the others'.
    /// </summary>
    public static RunSetup Independent(Seam seam, int cpus, int steps, int resources)
    {
        var cells = Enumerable.Range(0, resources).Select(_ => new Cell()).ToArray();
        CpuBody Worker(int n) => new($"CPU{n + 1} - worker", () =>
        {
            var mine = cells[n % resources];
            for (int i = 0; i < steps; i++)
            {
                seam.Access(mine, write: true);
                mine.Value++;
                if (i + 1 < steps)
                    seam.Point("worker_step");
            }
        });
        return new RunSetup(Enumerable.Range(0, cpus).Select(Worker).ToArray(),
            () => cells.Sum(c => c.Value) == cpus * steps ? null : "lost an increment");
    }
}
