using BenchmarkDotNet.Attributes;

namespace DaxLab.RangeLocks.Benchmarks;

/// <summary>
/// Several threads at once, each invocation a fixed number of rounds per thread. BenchmarkDotNet's
/// Mean is then the wall time of one round of one thread: n threads complete n rounds per Mean, so
/// the speedup of 2 threads over 1 is 2 × Mean(1 thread) / Mean(2 threads). The threads are created
/// once and started together by a barrier each invocation, so thread start-up is not measured.
/// </summary>
public abstract class ThreadedBenchmarks
{
    /// <summary>Rounds per thread per invocation: enough that the barrier costs under 1%.</summary>
    protected const int RoundsPerThread = 20_000;

    private Barrier? _start, _done;
    private Thread[] _helpers = [];
    private volatile bool _stopping;
    private Subject _subject = null!;

    [ParamsSource(nameof(LockNames))]
    public string Lock { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<string> LockNames() => [.. Subject.RangeLocks().Select(s => s.Name), "ReaderWriterLockSlim"];

    /// <summary>Thread <paramref name="thread"/>'s next request.</summary>
    protected abstract (long Start, long End, bool Write) Next(int thread, Random random);

    /// <summary>Steps of work inside each critical section.</summary>
    protected abstract int WorkSteps { get; }

    [GlobalSetup]
    public void Setup()
    {
        _subject = Lock == "ReaderWriterLockSlim" ? new RwlsSubject() : Subject.RangeLocks().Single(s => s.Name == Lock);
        _start = new Barrier(Threads);
        _done = new Barrier(Threads);
        _helpers = [.. Enumerable.Range(1, Threads - 1).Select(t => new Thread(() => HelperLoop(t)) { IsBackground = true })];
        foreach (var helper in _helpers)
            helper.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopping = true;
        _start!.SignalAndWait();
        foreach (var helper in _helpers)
            helper.Join();
    }

    /// <summary>One invocation: every thread runs <see cref="RoundsPerThread"/> rounds; the main thread is thread 0.</summary>
    protected void RunAllThreads()
    {
        _start!.SignalAndWait();
        Rounds(thread: 0);
        _done!.SignalAndWait();
    }

    private void HelperLoop(int thread)
    {
        while (true)
        {
            _start!.SignalAndWait();
            if (_stopping)
                return;
            Rounds(thread);
            _done!.SignalAndWait();
        }
    }

    private void Rounds(int thread)
    {
        var random = new Random(thread + 1);
        for (int i = 0; i < RoundsPerThread; i++)
        {
            var (start, end, write) = Next(thread, random);
            _subject.Run(start, end, write, WorkSteps, timed: false);
        }
    }
}

/// <summary>Writers on disjoint ranges: a range lock should scale with threads; one ReaderWriterLockSlim cannot.</summary>
public class DisjointWritersBenchmarks : ThreadedBenchmarks
{
    [Params(0, 100, 1000)]
    public int Work { get; set; }

    protected override int WorkSteps => Work;

    protected override (long Start, long End, bool Write) Next(int thread, Random random) =>
        (thread * (1L << 20), thread * (1L << 20) + 4096, true);

    [Benchmark(OperationsPerInvoke = RoundsPerThread)]
    public void Round() => RunAllThreads();
}

/// <summary>Random 64-long ranges in [0, 1024), one writer in four, 100 steps of work: overlaps are frequent.</summary>
public class OverlappingMixBenchmarks : ThreadedBenchmarks
{
    protected override int WorkSteps => 100;

    protected override (long Start, long End, bool Write) Next(int thread, Random random)
    {
        long start = random.NextInt64(1024 - 64);
        return (start, start + 64, random.Next(4) == 0);
    }

    [Benchmark(OperationsPerInvoke = RoundsPerThread)]
    public void Round() => RunAllThreads();
}
