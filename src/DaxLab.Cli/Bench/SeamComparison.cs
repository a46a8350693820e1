using System.Diagnostics;
using DaxLab.Designs;

namespace DaxLab.Cli.Bench;

/// <summary>
/// What the checker's seam costs on real threads: this build's single-thread cost table against
/// the same table from a build with the seam compiled out (configuration ReleaseNoSeam). Both run
/// as child processes, alternating rounds so both see the same machine load and the same JIT
/// warm-up. Each round gives one seam-in over seam-out ratio per operation (each side's median);
/// the overhead is estimated over the rounds like any other figure, with its interval.
/// </summary>
public static class SeamComparison
{
    /// <summary>The longest a child run may take before the comparison is abandoned.</summary>
    static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(5);

    public const string BuildHint = "dotnet build src/DaxLab.Cli -c ReleaseNoSeam";

    public static SeamCost? Measure(BenchArguments arguments, TextWriter progress)
    {
        bool thisBuildHasNoSeam = DaxLab.Sync.Seam.CompiledOut;
        if (thisBuildHasNoSeam)
            return null;
        string? executable = arguments.SeamOffExecutable ?? BesideThisBuild();
        if (executable is null || !File.Exists(executable))
        {
            progress.WriteLine($"[seam] not measured: no seam-less build at {executable ?? "(unknown)"}; build one with `{BuildHint}`");
            return null;
        }
        var design = arguments.Designs.FirstOrDefault(d => d == DesignCatalog.Default) ?? arguments.Designs[0];
        // Both sides run as fresh child processes, so both pay the same JIT tiering and start-up.
        string self = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "daxlab.exe" : "daxlab");
        var with = new Dictionary<string, List<double>>();
        var without = new Dictionary<string, List<double>>();
        for (int round = 1; round <= arguments.Trials; round++)
        {
            progress.WriteLine($"[seam] round {round}/{arguments.Trials}: {design.Name}, seam compiled in");
            Collect(with, RunChild(self, design.Name, arguments.Seconds));
            progress.WriteLine($"[seam] round {round}/{arguments.Trials}: {design.Name}, seam compiled out ({executable})");
            Collect(without, RunChild(executable, design.Name, arguments.Seconds));
        }
        return Overheads(design.Name, with, without);
    }

    /// <summary>Appends each operation's median of one child run to that operation's list of rounds.</summary>
    static void Collect(Dictionary<string, List<double>> rounds, IEnumerable<BenchRun> runs)
    {
        foreach (var run in runs)
        {
            if (!rounds.TryGetValue(run.Operation, out var list))
                rounds[run.Operation] = list = [];
            list.Add(run.NsPerOp.Median);
        }
    }

    /// <summary>The per-operation overheads round by round, and their geometric mean in each round, as estimates over the rounds.</summary>
    public static SeamCost? Overheads(string design, Dictionary<string, List<double>> with, Dictionary<string, List<double>> without)
    {
        var operations = with.Keys.Where(op => without.TryGetValue(op, out var w) && w.Count == with[op].Count).ToList();
        if (operations.Count == 0)
            return null;
        var rows = operations.Select(op =>
        {
            Estimate inside = Estimate.Of(with[op]), outside = Estimate.Of(without[op]);
            return new SeamCostRow(op, inside, outside, Estimate.PairedRatio(inside, outside).Map(r => r - 1));
        }).ToList();
        int rounds = with[operations[0]].Count;
        var geomeans = Enumerable.Range(0, rounds)
            .Select(round => Math.Exp(operations.Average(op => Math.Log(with[op][round] / without[op][round]))) - 1).ToArray();
        return new SeamCost(design, rows, Estimate.Of(geomeans));
    }

    /// <summary>bin/Release/net10.0/daxlab → bin/ReleaseNoSeam/net10.0/daxlab.</summary>
    static string? BesideThisBuild()
    {
        string here = AppContext.BaseDirectory;
        string marker = $"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}";
        int at = here.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
            return null;
        string directory = here[..at] + $"{Path.DirectorySeparatorChar}ReleaseNoSeam{Path.DirectorySeparatorChar}" + here[(at + marker.Length)..];
        return Path.Combine(directory, OperatingSystem.IsWindows() ? "daxlab.exe" : "daxlab");
    }

    /// <summary>The child's single-thread rows for <paramref name="design"/>, read from the results.json it writes.</summary>
    static IEnumerable<BenchRun> RunChild(string executable, string design, double seconds)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"daxlab-seam-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in (string[])["bench", "--workload", "single", "--design", design, "--no-host", "--no-plots",
                         "--seconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", directory])
                start.ArgumentList.Add(argument);
            using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
            var output = child.StandardOutput.ReadToEndAsync();
            var errors = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(ChildTimeout))
            {
                child.Kill();
                throw new InvalidOperationException($"the seam-less build at {executable} ran longer than {ChildTimeout.TotalMinutes} minutes");
            }
            if (child.ExitCode != 0)
                throw new InvalidOperationException($"the seam-less build at {executable} failed: {errors.Result.Trim()}");
            string results = Path.Combine(directory, "results.json");
            var result = BenchReport.FromJson(File.ReadAllText(results), results);
            return result.Runs.Where(r => r.Workload == Workload.SingleThreadName && r.Target == design).ToList();
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
