using DaxLab.Base;

namespace DaxLab.Cli.Bench;

/// <summary>Set once by the timer; every worker checks it between operations.</summary>
public sealed class StopSignal
{
    private readonly ManualResetEventSlim stoppedEvent = new();
    private volatile bool stopped;

    public bool Stopped => stopped;

    public void Stop()
    {
        stopped = true;
        stoppedEvent.Set();
    }

    /// <summary>Waits until <paramref name="duration"/> passes or a worker stops early (on failure), then stops everyone.</summary>
    public void WaitOrStop(TimeSpan duration)
    {
        stoppedEvent.Wait(duration);
        Stop();
    }
}

/// <summary>
/// One multi-threaded workload of the 2017 thread. <see cref="Prepare"/> builds the file and each
/// thread's mappings outside the timed window; each worker then runs operations until told to
/// stop and returns how many it finished.
/// </summary>
public abstract class Workload
{
    protected const int Page = Geometry.PageSize;
    protected const long Pmd = Geometry.PmdSize;

    public abstract string Name { get; }

    /// <summary>What one counted operation is (the unit of the throughput figures).</summary>
    public abstract string Operation { get; }

    /// <summary>One line for `daxlab bench --help`.</summary>
    public abstract string Summary { get; }

    /// <summary>False where the host has no comparable path (tmpfs here has no huge pages).</summary>
    public virtual bool RunsOnHost => true;

    /// <summary>The file and per-thread state for one point; the workers are indexed 0 .. threads-1.</summary>
    public abstract Prepared Prepare(BenchTarget target, int threads);

    /// <summary>The multi-threaded workloads, in the order of the issue.</summary>
    public static IReadOnlyList<Workload> All { get; } =
    [
        new FaultStorm(),
        new FaultScatter(pmd: false),
        new FaultScatter(pmd: true),
        new DisjointWriters(),
        new FillHoles(),
        new Writeback(),
    ];

    /// <summary>The name of the single-thread cost table, selectable with --workload like the others.</summary>
    public const string SingleThreadName = "single";

    public static IEnumerable<string> AllNames => All.Select(w => w.Name).Append(SingleThreadName);

    /// <summary>A prepared point: the worker bodies and everything to dispose afterwards.</summary>
    public sealed class Prepared(Func<int, StopSignal, long> worker, params IDisposable[] resources) : IDisposable
    {
        public long RunWorker(int index, StopSignal stop) => worker(index, stop);

        public void Dispose()
        {
            // Mappings (listed after their file) go first.
            for (int i = resources.Length - 1; i >= 0; i--)
                resources[i].Dispose();
        }
    }

    /// <summary>Writes <paramref name="bytes"/> of data from offset 0, so every block is allocated.</summary>
    internal static void Fill(IBenchFile file, long bytes)
    {
        var chunk = new byte[1 << 20];
        chunk.AsSpan().Fill(0x5a);
        for (long at = 0; at < bytes; at += chunk.Length)
            file.Write(at, chunk.AsSpan(0, (int)Math.Min(chunk.Length, bytes - at)));
    }

    /// <summary>A mapping per thread, made before the clock starts.</summary>
    protected static IBenchMapping[] MapEach(int threads, Func<int, IBenchMapping> map) =>
        Enumerable.Range(0, threads).Select(map).ToArray();
}

/// <summary>
/// Every thread read-faults the same allocated pages through its own mapping (as separate
/// processes sharing the file would), dropping its page table between rounds.
/// </summary>
sealed class FaultStorm : Workload
{
    /// <summary>The shared pages: few enough that every thread collides on the same entries.</summary>
    const int Pages = 64;

    public override string Name => "fault-storm";
    public override string Operation => "read fault";
    public override string Summary => $"all threads read-fault the same {Pages} allocated pages, MADV_DONTNEED between rounds";

    public override Prepared Prepare(BenchTarget target, int threads)
    {
        var file = target.CreateFile(Pmd + Pages * Page);
        Fill(file, Pmd + Pages * Page);
        // Starting 4 KiB into the file keeps every fault a PTE fault (no 2 MiB-aligned range inside).
        var maps = MapEach(threads, _ => file.Map(Page, Pages * Page));
        return new Prepared((index, stop) => FaultRounds(maps[index], Pages, Page, stop), [file, .. maps]);
    }

    /// <summary>Touches one byte of each <paramref name="stride"/>, then drops the page table; one op per touch.</summary>
    public static long FaultRounds(IBenchMapping map, int touches, long stride, StopSignal stop)
    {
        Span<byte> one = stackalloc byte[1];
        long ops = 0;
        while (!stop.Stopped)
        {
            for (int i = 0; i < touches; i++)
                map.Load(i * stride, one);
            ops += touches;
            map.DropPages(0, touches * stride);
        }
        return ops;
    }
}

/// <summary>Threads fault disjoint pages (PTE) or disjoint 2 MiB ranges (PMD) of one file.</summary>
sealed class FaultScatter(bool pmd) : Workload
{
    /// <summary>Per thread: 1 MiB of pages, or four 2 MiB ranges.</summary>
    const int PtePagesPerThread = 256, PmdRangesPerThread = 4;

