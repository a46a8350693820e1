using System.Diagnostics;
using DaxLab.Designs;

namespace DaxLab.Cli.Bench;

/// <summary>
/// What the checker's seam costs on real threads: this build's single-thread cost table against
/// the same table from a build with the seam compiled out (configuration ReleaseNoSeam). Both run
/// as child processes, alternating rounds so both see the same machine load and the same JIT
/// warm-up; the lower of each side's rounds is kept.
/// </summary>
public static class SeamComparison
{
    /// <summary>Rounds per side: enough for the minimum to shed a burst of load from other jobs.</summary>
    const int Rounds = 3;

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
        var with = new Dictionary<string, double>();
        var without = new Dictionary<string, double>();
        for (int round = 1; round <= Rounds; round++)
        {
            progress.WriteLine($"[seam] round {round}/{Rounds}: {design.Name}, seam compiled in");
            foreach (var run in RunChild(self, design.Name, arguments.Seconds))
                KeepMin(with, run.Operation, run.NsPerOp);
            progress.WriteLine($"[seam] round {round}/{Rounds}: {design.Name}, seam compiled out ({executable})");
            foreach (var run in RunChild(executable, design.Name, arguments.Seconds))
                KeepMin(without, run.Operation, run.NsPerOp);
        }
        var rows = with.Keys.Where(without.ContainsKey).Select(op => new SeamCostRow(op, with[op], without[op])).ToList();
        return rows.Count == 0 ? null : new SeamCost(design.Name, rows);
    }

    static void KeepMin(Dictionary<string, double> figures, string operation, double ns) =>
        figures[operation] = figures.TryGetValue(operation, out double old) ? Math.Min(old, ns) : ns;

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
            var result = BenchReport.FromJson(File.ReadAllText(Path.Combine(directory, "results.json")))
                ?? throw new InvalidOperationException("the seam-less build wrote no results");
            return result.Runs.Where(r => r.Workload == Workload.SingleThreadName && r.Target == design).ToList();
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
