using System.Diagnostics;

namespace DaxLab.RangeLocks.Benchmarks;

/// <summary>
/// Fixed-duration throughput on real threads, printed as tables; the whole run takes about 80 seconds.
/// Every figure comes from one run on the machine it runs on; compare ratios, not absolutes.
/// </summary>
internal static class Quick
{
    /// <summary>Length of one measured cell: long enough to average out scheduler noise on 2 cores.</summary>
    private static readonly TimeSpan Cell = TimeSpan.FromMilliseconds(700);

    /// <summary>Unmeasured run before each cell, so tiering and the thread pool settle.</summary>
    private static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(150);

    /// <summary>Rounds between looks at the stop flag, so the flag read does not dominate tiny rounds.</summary>
    private const int Batch = 64;

    /// <summary>Critical-section work in the overlapping mix: 100 steps of a multiply-add chain, a few hundred ns.</summary>
    private const int Work = 100;

    /// <summary>Heavier work for the disjoint scenario (about 10x <see cref="Work"/>): a range lock typically guards a page of I/O.</summary>
    private const int PageWork = 1000;

    /// <summary>Each thread's range in the disjoint scenario; far apart, so they never overlap.</summary>
    private const long Stride = 1 << 20;

    /// <summary>Address space and range length of the overlapping mix: 16 slots, so overlaps are frequent.</summary>
    private const long MixSpace = 1024, MixLength = 64;

    public static void Run(bool uncontendedOnly = false)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        // Other processes on a small machine skew thread-scaling figures; print the load so a reader can judge.
        if (File.Exists("/proc/loadavg"))
            Console.WriteLine($"Load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
        Uncontended();
        if (uncontendedOnly)
            return;
        // From no work to a page's worth: where the shared list head stops dominating.
        foreach (int work in (int[])[0, Work, 3 * Work, PageWork])
            Disjoint(work);
        Mixed(threads: 2);
        Mixed(threads: 4);
    }

    /// <summary>Rounds of the uncontended table; each cell is a fresh process, and the table shows medians.</summary>
    private const int UncontendedRounds = 3;

    /// <summary>Unmeasured run before an uncontended cell: long enough for tier-1 code in a fresh process.</summary>
    private static readonly TimeSpan CellWarmup = TimeSpan.FromMilliseconds(400);

    // One thread, acquire+release of one range, no work: the fixed cost of each lock. Every cell runs in
    // its own process, as BenchmarkDotNet runs each benchmark: in one process, the profile the JIT
    // gathered on the read cell shapes the code of the write cell measured after it.
    private static void Uncontended()
    {
        Console.WriteLine($"\n## Uncontended acquire+release, 1 thread (ns/op, median of {UncontendedRounds} rounds, one process per cell; ratio vs ReaderWriterLockSlim in the same mode and round)");
        Console.WriteLine("| Lock | read ns | write ns | read / RWLS | write / RWLS |\n|---|---|---|---|---|");
        var names = Subject.Uncontended().Select(s => s.Name).ToArray();
        // [round, subject, mode]; rounds run one after another so slow drift hits every cell alike.
        var ns = new double[UncontendedRounds, names.Length, 2];
        for (int round = 0; round < UncontendedRounds; round++)
            for (int subject = 0; subject < names.Length; subject++)
                for (int mode = 0; mode < 2; mode++)
                    ns[round, subject, mode] = MeasureCellInChild(subject, write: mode == 1);
        double Median(Func<int, double> perRound) =>
            Enumerable.Range(0, UncontendedRounds).Select(perRound).Order().ElementAt(UncontendedRounds / 2);
        for (int subject = 0; subject < names.Length; subject++)
        {
            int s = subject;
            double read = Median(r => ns[r, s, 0]), write = Median(r => ns[r, s, 1]);
            double readRatio = Median(r => ns[r, s, 0] / ns[r, 0, 0]), writeRatio = Median(r => ns[r, s, 1] / ns[r, 0, 1]);
            Console.WriteLine($"| {names[subject]} | {read:F1} | {write:F1} | {readRatio:F2} | {writeRatio:F2} |");
        }
    }

