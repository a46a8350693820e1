using System.Diagnostics;
using System.Runtime.CompilerServices;
using DaxLab.RangeLocks;

namespace DaxLab.RangeLocks.Benchmarks;

/// <summary>A lock under measurement: acquire, optional critical-section work, release.</summary>
internal abstract class Subject(string name)
{
    public string Name { get; } = name;

    /// <summary>One acquire/work/release round; returns the Stopwatch ticks spent acquiring if <paramref name="timed"/>, else 0.</summary>
    public abstract long Run(long start, long end, bool write, int work, bool timed);

    /// <summary>A timestamp only when timing, so untimed cells measure the lock and not the clock.</summary>
    protected static long Now(bool timed) => timed ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Critical-section stand-in: a dependent arithmetic chain the JIT cannot drop.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Work(int iterations)
    {
        long x = iterations;
        for (int i = 0; i < iterations; i++)
            x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
    }

    /// <summary>The uncontended table's rows, baseline first; a cell names its subject by index here.</summary>
    public static Subject[] Uncontended() => [new RwlsSubject(), .. RangeLocks(), new SemaphoreSubject(), new MonitorSubject()];

    public static Subject[] RangeLocks() =>
    [
        new RangeSubject("ListRangeLock", new ListRangeLock()),
        new RangeSubject("ListRangeLock, list only", new ListRangeLock(wholeObjectFastPath: false)),
        new RangeSubject("FairRangeLock", new FairRangeLock()),
    ];
}

internal sealed class RangeSubject(string name, RangeLock rangeLock) : Subject(name)
{
    public override long Run(long start, long end, bool write, int work, bool timed)
    {
        long before = Now(timed);
        var releaser = write ? rangeLock.AcquireWrite(start, end) : rangeLock.AcquireRead(start, end);
        long waited = Now(timed) - before;
        Work(work);
        releaser.Dispose();
        return waited;
    }
}

/// <summary>One ReaderWriterLockSlim for the whole object: ranges are ignored, so disjoint writers serialize.</summary>
internal sealed class RwlsSubject() : Subject("ReaderWriterLockSlim")
{
    private readonly ReaderWriterLockSlim _lock = new();

    public override long Run(long start, long end, bool write, int work, bool timed)
    {
        long before = Now(timed);
        if (write) _lock.EnterWriteLock(); else _lock.EnterReadLock();
        long waited = Now(timed) - before;
        Work(work);
        if (write) _lock.ExitWriteLock(); else _lock.ExitReadLock();
        return waited;
    }
}

internal sealed class SemaphoreSubject() : Subject("SemaphoreSlim(1)")
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);

    public override long Run(long start, long end, bool write, int work, bool timed)
    {
        long before = Now(timed);
        _semaphore.Wait();
        long waited = Now(timed) - before;
        Work(work);
        _semaphore.Release();
        return waited;
    }
}

internal sealed class MonitorSubject() : Subject("lock (Monitor)")
{
    private readonly object _gate = new();

    public override long Run(long start, long end, bool write, int work, bool timed)
    {
        long before = Now(timed);
        lock (_gate)
        {
            long waited = Now(timed) - before;
            Work(work);
            return waited;
        }
    }
}
