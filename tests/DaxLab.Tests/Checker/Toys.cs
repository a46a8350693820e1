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

    /// <summary>
    /// n CPUs, each writing once: to its own cell (1 Mazurkiewicz trace) or all to one cell
    /// (n! traces, one per order of the writes). The final value names the last writer.
    /// </summary>
    public static RunSetup Writers(Seam seam, int cpus, bool shared, ISet<string>? finals = null)
    {
        var cells = Enumerable.Range(0, shared ? 1 : cpus).Select(_ => new Cell()).ToArray();
        Number(seam, cells);
        CpuBody Writer(int n) => new($"CPU{n + 1} - writer", () =>
        {
            var cell = cells[shared ? 0 : n];
            seam.Access(cell, write: true);
            cell.Value = n + 1;
        });
        return new RunSetup(Enumerable.Range(0, cpus).Select(Writer).ToArray(),
            () => Final(finals, string.Join(",", cells.Select(c => c.Value))));
    }

    /// <summary>
    /// Readers and writers of one variable, one access each: the writes in any of w! orders and
    /// each read in one of w + 1 places among them, (w + 1)^r · w! traces. The end check fails
    /// when a reader saw the last write, so that failures are compared too.
    /// </summary>
    public static RunSetup ReadersWriters(Seam seam, int readers, int writers, ISet<string>? finals = null)
    {
        var x = new Cell();
        Number(seam, [x]);
        var seen = new int[readers];
        CpuBody Reader(int n) => new($"CPU{n + 1} - reader", () =>
        {
            seam.Access(x, write: false);
            seen[n] = x.Value;
        });
        CpuBody Writer(int n) => new($"CPU{readers + n + 1} - writer", () =>
        {
            seam.Access(x, write: true);
            x.Value = n + 1;
        });
        var bodies = Enumerable.Range(0, readers).Select(Reader).Concat(Enumerable.Range(0, writers).Select(Writer)).ToArray();
        return new RunSetup(bodies, () =>
        {
            string state = $"x={x.Value} seen={string.Join(",", seen)}";
            Final(finals, state);
            return seen.Contains(x.Value) && x.Value != 0 ? $"a reader saw the last write {x.Value}" : null;
        });
    }

    /// <summary>
    /// lastzero(n) (Abdulla, Aronis, Jonsson and Sagonas, POPL 2014): an array a[0..n] of zeros;
    /// CPU0 scans down from a[n] for the last zero, one read per step; CPU j (1 ≤ j ≤ n) reads
    /// a[j-1] and, a step later, writes a[j] = a[j-1] + 1. The end check fails when CPU0's zero
    /// is no longer zero, a failure the reduction must keep.
    /// </summary>
    public static RunSetup LastZero(Seam seam, int n, ISet<string>? finals = null)
    {
        var a = Enumerable.Range(0, n + 1).Select(_ => new Cell()).ToArray();
        Number(seam, a);
        int found = -1;
        var scanner = new CpuBody("CPU0 - scan", () =>
        {
            int i = n;
            while (true)
            {
                seam.Access(a[i], write: false);
                if (a[i].Value == 0)
                    break;
                i--;
                seam.Point("scan_next");
            }
            found = i;
        });
        CpuBody Incrementer(int j) => new($"CPU{j} - a[{j}] = a[{j - 1}] + 1", () =>
        {
            seam.Access(a[j - 1], write: false);
            int before = a[j - 1].Value;
            seam.Point("store");
            seam.Access(a[j], write: true);
            a[j].Value = before + 1;
        });
        var bodies = new[] { scanner }.Concat(Enumerable.Range(1, n).Select(Incrementer)).ToArray();
        return new RunSetup(bodies, () =>
        {
            Final(finals, $"found={found} a={string.Join(",", a.Select(c => c.Value))}");
            return a[found].Value == 0 ? null : $"a[{found}] is no longer zero";
        });
    }

    /// <summary>
    /// indexer (Flanagan and Godefroid, POPL 2005): each CPU inserts <paramref name="messages"/>
    /// values w = m·stride + cpu into a table of <paramref name="size"/> slots, at hash(w) = 7w mod
    /// size, by compare-and-swap from an empty slot, probing on (one CAS per step). The original,
    /// stride 11 and 128 slots, has no collision below 12 CPUs and so one trace; a smaller stride
    /// makes CPUs insert equal values, which collide.
    /// </summary>
    public static RunSetup Indexer(Seam seam, int cpus, int messages, int stride = 11, int size = 128, ISet<string>? finals = null)
    {
        var table = Enumerable.Range(0, size).Select(_ => new Cell()).ToArray();
        Number(seam, table);
        CpuBody Inserter(int tid) => new($"CPU{tid + 1} - insert", () =>
        {
            for (int m = 1; m <= messages; m++)
            {
                int w = m * stride + tid;
                int h = w * 7 % size;
                while (true)
                {
                    seam.Access(table[h], write: true);
                    if (table[h].Value == 0)
                    {
                        table[h].Value = w;
                        break;
                    }
                    h = (h + 1) % size;
                    seam.Point("cas_next");
                }
                if (m < messages)
                    seam.Point("getmsg");
            }
        });
        return new RunSetup(Enumerable.Range(0, cpus).Select(Inserter).ToArray(),
            () => Final(finals, string.Join(",", table.Select(c => c.Value))));
    }

    /// <summary>
    /// Declares the toy's shared cells while the factory runs, which numbers them alike in every
    /// run, so that the sleep sets compare their accesses exactly (docs/checker.md).
    /// </summary>
    private static void Number(Seam seam, IEnumerable<Cell> cells)
    {
        foreach (var cell in cells)
            seam.Access(cell, write: false);
    }

    /// <summary>Records a run's final state for the tests that compare reduced and unreduced searches; never a failure.</summary>
    private static string? Final(ISet<string>? finals, string state)
    {
        finals?.Add(state);
        return null;
    }
}
