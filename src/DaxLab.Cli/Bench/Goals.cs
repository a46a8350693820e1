using System.Globalization;
using DaxLab.Designs;

namespace DaxLab.Cli.Bench;

/// <summary>
/// The issue's speed goals, judged on one run's intervals for one design (v4.12, the fix that
/// landed, when it was measured). A goal is met or MISSED only when its whole interval lies on
/// one side of the line, and unsettled when the interval straddles it: one noisy ratio must not
/// flip a verdict. A goal is a printed figure, never a test that can fail.
/// </summary>
public static class Goals
{
    public sealed record Judgement(string Goal, string Figure, Verdict Verdict);

    /// <summary>The largest cost a 4 KiB pwrite or pread may have, in memcpys of the same size.</summary>
    public const double IoLimit = 1.5;

    /// <summary>The largest cost a mapped 4 KiB read may have, in memcpys: a load through a page table in software.</summary>
    public const double MappedReadLimit = 1.25;

    /// <summary>The least share of memcpy bandwidth a 1 MiB pwrite or pread must keep.</summary>
    public const double BandwidthShare = 0.9;

    /// <summary>The most the checker's seam may add to the real-thread paths.</summary>
    public const double SeamLimit = 0.02;

    public static IReadOnlyList<Judgement> Judge(BenchResult result)
    {
        var single = result.Runs.Where(r => r.Workload == Workload.SingleThreadName).ToList();
        string? design = single.Select(r => r.Target).Where(t => t != BenchTarget.HostName)
            .OrderBy(t => t == DesignCatalog.Default.Name ? 0 : 1).FirstOrDefault();
        if (design is null)
            return [];
        var found = single.Where(r => r.Target == design).ToDictionary(r => r.Operation);
        Estimate? Ratio(string operation) => found.TryGetValue(operation, out var r) ? r.RatioToFloor : null;
        Estimate? Speed(string operation) => found.TryGetValue(operation, out var r) ? r.SpeedVsHost : null;
        var judgements = new List<Judgement>
        {
            AtMost($"pwrite 4 KiB within {IoLimit}x memcpy", Ratio("pwrite 4 KiB"), IoLimit),
            AtMost($"pread 4 KiB within {IoLimit}x memcpy", Ratio("pread 4 KiB"), IoLimit),
            AtMost($"mread 4 KiB (mapped) within {MappedReadLimit}x memcpy", Ratio("mread 4 KiB (mapped)"), MappedReadLimit),
            FasterThanHost("pwrite 4 KiB faster than host tmpfs", Speed("pwrite 4 KiB")),
            FasterThanHost("read fault faster than host minor fault", Speed("read fault (PTE)")),
            Bandwidth("pwrite 1 MiB", Ratio("pwrite 1 MiB")),
            Bandwidth("pread 1 MiB", Ratio("pread 1 MiB")),
            Seam(result.Seam),
        };
        return judgements.Select(j => j with { Goal = $"{j.Goal} [{design}]" }).ToList();
    }

    static Judgement AtMost(string goal, Estimate? ratio, double limit) =>
        ratio is null ? new(goal, "not measured", Verdict.NotMeasured) : new(goal, $"{ratio.Format("F2")}x memcpy", ratio.AtMost(limit));

    static Judgement FasterThanHost(string goal, Estimate? speed) =>
        speed is null ? new(goal, "host not measured", Verdict.NotMeasured) : new(goal, $"{speed.Format("F2")}x host speed", speed.Above(1));

    /// <summary>A share of memcpy bandwidth is the inverse of the cost ratio, so the share's interval is the ratio's turned over.</summary>
    static Judgement Bandwidth(string operation, Estimate? ratio)
    {
        string goal = $"{operation} at >= {BandwidthShare:P0} memcpy bandwidth";
        if (ratio is null)
            return new(goal, "not measured", Verdict.NotMeasured);
        var share = ratio.Map(r => 100 / r);
        return new(goal, $"{share.Format("F0")} % of memcpy", ratio.AtMost(1 / BandwidthShare));
    }

    static Judgement Seam(SeamCost? seam)
    {
        string goal = $"checker seam under {SeamLimit.ToString("P0", CultureInfo.InvariantCulture)}";
        return seam is null
            ? new(goal, $"not measured (run with --seam after `{SeamComparison.BuildHint}`)", Verdict.NotMeasured)
            : new(goal, $"{seam.MeanOverhead.Map(v => v * 100).Format("F1")} % (geomean, {seam.Design})", seam.MeanOverhead.AtMost(SeamLimit));
    }

    /// <summary>The word a verdict prints as: met and MISSED only for settled intervals.</summary>
    public static string Word(Verdict verdict) => verdict switch
    {
        Verdict.Met => "met",
        Verdict.Missed => "MISSED",
        Verdict.Unsettled => "unsettled",
        _ => "-",
    };

    public static void Print(BenchResult result, TextWriter output)
    {
        var judgements = Judge(result);
        if (judgements.Count == 0)
            return;
        output.WriteLine();
        output.WriteLine("goals (met or MISSED only when the whole interval lies on one side; unsettled when it straddles the line)");
        foreach (var j in judgements)
            output.WriteLine($"  {Word(j.Verdict),-9} {j.Goal,-58} {j.Figure}");
    }
}
