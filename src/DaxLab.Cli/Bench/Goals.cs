using DaxLab.Designs;

namespace DaxLab.Cli.Bench;

/// <summary>
/// The issue's speed goals, judged on one run's ratios for one design (v4.12, the fix that
/// landed, when it was measured). A goal is a printed figure, never a test that can fail.
/// </summary>
public static class Goals
{
    public sealed record Verdict(string Goal, string Figure, bool? Met, string Margin);

    public static IReadOnlyList<Verdict> Judge(BenchResult result)
    {
        var single = result.Runs.Where(r => r.Workload == Workload.SingleThreadName).ToList();
        string? design = single.Select(r => r.Target).Where(t => t != BenchTarget.HostName)
            .OrderBy(t => t == DesignCatalog.Default.Name ? 0 : 1).FirstOrDefault();
        var verdicts = new List<Verdict>();
        if (design is null)
            return verdicts;
        BenchRun? Find(string operation) => single.FirstOrDefault(r => r.Target == design && r.Operation == operation);

        void AtMost(string goal, string operation, double limit)
        {
            if (Find(operation) is BenchRun r && r.RatioToFloor is double ratio)
                verdicts.Add(new(goal, $"{ratio:F2}x memcpy", ratio <= limit, ratio <= limit ? "" : $"{ratio / limit - 1:P0} over"));
        }

        void FasterThanHost(string goal, string operation)
        {
            if (Find(operation) is BenchRun r)
                verdicts.Add(r.SpeedVsHost is double speed
                    ? new(goal, $"{speed:F2}x host speed", speed > 1, speed > 1 ? "" : $"host {1 / speed:F2}x faster")
                    : new(goal, "host not measured", null, ""));
        }

        void Bandwidth(string goal, string operation)
        {
            if (Find(operation) is BenchRun r && r.RatioToFloor is double ratio)
            {
                double share = 1 / ratio;
                verdicts.Add(new(goal, $"{share:P0} of memcpy", share >= 0.8, share >= 0.8 ? "" : $"{0.8 - share:P0} short"));
            }
        }

        AtMost("pwrite 4 KiB within 1.5x memcpy", "pwrite 4 KiB", 1.5);
        FasterThanHost("pwrite 4 KiB faster than host tmpfs", "pwrite 4 KiB");
        AtMost("mread 4 KiB (mapped) within 1.5x memcpy", "mread 4 KiB (mapped)", 1.5);
        FasterThanHost("read fault faster than host minor fault", "read fault (PTE)");
        Bandwidth("pwrite 1 MiB at >= 80% memcpy bandwidth", "pwrite 1 MiB");
        Bandwidth("pread 1 MiB at >= 80% memcpy bandwidth", "pread 1 MiB");
        verdicts.Add(result.Seam is SeamCost seam
            ? new("checker seam under 2%", $"{seam.MeanOverhead:P1} (geomean, {seam.Design})", seam.MeanOverhead < 0.02,
                seam.MeanOverhead < 0.02 ? "" : $"{seam.MeanOverhead - 0.02:P1} over")
            : new("checker seam under 2%", $"not measured (run with --seam after `{SeamComparison.BuildHint}`)", null, ""));
        return verdicts.Select(v => v with { Goal = $"{v.Goal} [{design}]" }).ToList();
    }

    public static void Print(BenchResult result, TextWriter output)
    {
        var verdicts = Judge(result);
        if (verdicts.Count == 0)
            return;
        output.WriteLine();
        output.WriteLine("goals (ratios from this run)");
        foreach (var v in verdicts)
            output.WriteLine($"  {(v.Met switch { true => "met   ", false => "MISSED", null => "  -   " })} {v.Goal,-58} {v.Figure} {v.Margin}");
    }
}
