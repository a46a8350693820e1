using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaxLab.Cli.Bench;

/// <summary>Where and how a run was made: enough to judge whether two runs' ratios are comparable.</summary>
public sealed record BenchMachine(
    string Machine,
    string Cpu,
    int Cores,
    string Os,
    string DotNet,
    string GitCommit,
    string Seam,
    string LoadAverageBefore,
    string LoadAverageAfter,
    double SecondsPerPoint,
    string StartedUtc,
    string Command)
{
    public static BenchMachine Describe(BenchArguments arguments, IReadOnlyList<string> args, DateTime started, string loadBefore) => new(
        Environment.MachineName,
        CpuModel(),
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        CurrentGitCommit(),
        DaxLab.Sync.Seam.CompiledOut ? "compiled out (ReleaseNoSeam)" : "compiled in",
        loadBefore,
        LoadAverage(),
        arguments.Seconds,
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

    /// <summary>The commit of the working directory's repository (+dirty when it has changes), or "unknown".</summary>
    static string CurrentGitCommit()
    {
        string Git(string arguments)
        {
            var start = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("git did not start");
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : throw new InvalidOperationException("git failed");
        }
        try
        {
            string commit = Git("rev-parse --short=12 HEAD");
            return Git("status --porcelain --untracked-files=no").Length > 0 ? commit + "+dirty" : commit;
        }
        catch (Exception error) when (error is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

/// <summary>A finished run: its machine, every figure, and the seam comparison when it was made.</summary>
public sealed record BenchResult(BenchMachine Machine, IReadOnlyList<BenchRun> Runs, SeamCost? Seam = null);

/// <summary>The checker's seam measured against a build with it compiled out, same operations, same run.</summary>
public sealed record SeamCost(string Design, IReadOnlyList<SeamCostRow> Rows)
{
    /// <summary>The geometric mean of the per-operation overheads (seam-in cost over seam-out cost).</summary>
    public double MeanOverhead => Math.Exp(Rows.Average(r => Math.Log(r.WithSeamNs / r.WithoutSeamNs))) - 1;
}

public sealed record SeamCostRow(string Operation, double WithSeamNs, double WithoutSeamNs)
{
    public double Overhead => WithSeamNs / WithoutSeamNs - 1;
}

/// <summary>The terminal table and the CSV and JSON files.</summary>
public static class BenchReport
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly string[] CsvColumns =
    [
        "workload", "target", "operation", "threads", "seconds", "ops", "ops_per_second", "ns_per_op",
        "floor", "floor_ns_per_op", "ratio_to_floor", "speed_vs_host",
    ];

    public static string ToJson(BenchResult result) => JsonSerializer.Serialize(result, Json);

    public static BenchResult? FromJson(string text) => JsonSerializer.Deserialize<BenchResult>(text, Json);

    public static string ToCsv(IEnumerable<BenchRun> runs)
    {
        var text = new StringBuilder(string.Join(',', CsvColumns)).Append('\n');
        foreach (var r in runs)
        {
            string[] cells =
            [
                Quote(r.Workload), Quote(r.Target), Quote(r.Operation), Number(r.Threads), Number(r.Seconds), Number(r.Ops),
                Number(r.OpsPerSecond), Number(r.NsPerOp), Quote(r.Floor ?? ""), Number(r.FloorNsPerOp),
                Number(r.RatioToFloor), Number(r.SpeedVsHost),
            ];
            text.Append(string.Join(',', cells)).Append('\n');
        }
        return text.ToString();
    }

    static string Number(double? value) => value is double v ? v.ToString("G6", CultureInfo.InvariantCulture) : "";

    static string Quote(string cell) => cell.IndexOfAny([',', '"', '\n']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    /// <summary>Per workload: Mops/s by target and thread count, with the speed against the host in brackets; then the cost table.</summary>
    public static void PrintTable(BenchResult result, TextWriter output)
    {
        var m = result.Machine;
        output.WriteLine($"DaxLab bench: {m.Cpu}, {m.Cores} cores, {m.DotNet}, commit {m.GitCommit}, seam {m.Seam}");
        output.WriteLine($"load average {m.LoadAverageBefore} before, {m.LoadAverageAfter} after; {m.SecondsPerPoint} s per point");
        foreach (var group in result.Runs.Where(r => r.Workload != Workload.SingleThreadName).GroupBy(r => r.Workload))
        {
            var threads = group.Select(r => r.Threads).Distinct().Order().ToList();
            output.WriteLine();
            output.WriteLine($"{group.Key}: Mops/s of '{group.First().Operation}' (x host speed)");
            output.WriteLine($"{"",-16}" + string.Concat(threads.Select(t => $"{t + " thr",18}")));
            foreach (var target in group.GroupBy(r => r.Target))
            {
                var cells = threads.Select(t => target.FirstOrDefault(r => r.Threads == t) is BenchRun r
                    ? (r.OpsPerSecond / 1e6).ToString("F3", CultureInfo.InvariantCulture) + (r.SpeedVsHost is double s ? $" ({s:F2}x)" : "       ")
                    : "-");
                output.WriteLine($"{target.Key,-16}" + string.Concat(cells.Select(c => $"{c,18}")));
            }
        }
        PrintCostTable(result.Runs.Where(r => r.Workload == Workload.SingleThreadName).ToList(), output);
        if (result.Seam is SeamCost seam)
            PrintSeam(seam, output);
    }

    /// <summary>Rows: operations; columns: ns/op per target with its ratio to the memcpy of the same size timed alongside it.</summary>
    static void PrintCostTable(List<BenchRun> single, TextWriter output)
    {
        if (single.Count == 0)
            return;
        var targets = single.Select(r => r.Target).Distinct().ToList();
        output.WriteLine();
        output.WriteLine("single thread: ns/op (x memcpy of the same size, timed in alternation with it)");
        output.WriteLine($"{"operation",-24}" + string.Concat(targets.Select(t => $"{t,18}")) + $"{"memcpy floor",14}");
        foreach (var operation in single.Select(r => r.Operation).Distinct())
        {
            var rows = targets.Select(t => single.FirstOrDefault(r => r.Target == t && r.Operation == operation)).ToList();
            var cells = rows.Select(r => r is null ? "-" : $"{r.NsPerOp,10:F0} ({r.RatioToFloor,4:F2})");
            var floor = rows.First(r => r is not null)!;
            output.WriteLine($"{operation,-24}" + string.Concat(cells.Select(c => $"{c,18}")) + $"{floor.FloorNsPerOp,9:F0} ({floor.Floor})".PadLeft(14));
        }
    }

    static void PrintSeam(SeamCost seam, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"seam cost ({seam.Design}, single thread, seam compiled in vs compiled out, same run)");
        foreach (var row in seam.Rows)
            output.WriteLine($"{row.Operation,-24} {row.WithSeamNs,10:F0} ns vs {row.WithoutSeamNs,10:F0} ns  {row.Overhead * 100,6:F1} %");
        output.WriteLine($"{"geometric mean",-24} {seam.MeanOverhead * 100,37:F1} %");
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
