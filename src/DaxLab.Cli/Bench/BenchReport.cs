using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaxLab.Cli.Bench;

/// <summary>Where and how a run was made: enough to judge whether two runs' figures are comparable, and to rebuild what made them.</summary>
public sealed record BenchMachine(
    string Machine,
    string Cpu,
    int Cores,
    string Os,
    string DotNet,
    string Version,
    string Commit,
    string BuildConfiguration,
    string Seam,
    string LoadAverageBefore,
    string LoadAverageAfter,
    double SecondsPerTrial,
    int Trials,
    string StartedUtc,
    string Command)
{
    public static BenchMachine Describe(BenchArguments arguments, IReadOnlyList<string> args, DateTime started, string loadBefore) => new(
        Environment.MachineName,
        CpuModel(),
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        BuildProvenance.InformationalVersion,
        BuildProvenance.Commit,
        BuildProvenance.Configuration,
        DaxLab.Sync.Seam.CompiledOut ? "compiled out (ReleaseNoSeam)" : "compiled in",
        loadBefore,
        LoadAverage(),
        arguments.Seconds,
        arguments.Trials,
        started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        string.Join(' ', ["daxlab", "bench", .. args]));

    /// <summary>The first three fields of /proc/loadavg (1, 5 and 15 minutes), or "unknown".</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}

/// <summary>A finished run: its machine, every figure, and the seam comparison when it was made.</summary>
/// <param name="SchemaVersion">The results.json layout: 2 is camelCase with estimates; 1 was the unversioned snake_case one-sample layout.</param>
public sealed record BenchResult(int SchemaVersion, BenchMachine Machine, IReadOnlyList<BenchRun> Runs, SeamCost? Seam = null)
{
    public const int CurrentSchemaVersion = 2;
}

/// <summary>The checker's seam measured against a build with it compiled out, same operations, rounds alternating.</summary>
/// <param name="MeanOverhead">Per round, the geometric mean over operations of seam-in over seam-out cost, minus 1; estimated over the rounds.</param>
public sealed record SeamCost(string Design, IReadOnlyList<SeamCostRow> Rows, Estimate MeanOverhead);

/// <summary>One operation's cost with and without the seam (each round's median), and the overhead taken round by round.</summary>
public sealed record SeamCostRow(string Operation, Estimate WithSeamNs, Estimate WithoutSeamNs, Estimate Overhead);

/// <summary>The terminal table and the CSV and JSON files.</summary>
public static class BenchReport
{
    /// <summary>camelCase with a schemaVersion field: the one JSON convention of DaxLab's machine-readable output.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly string[] CsvColumns =
    [
        "workload", "target", "operation", "threads", "trials", "seconds_per_trial", "ops",
        "ops_per_second", "ops_per_second_low", "ops_per_second_high",
        "ns_per_op", "ns_per_op_min", "ns_per_op_max", "ns_per_op_low", "ns_per_op_high",
        "floor", "floor_ns_per_op", "ratio_to_floor", "ratio_to_floor_low", "ratio_to_floor_high",
        "speed_vs_host", "speed_vs_host_low", "speed_vs_host_high", "noisy",
    ];

    public static string ToJson(BenchResult result) => JsonSerializer.Serialize(result, Json);

    /// <summary>A results.json of this layout; anything else is an InvalidOperationException that names the file and what is wrong.</summary>
    public static BenchResult FromJson(string text, string path)
    {
        try
        {
            using (var document = JsonDocument.Parse(text))
            {
                var root = document.RootElement;
                int version = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("schemaVersion", out var v) && v.TryGetInt32(out int n) ? n : 1;
                if (version != BenchResult.CurrentSchemaVersion)
                    throw new InvalidOperationException($"{path}: results of schema version {version}; this daxlab reads version {BenchResult.CurrentSchemaVersion} (rerun the bench with it)");
            }
            return JsonSerializer.Deserialize<BenchResult>(text, Json) ?? throw new InvalidOperationException($"{path}: empty results");
        }
        catch (JsonException error)
        {
            throw new InvalidOperationException($"{path}: not a daxlab bench results.json ({error.Message})");
        }
    }

    public static string ToCsv(IEnumerable<BenchRun> runs)
    {
        var text = new StringBuilder(string.Join(',', CsvColumns)).Append('\n');
        foreach (var r in runs)
        {
            string[] cells =
            [
                Quote(r.Workload), Quote(r.Target), Quote(r.Operation), PlainNumber.Format(r.Threads), PlainNumber.Format(r.NsPerOp.Trials.Count),
                PlainNumber.Format(r.SecondsPerTrial), PlainNumber.Format(r.Ops),
                .. Cells(r.OpsPerSecond, withRange: false), .. Cells(r.NsPerOp, withRange: true), Quote(r.Floor ?? ""),
                PlainNumber.Format(r.FloorNsPerOp?.Median), .. Cells(r.RatioToFloor, withRange: false), .. Cells(r.SpeedVsHost, withRange: false),
                r.Noisy ? "yes" : "no",
            ];
            text.Append(string.Join(',', cells)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>An estimate's CSV cells: median, [min, max,] interval low and high; empty cells when absent.</summary>
    static IEnumerable<string> Cells(Estimate? e, bool withRange)
    {
        yield return PlainNumber.Format(e?.Median);
        if (withRange)
        {
            yield return PlainNumber.Format(e?.Min);
            yield return PlainNumber.Format(e?.Max);
        }
        yield return PlainNumber.Format(e?.Low);
        yield return PlainNumber.Format(e?.High);
    }

    static string Quote(string cell) => cell.IndexOfAny([',', '"', '\n']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    /// <summary>The mark after a figure whose interval is wider than <see cref="Estimate.NoisyShare"/> of its median.</summary>
    public const string NoisyMark = "~";

    /// <summary>The header: machine, provenance and load, then per workload Mops/s with intervals, then the cost table.</summary>
    public static void PrintTable(BenchResult result, TextWriter output)
    {
        var m = result.Machine;
        output.WriteLine($"DaxLab bench: {m.Cpu}, {m.Cores} cores, {m.DotNet}, commit {m.Commit} ({m.BuildConfiguration}), seam {m.Seam}");
        output.WriteLine($"load average {m.LoadAverageBefore} before, {m.LoadAverageAfter} after; median of {m.Trials} trials of {m.SecondsPerTrial} s after a warm-up, "
            + $"[low, high] its {ConfidenceText(result.Runs)} interval; {NoisyMark} marks an interval wider than {Estimate.NoisyShare:P0} of its median");
        foreach (var group in result.Runs.Where(r => r.Workload != Workload.SingleThreadName).GroupBy(r => r.Workload))
            PrintThroughput(group.Key, group.ToList(), output);
        PrintCostTable(result.Runs.Where(r => r.Workload == Workload.SingleThreadName).ToList(), output);
        if (result.Seam is SeamCost seam)
            PrintSeam(seam, output);
    }

    /// <summary>"93.75%" or "96.1%": the coverage the intervals of these runs have (all runs of one result have the same trial count).</summary>
    static string ConfidenceText(IReadOnlyList<BenchRun> runs) =>
        runs.Count == 0 ? "" : runs[0].NsPerOp.Confidence.ToString("P2", CultureInfo.InvariantCulture);

    /// <summary>One workload: a line per target and thread count, Mops/s [interval] and the speed against the host.</summary>
    static void PrintThroughput(string workload, List<BenchRun> runs, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"{workload}: Mops/s of '{runs[0].Operation}' [interval] (x host speed [interval])");
        foreach (var r in runs.OrderBy(r => r.Threads))
        {
            string speed = r.SpeedVsHost is Estimate s ? $"{s.Format("F2")}x" : "";
            output.WriteLine($"  {r.Target,-16} {r.Threads,3} thr  {r.OpsPerSecond.Map(v => v / 1e6).Format("F3"),-26}{Mark(r)} {speed}");
        }
    }

    static string Mark(BenchRun run) => run.Noisy ? NoisyMark : " ";

    /// <summary>Per operation, a line per target: ns/op and its ratio to the memcpy of the same size timed back to back with it, each with its interval.</summary>
    static void PrintCostTable(List<BenchRun> single, TextWriter output)
    {
        if (single.Count == 0)
            return;
        output.WriteLine();
        output.WriteLine("single thread: ns/op [interval], x memcpy of the same size [interval] (ratios taken trial by trial)");
        foreach (var operation in single.GroupBy(r => r.Operation))
        {
            output.WriteLine($"{operation.Key} (floor: {operation.First().Floor}, {operation.First().FloorNsPerOp?.Format("F0")} ns)");
            foreach (var r in operation)
                output.WriteLine($"  {r.Target,-16} {r.NsPerOp.Format("F0"),-26} {r.RatioToFloor?.Format("F2") + "x",-22}{Mark(r)}");
        }
    }

    static void PrintSeam(SeamCost seam, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"seam cost ({seam.Design}, single thread, seam compiled in vs compiled out, rounds alternating): overhead [interval]");
        foreach (var row in seam.Rows)
            output.WriteLine($"  {row.Operation,-24} {row.WithSeamNs.Median,10:F0} ns vs {row.WithoutSeamNs.Median,10:F0} ns  {row.Overhead.Map(v => v * 100).Format("F1")} %");
        output.WriteLine($"  {"geometric mean",-24} {seam.MeanOverhead.Map(v => v * 100).Format("F1"),42} %");
    }

    /// <summary>Writes results.csv and results.json into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteFiles(BenchResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        string csv = Path.Combine(directory, "results.csv"), json = Path.Combine(directory, "results.json");
        File.WriteAllText(csv, ToCsv(result.Runs));
        File.WriteAllText(json, ToJson(result));
        return [csv, json];
    }
}
