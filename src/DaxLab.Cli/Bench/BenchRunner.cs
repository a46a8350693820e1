using System.Diagnostics;

namespace DaxLab.Cli.Bench;

/// <summary>
/// One measured figure, each an <see cref="Estimate"/> over the point's trials. Multi-threaded
/// points: total operations per second, and thread-time per operation. Single-thread rows: cost
/// per operation next to the memcpy floor of the same size, and their ratio taken trial by trial.
/// <see cref="SpeedVsHost"/> is the host kernel's cost over ours, same workload, same rounds:
/// above 1 means the engine is faster.
/// </summary>
public sealed record BenchRun(
    string Workload,
    string Target,
    string Operation,
    int Threads,
    double SecondsPerTrial,
    long Ops,
    Estimate OpsPerSecond,
    Estimate NsPerOp,
    string? Floor = null,
    Estimate? FloorNsPerOp = null,
    Estimate? RatioToFloor = null,
    Estimate? SpeedVsHost = null)
{
    /// <summary>True when the point's own figure (its cost, or its ratio to the floor) has an interval wider than <see cref="Estimate.NoisyShare"/>.</summary>
    public bool Noisy => NsPerOp.Noisy || RatioToFloor?.Noisy == true;
}

/// <summary>One timed trial of a multi-threaded point: operations finished by all threads, and the wall time.</summary>
public readonly record struct PointTrial(long Ops, double Seconds);

/// <summary>
/// Runs the selected workloads × targets × thread counts on real threads. Each point is the
/// median of several trials; the targets of a point take their trials in rounds (every target
/// once per round, after a warm-up round that is not kept), so a drift in the machine's load hits
/// every design and the host alike.
/// </summary>
public sealed class BenchRunner(BenchArguments arguments, TextWriter progress)
{
    /// <summary>The cost table's 4 KiB trials take about this many seconds at scale 1.</summary>
    const double CostTrialSecondsAtScaleOne = 0.15;

    /// <summary>
    /// A cost-table trial lasts this share of a point's trial: the table repeats it for every
    /// operation, target and floor, which would otherwise make it the longest part of the run.
    /// </summary>
    const double CostTrialShare = 0.25;

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
                var trials = RunRounds(workload, point, threads, arguments.Seconds, arguments.Trials);
                foreach (var target in point)
                {
                    var run = ToRun(workload, target, threads, arguments.Seconds, trials[target]);
                    runs.Add(run);
                    progress.WriteLine($"[{++done}/{total}] {workload.Name} {target.Name} x{threads}: {run.OpsPerSecond.Map(r => r / 1e6).Format("F3")} Mops/s");
                }
            }
        if (arguments.Workloads.Contains(Workload.SingleThreadName))
            runs.AddRange(RunCostTables(host ? [.. targets, BenchTarget.Host] : targets));
        return WithHostRatios(runs);
    }

    /// <summary>A warm-up round, then <paramref name="trials"/> rounds of one trial per target in the same order.</summary>
    static Dictionary<BenchTarget, List<PointTrial>> RunRounds(Workload workload, IReadOnlyList<BenchTarget> targets, int threads, double seconds, int trials)
    {
        var kept = targets.ToDictionary(t => t, _ => new List<PointTrial>());
        for (int round = 0; round <= trials; round++)
            foreach (var target in targets)
            {
                var trial = RunTrial(workload, target, threads, seconds);
                bool warmUp = round == 0;
                if (!warmUp)
                    kept[target].Add(trial);
            }
        return kept;
    }

    /// <summary>A point's row from its trials: the rate of all threads together, and thread-time per operation.</summary>
    static BenchRun ToRun(Workload workload, BenchTarget target, int threads, double seconds, List<PointTrial> trials) =>
        new(workload.Name, target.Name, workload.Operation, threads, seconds, trials.Sum(t => t.Ops),
            Estimate.Of(trials.Select(t => t.Ops / t.Seconds).ToArray()),
            Estimate.Of(trials.Select(t => t.Ops == 0 ? double.NaN : t.Seconds * threads * 1e9 / t.Ops).ToArray()));

    /// <summary>One trial: prepare outside the clock, start every thread at a barrier, stop them after <paramref name="seconds"/>.</summary>
    public static PointTrial RunTrial(Workload workload, BenchTarget target, int threads, double seconds)
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
        return new PointTrial(ops.Sum(), elapsed);
    }

    IEnumerable<BenchRun> RunCostTables(IReadOnlyList<BenchTarget> targets)
    {
        progress.WriteLine($"[single] {string.Join(", ", targets.Select(t => t.Name))}, interleaved");
        return CostTable.Measure(targets, CostScale(arguments.Seconds), arguments.Trials, progress).Select(row =>
            new BenchRun(Workload.SingleThreadName, row.Target, row.Operation, 1, row.Cost.Median * row.OpsPerTrial / 1e9,
                row.OpsPerTrial * (long)row.Cost.Trials.Count, row.Cost.Map(ns => 1e9 / ns), row.Cost, row.Floor, row.FloorCost,
                Estimate.PairedRatio(row.Cost, row.FloorCost)));
    }

    /// <summary>The cost table's operation-count scale for a given --seconds per trial.</summary>
    public static double CostScale(double seconds) => Math.Max(0.002, seconds * CostTrialShare / CostTrialSecondsAtScaleOne);

    /// <summary>Fills <see cref="BenchRun.SpeedVsHost"/> from the host's trials for the same workload, operation and thread count, round by round.</summary>
    static List<BenchRun> WithHostRatios(List<BenchRun> runs)
    {
        var hostCost = runs.Where(r => r.Target == BenchTarget.HostName)
            .ToDictionary(r => (r.Workload, r.Operation, r.Threads), r => r.NsPerOp);
        return runs.Select(r => r.Target != BenchTarget.HostName && hostCost.TryGetValue((r.Workload, r.Operation, r.Threads), out var host)
            ? r with { SpeedVsHost = Estimate.PairedRatio(host, r.NsPerOp) }
            : r).ToList();
    }
}