    public override string Name => pmd ? "fault-scatter-pmd" : "fault-scatter-pte";
    public override string Operation => pmd ? "PMD read fault" : "PTE read fault";
    public override string Summary => pmd
        ? $"each thread read-faults its own {PmdRangesPerThread} x 2 MiB ranges of one file (PMD faults)"
        : $"each thread read-faults its own {PtePagesPerThread} pages of one file (PTE faults)";

    /// <summary>tmpfs on this host has huge pages off, so it has no PMD fault to compare with.</summary>
    public override bool RunsOnHost => !pmd;

    public override Prepared Prepare(BenchTarget target, int threads)
    {
        long slice = pmd ? PmdRangesPerThread * Pmd : PtePagesPerThread * Page;
        long bytes = threads * slice + Pmd;
        var file = target.CreateFile(bytes);
        Fill(file, bytes);
        // PTE: each slice starts 4 KiB past a 2 MiB-aligned offset, so it holds no whole PMD.
        var maps = MapEach(threads, t => pmd
            ? file.Map(t * slice, slice)
            : file.Map(Page + t * Pmd / 2, slice));
        return pmd
            ? new Prepared((index, stop) => FaultStorm.FaultRounds(maps[index], PmdRangesPerThread, Pmd, stop), [file, .. maps])
            : new Prepared((index, stop) => FaultStorm.FaultRounds(maps[index], PtePagesPerThread, Page, stop), [file, .. maps]);
    }
}

/// <summary>Threads pwrite 4 KiB into their own 1 MiB of one allocated file.</summary>
sealed class DisjointWriters : Workload
{
    const int PagesPerThread = 256;

    public override string Name => "disjoint-writers";
    public override string Operation => "pwrite 4 KiB";
    public override string Summary => "threads pwrite 4 KiB to disjoint 1 MiB ranges of one allocated file";

    public override Prepared Prepare(BenchTarget target, int threads)
    {
        long bytes = threads * PagesPerThread * (long)Page;
        var file = target.CreateFile(bytes);
        Fill(file, bytes);
        return new Prepared((index, stop) =>
        {
            var buffer = new byte[Page];
            long start = index * PagesPerThread * (long)Page, ops = 0;
            while (!stop.Stopped)
                file.Write(start + ops++ % PagesPerThread * Page, buffer);
            return ops;
        }, file);
    }
}

/// <summary>
/// The 2017 race's path under load: even threads store through a mapping into holes while odd
/// threads pwrite into other holes of the same file; every operation allocates a block. A lone
/// thread alternates. The thread that takes the last hole punches the file empty again.
/// </summary>
sealed class FillHoles : Workload
{
    /// <summary>The sparse file: 8192 holes between refills.</summary>
    const long FileBytes = 32L << 20;

    public override string Name => "fill-holes";
    public override string Operation => "allocating store or pwrite";
    public override string Summary => "threads store through mappings into holes while others pwrite into holes of the same file";

    public override Prepared Prepare(BenchTarget target, int threads)
    {
        var file = target.CreateFile(FileBytes);
        file.Truncate(FileBytes);
        // One mapping per thread, from 4 KiB in: every store is a PTE write fault on a hole.
        var maps = MapEach(threads, _ => file.Map(Page, FileBytes - Page));
        long next = 0;
        const long holes = FileBytes / Page - 1;
        return new Prepared((index, stop) =>
        {
            var buffer = new byte[Page];
            buffer.AsSpan().Fill(0x6b);
            long ops = 0;
            while (!stop.Stopped)
            {
                long n = Interlocked.Increment(ref next) - 1, hole = n % holes;
                bool store = threads == 1 ? n % 2 == 0 : index % 2 == 0;
                if (store)
                    maps[index].Store(hole * Page, buffer.AsSpan(0, 8));
                else
                    file.Write(Page + hole * Page, buffer);
                if (hole == holes - 1)
                    file.PunchHole(0, FileBytes);
                ops++;
            }
            return ops;
        }, [file, .. maps]);
    }
}

/// <summary>Threads store through mappings of their own pages, each calling msync(MS_SYNC) every 64 stores.</summary>
sealed class Writeback : Workload
{
    const int PagesPerThread = 256;

    /// <summary>Stores between two msync calls: 64 dirty pages to write back each time.</summary>
    const int StoresPerSync = 64;

    public override string Name => "writeback";
    public override string Operation => "store (+ msync per 64)";
    public override string Summary => $"threads store 8 bytes per page through mappings, msync(MS_SYNC) every {StoresPerSync} stores";

    public override Prepared Prepare(BenchTarget target, int threads)
    {
        long slice = PagesPerThread * (long)Page, bytes = threads * slice;
        var file = target.CreateFile(bytes);
        Fill(file, bytes);
        var maps = MapEach(threads, t => file.Map(t * slice, slice));
        return new Prepared((index, stop) =>
        {
            Span<byte> word = stackalloc byte[8];
            var map = maps[index];
            long ops = 0;
            while (!stop.Stopped)
            {
                int page = (int)(ops % PagesPerThread);
                map.Store(page * (long)Page, word);
                if (++ops % StoresPerSync == 0)
                    map.Sync(0, slice);
            }
            return ops;
        }, [file, .. maps]);
    }
}
