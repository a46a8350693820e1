using BenchmarkDotNet.Attributes;
using DaxLab.RangeLocks;

namespace DaxLab.RangeLocks.Benchmarks;

/// <summary>Uncontended acquire+release on one thread, against the stock .NET locks. <c>List*</c> is the default <see cref="ListRangeLock"/> (whole-object fast path), <c>ListOnly*</c> the list alone.</summary>
[MemoryDiagnoser]
public class UncontendedBenchmarks
{
    private readonly ReaderWriterLockSlim _rwls = new();
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private readonly object _monitor = new();
    private readonly ListRangeLock _list = new();
    private readonly ListRangeLock _listOnly = new(wholeObjectFastPath: false);
    private readonly FairRangeLock _fair = new();

    [Benchmark(Baseline = true)]
    public void RwlsRead() { _rwls.EnterReadLock(); _rwls.ExitReadLock(); }

    [Benchmark]
    public void RwlsWrite() { _rwls.EnterWriteLock(); _rwls.ExitWriteLock(); }

    [Benchmark]
    public void Semaphore() { _semaphore.Wait(); _semaphore.Release(); }

    [Benchmark]
    public void Monitor() { lock (_monitor) { } }

    [Benchmark]
    public void ListRead() => _list.AcquireRead(0, 4096).Dispose();

    [Benchmark]
    public void ListWrite() => _list.AcquireWrite(0, 4096).Dispose();

    [Benchmark]
    public void ListOnlyRead() => _listOnly.AcquireRead(0, 4096).Dispose();

    [Benchmark]
    public void ListOnlyWrite() => _listOnly.AcquireWrite(0, 4096).Dispose();

    [Benchmark]
    public void FairRead() => _fair.AcquireRead(0, 4096).Dispose();

    [Benchmark]
    public void FairWrite() => _fair.AcquireWrite(0, 4096).Dispose();

    [Benchmark]
    public async Task ListWriteAsync() => (await _list.AcquireWriteAsync(0, 4096)).Dispose();
}