    /// <summary>The child side of <see cref="Uncontended"/>: <c>--uncontended-cell subject read|write</c> prints ns per operation.</summary>
    public static void RunCell(int subject, bool write)
    {
        var s = Subject.Uncontended()[subject];
        RunFor(s, write, CellWarmup);
        var (ops, elapsed) = RunFor(s, write, Cell);
        Console.WriteLine((elapsed.TotalNanoseconds / ops).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    // A tight loop on this thread: no delegate or tuple per round, so the lock is most of what is timed.
    private static (long Ops, TimeSpan Elapsed) RunFor(Subject subject, bool write, TimeSpan duration)
    {
        long ops = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (int i = 0; i < 1024; i++)
                subject.Run(0, 64, write, work: 0, timed: false);
            ops += 1024;
        }
        return (ops, clock.Elapsed);
    }

    private static double MeasureCellInChild(int subject, bool write)
    {
        // Run as an apphost, the process path is this program; run as `dotnet x.dll`, it is dotnet.
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(Quick).Assembly.Location);
        foreach (var arg in new[] { "--uncontended-cell", subject.ToString(), write ? "write" : "read" })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"uncontended cell {subject} {(write ? "write" : "read")} exited with {child.ExitCode}");
        return double.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // Writers on disjoint ranges: 2 threads vs 1. A range lock should scale; one RWLS cannot.
    private static void Disjoint(int work)
    {
        Console.WriteLine($"\n## Disjoint writers, critical-section work {work} (Mops/s; speedup = 2 threads / 1 thread)");
        Console.WriteLine("| Lock | 1 thread | 2 threads | speedup |\n|---|---|---|---|");
        foreach (var s in (Subject[])[.. Subject.RangeLocks(), new RwlsSubject()])
        {
            double one = Measure(s, 1, (t, _) => (t * Stride, t * Stride + 4096, true), work, timed: false).Ops / Cell.TotalSeconds / 1e6;
            double two = Measure(s, 2, (t, _) => (t * Stride, t * Stride + 4096, true), work, timed: false).Ops / Cell.TotalSeconds / 1e6;
            Console.WriteLine($"| {s.Name} | {one:F2} | {two:F2} | {two / one:F2}x |");
        }
    }

    // Random overlapping ranges, one writer in four; throughput and the longest single wait (fairness).
    private static void Mixed(int threads)
    {
        Console.WriteLine($"\n## Overlapping mix, {threads} threads, 25% writers, {MixLength}-long ranges in [0, {MixSpace}), work {Work}");
        Console.WriteLine("| Lock | Mops/s | longest wait (ms) |\n|---|---|---|");
        foreach (var s in (Subject[])[.. Subject.RangeLocks(), new RwlsSubject()])
        {
            var (ops, maxWait) = Measure(s, threads, (t, random) =>
            {
                long start = random.NextInt64(MixSpace - MixLength);
                return (start, start + MixLength, random.Next(4) == 0);
            }, Work, timed: true);
            Console.WriteLine($"| {s.Name} | {ops / Cell.TotalSeconds / 1e6:F2} | {maxWait.TotalMilliseconds:F2} |");
        }
    }

    // Runs `threads` threads for Warmup then Cell; returns the operations counted in Cell and the longest acquire.
    private static (long Ops, TimeSpan MaxWait) Measure(Subject subject, int threads, Func<int, Random, (long, long, bool)> next, int work, bool timed)
    {
        Phase(subject, threads, next, work, timed, Warmup);
        return Phase(subject, threads, next, work, timed, Cell);
    }

    private static (long Ops, TimeSpan MaxWait) Phase(Subject subject, int threads, Func<int, Random, (long, long, bool)> next, int work, bool timed, TimeSpan duration)
    {
        var stop = new StrongBox<bool>();
        var ops = new long[threads];
        var maxWait = new long[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t + 1);
            long count = 0, longest = 0;
            while (!Volatile.Read(ref stop.Value))
            {
                for (int i = 0; i < Batch; i++)
                {
                    var (start, end, write) = next(t, random);
                    longest = Math.Max(longest, subject.Run(start, end, write, work, timed));
                }
                count += Batch;
            }
            ops[t] = count;
            maxWait[t] = longest;
        })).ToArray();
        foreach (var w in workers)
            w.Start();
        Thread.Sleep(duration);
        Volatile.Write(ref stop.Value, true);
        foreach (var w in workers)
            w.Join();
        return (ops.Sum(), Stopwatch.GetElapsedTime(0, maxWait.Max()));
    }

    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}
