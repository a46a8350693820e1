namespace DaxLab.Cli.Bench;

/// <summary>
/// `daxlab bench`: every selected workload against every selected design and the host kernel,
/// on real threads; a table on stdout, progress on stderr, CSV, JSON and SVG plots in --out.
/// </summary>
public static class BenchCommand
{
    /// <summary>Runs the bench; bad arguments are an ArgumentException (one line and status 1 from TopLevel).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var arguments = BenchArguments.Parse(args);
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
        progress.WriteLine($"daxlab bench: load average {loadBefore}; {arguments.Seconds} s per point");
        var runs = new BenchRunner(arguments, progress).Run();
        var seam = arguments.SeamCompare && arguments.Workloads.Contains(Workload.SingleThreadName)
            ? SeamComparison.Measure(arguments, progress)
            : null;
        return new BenchResult(BenchMachine.Describe(arguments, args, started, loadBefore), runs, seam);
    }
}
