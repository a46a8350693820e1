using System.Diagnostics;

namespace DaxLab.Cli.Bench;

/// <summary>
/// One measured figure. Multi-threaded points: total operations per second, and thread-time per
/// operation. Single-thread rows: cost per operation next to the memcpy floor of the same size.
/// <see cref="SpeedVsHost"/> is the host kernel's cost over ours, same workload, same run: above
/// 1 means the engine is faster.
/// </summary>
public sealed record BenchRun(
    string Workload,
    string Target,
    string Operation,
    int Threads,
    double Seconds,
    long Ops,
    double OpsPerSecond,
    double NsPerOp,
    string? Floor = null,
    double? FloorNsPerOp = null,
    double? RatioToFloor = null,
    double? SpeedVsHost = null);

/// <summary>Runs the selected workloads × targets × thread counts on real threads, with a progress line per point on stderr.</summary>
public sealed class BenchRunner(BenchArguments arguments, TextWriter progress)
{
    /// <summary>The cost table's trials take about this many seconds per target at scale 1.</summary>
    const double CostTableSecondsAtScaleOne = 6;

    public List<BenchRun> Run()
    {
        var targets = arguments.Designs.Select(BenchTarget.Engine).ToList();
        bool host = arguments.Host && HostTarget.Available;
        var workloads = Workload.All.Where(w => arguments.Workloads.Contains(w.Name)).ToList();
        int total = workloads.Sum(w => arguments.Threads.Count * (targets.Count + (host && w.RunsOnHost ? 1 : 0)));
        int done = 0;
        var runs = new List<BenchRun>();
        foreach (var workload in workloads)
            foreach (int threads in arguments.Threads)
            {
                var point = targets.ToList();
                if (host && workload.RunsOnHost)
                    point.Add(BenchTarget.Host);
                foreach (var target in point)
                {
                    var run = RunPoint(workload, target, threads, arguments.Seconds);
                    runs.Add(run);
                    progress.WriteLine($"[{++done}/{total}] {workload.Name} {target.Name} x{threads}: {run.OpsPerSecond / 1e6:F3} Mops/s");
                }
            }
        if (arguments.Workloads.Contains(Workload.SingleThreadName))
            runs.AddRange(RunCostTables(host ? [.. targets, BenchTarget.Host] : targets));
        return WithHostRatios(runs);
    }

    /// <summary>One point: prepare outside the clock, start every thread at a barrier, stop them after <paramref name="seconds"/>.</summary>
    public static BenchRun RunPoint(Workload workload, BenchTarget target, int threads, double seconds)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var prepared = workload.Prepare(target, threads);
        var stop = new StopSignal();
        var start = new Barrier(threads + 1);
        var ops = new long[threads];
        Exception? failure = null;
        var workers = Enumerable.Range(0, threads).Select(index => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                ops[index] = prepared.RunWorker(index, stop);
            }
            catch (Exception error)
            {
                Interlocked.CompareExchange(ref failure, error, null);
                stop.Stop();
            }
        }) { IsBackground = true, Name = $"bench-{index}" }).ToList();
        workers.ForEach(w => w.Start());
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        // A benchmark waits for real time by definition; nothing here is a test.
        stop.WaitOrStop(TimeSpan.FromSeconds(seconds));
        workers.ForEach(w => w.Join());
        double elapsed = clock.Elapsed.TotalSeconds;
        if (failure is not null)
            throw new InvalidOperationException($"{workload.Name} on {target.Name} with {threads} threads failed: {failure.GetType().Name}: {failure.Message}", failure);
        long sum = ops.Sum();
        return new BenchRun(workload.Name, target.Name, workload.Operation, threads, elapsed, sum,
            sum / elapsed, sum == 0 ? double.NaN : elapsed * threads * 1e9 / sum);
    }

    IEnumerable<BenchRun> RunCostTables(IReadOnlyList<BenchTarget> targets)
    {
        double scale = CostScale(arguments.Seconds);
        var runs = new List<BenchRun>();
        foreach (var target in targets)
        {
            progress.WriteLine($"[single] {target.Name}");
            foreach (var row in CostTable.Measure(target, scale))
                runs.Add(new BenchRun(Workload.SingleThreadName, target.Name, row.Operation, 1, 0, 0, 1e9 / row.NanosecondsPerOp,
                    row.NanosecondsPerOp, row.Floor, row.FloorNanosecondsPerOp, row.RatioToFloor));
        }
        return runs;
    }

    /// <summary>The cost table's operation-count scale for a given --seconds: about 2.5 s per target at the default.</summary>
    public static double CostScale(double seconds) => Math.Max(0.002, seconds / CostTableSecondsAtScaleOne * 2);

    /// <summary>Fills <see cref="BenchRun.SpeedVsHost"/> from the host's figure for the same workload, operation and thread count.</summary>
    static List<BenchRun> WithHostRatios(List<BenchRun> runs)
    {
        var hostCost = runs.Where(r => r.Target == BenchTarget.HostName)
            .ToDictionary(r => (r.Workload, r.Operation, r.Threads), r => r.NsPerOp);
        return runs.Select(r => r.Target != BenchTarget.HostName && hostCost.TryGetValue((r.Workload, r.Operation, r.Threads), out double host)
            ? r with { SpeedVsHost = host / r.NsPerOp }
            : r).ToList();
    }
}
