namespace DaxLab.Cli.Bench;

/// <summary>
/// `daxlab bench`: every selected workload against every selected design and the host kernel,
/// on real threads; a table on stdout, progress on stderr, CSV, JSON and SVG plots in --out.
/// </summary>
public static class BenchCommand
{
    /// <summary>The status of a usage error, as getopt-style tools have it; 1 stays for a run that failed.</summary>
    public const int UsageStatus = 2;

    /// <summary>Runs the bench, or compares two runs; bad arguments print one line and return <see cref="UsageStatus"/>.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        BenchArguments arguments;
        try
        {
            arguments = BenchArguments.Parse(args);
        }
        catch (ArgumentException error)
        {
            stderr.Write($"daxlab bench: {error.Message}\n");
            return UsageStatus;
        }
        if (arguments.Compare is var (before, after))
            return BenchCompare.Run(before, after, stdout);
        // Before measuring: an --out that cannot be made must not cost a whole run.
        Directory.CreateDirectory(arguments.OutDirectory);
        var result = Measure(arguments, args, stderr);
        BenchReport.PrintTable(result, stdout);
        Goals.Print(result, stdout);
        var written = BenchReport.WriteFiles(result, arguments.OutDirectory).ToList();
        if (arguments.Plots)
            written.AddRange(BenchPlots.Write(result, arguments.OutDirectory));
        stdout.WriteLine();
        stdout.WriteLine("wrote " + string.Join(", ", written));
        return 0;
    }

    /// <summary>The measurements and their metadata, without writing anything.</summary>
    public static BenchResult Measure(BenchArguments arguments, IReadOnlyList<string> args, TextWriter progress)
    {
        var started = DateTime.UtcNow;
        string loadBefore = BenchMachine.LoadAverage();
        progress.WriteLine($"daxlab bench: load average {loadBefore}; {arguments.Trials} trials of {arguments.Seconds} s per point, after a warm-up");
        var runs = new BenchRunner(arguments, progress).Run();
        var seam = arguments.SeamCompare && arguments.Workloads.Contains(Workload.SingleThreadName)
            ? SeamComparison.Measure(arguments, progress)
            : null;
        return new BenchResult(BenchResult.CurrentSchemaVersion, BenchMachine.Describe(arguments, args, started, loadBefore), runs, seam);
    }
}
