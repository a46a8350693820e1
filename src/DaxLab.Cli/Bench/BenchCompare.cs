using System.Globalization;

namespace DaxLab.Cli.Bench;

/// <summary>
/// `daxlab bench --compare BEFORE.json AFTER.json`, as `perf diff` compares two profiles: each
/// point's change, and whether it is beyond the noise, that is whether the two intervals are
/// disjoint. Single-thread rows compare their ratio to the memcpy floor, which cancels a change
/// in the machine's speed between the runs; the others compare ns per operation. Lower is better
/// for both.
/// </summary>
public static class BenchCompare
{
    /// <summary>One point present in both runs, or in only one (the other side null).</summary>
    public sealed record PointChange(string Workload, string Target, string Operation, int Threads, string Figure, Estimate? Before, Estimate? After)
    {
        /// <summary>After over before, minus 1: negative is cheaper.</summary>
        public double Change => After is null || Before is null ? double.NaN : After.Median / Before.Median - 1;

        /// <summary>True when the two intervals are disjoint: a difference the noise of either run would not make.</summary>
        public bool BeyondNoise => After is not null && Before is not null && Before.DisjointFrom(After);

        public string Verdict => Before is null ? "only after" : After is null ? "only before"
            : !BeyondNoise ? "within noise" : Change < 0 ? "faster" : "slower";
    }

    /// <summary>Reads both files and prints the comparison; a missing or foreign file is an InvalidOperationException naming it.</summary>
    public static int Run(string beforePath, string afterPath, TextWriter output)
    {
        var before = Read(beforePath);
        var after = Read(afterPath);
        Print(before, after, output);
        return 0;
    }

    static BenchResult Read(string path) =>
        File.Exists(path)
            ? BenchReport.FromJson(File.ReadAllText(path), path)
            : throw new InvalidOperationException($"{path}: no such file (give two results.json files written by daxlab bench)");

    /// <summary>The points of both runs, matched by workload, target, operation and thread count, in the before run's order.</summary>
    public static IReadOnlyList<PointChange> Changes(BenchResult before, BenchResult after)
    {
        static (string, string, string, int) Key(BenchRun r) => (r.Workload, r.Target, r.Operation, r.Threads);
        var afterByKey = after.Runs.ToDictionary(Key);
        var beforeKeys = before.Runs.Select(Key).ToHashSet();
        var changes = before.Runs.Select(b => Pair(b, afterByKey.GetValueOrDefault(Key(b)))).ToList();
        changes.AddRange(after.Runs.Where(a => !beforeKeys.Contains(Key(a))).Select(a => Pair(null, a)));
        return changes;
    }

    /// <summary>The figure both sides are compared on: the ratio to the floor where the row has one, else ns/op.</summary>
    static PointChange Pair(BenchRun? before, BenchRun? after)
    {
        var any = before ?? after!;
        bool byRatio = (before ?? after)!.RatioToFloor is not null;
        Estimate? Figure(BenchRun? run) => run is null ? null : byRatio ? run.RatioToFloor : run.NsPerOp;
        return new(any.Workload, any.Target, any.Operation, any.Threads, byRatio ? "x memcpy" : "ns/op", Figure(before), Figure(after));
    }

    public static void Print(BenchResult before, BenchResult after, TextWriter output)
    {
        output.WriteLine($"before: {Describe(before.Machine)}");
        output.WriteLine($"after:  {Describe(after.Machine)}");
        if (before.Machine.Cpu != after.Machine.Cpu || before.Machine.Cores != after.Machine.Cores)
            output.WriteLine("note: the runs were made on different machines; only the x memcpy rows compare across machines");
        output.WriteLine("change = after / before - 1 (lower is better); beyond noise = the two intervals are disjoint");
        output.WriteLine();
        output.WriteLine($"{"workload",-18} {"target",-15} {"operation",-24} {"thr",3} {"figure",-8} {"before [interval]",-26} {"after [interval]",-26} {"change",8}  verdict");
        var changes = Changes(before, after);
        foreach (var c in changes)
            output.WriteLine($"{c.Workload,-18} {c.Target,-15} {c.Operation,-24} {c.Threads,3} {c.Figure,-8} {Cell(c.Before),-26} {Cell(c.After),-26} "
                + $"{(double.IsNaN(c.Change) ? "" : c.Change.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture)),8}  {c.Verdict}");
        output.WriteLine();
        output.WriteLine($"{changes.Count(c => c.Verdict == "faster")} faster, {changes.Count(c => c.Verdict == "slower")} slower, "
            + $"{changes.Count(c => c.Verdict == "within noise")} within noise, {changes.Count(c => c.Before is null || c.After is null)} in one run only");
    }

    static string Describe(BenchMachine m) =>
        $"commit {m.Commit} ({m.BuildConfiguration}, seam {m.Seam}), {m.StartedUtc}, {m.Cores} cores, load {m.LoadAverageBefore}, {m.Trials} trials";

    /// <summary>Enough digits for a ratio near 1 and for a cost in ns alike.</summary>
    static string Cell(Estimate? e) => e is null ? "-" : e.Format(e.Median < 10 ? "F3" : "F0");
}
