using DaxLab.Base;
using DaxLab.Io;

namespace DaxLab.Cli;

/// <summary>
/// The `daxlab` verbs, each answering `--help`, and `--version`. Bad input gets a clear message
/// and a non-zero status, never a stack trace: 0 pass, 1 a failing verdict or a failed command,
/// 2 bad usage (fsck keeps fsck(8)'s 0/4/8/16, io xfs_io's statuses for its commands).
/// </summary>
public static class TopLevel
{
    /// <summary>The exit status of bad usage: an unknown verb or option, a missing or bad argument.</summary>
    public const int UsageExitCode = 2;

    public const string Usage =
        "usage: daxlab <command> [arguments]\n"
        + "  io [--device PATH] [--host] [-f] -c CMD ... FILE   run xfs_io commands on FILE (see docs/io.md)\n"
        + "  mkfs DEVICE [--size SIZE]                          create a new device image (default size 1g)\n"
        + "  fsck [-n] [--json] DEVICE                          check an image read-only; exit 0 clean, 4 errors, 8 operational error\n"
        + "  check [options]                                    explore scenarios x designs; the verdict matrix (default)\n"
        + "  crashcheck [options]                               power-fail crash states of built-in workloads: mount, fsck, fsync's promises\n"
        + "  designs                                            the locking designs, with their sources\n"
        + "  history [--diagrams] [--json]                      real DAX races since 2016: each variant fails, each fix passes\n"
        + "  scenarios                                          the built-in scenarios\n"
        + "  bench [options]                                    workloads x designs x threads vs the host kernel (docs/bench.md)\n"
        + "  torture DEVICE [--seed N] [--ops N]                random metadata-heavy work; safe to kill -9\n"
        + "  torture DEVICE --kill RUNS [--seed N]              RUNS times: mkfs DEVICE, torture, kill -9, judge the image\n"
        + "  torture DEVICE --two-process N                     two loops of N `daxlab io` processes on one device: busy refusals, no fsync lost\n"
        + "  fuzz --target format|io|scenario [--inputs N] [--seed S]  fuzz the on-device format or a parser (docs/fs.md)\n"
        + "  help                                               this text\n"
        + "  --version                                          the version and the commit it was built from\n"
        + "every command answers --help; exit status: 0 pass, 1 a failing verdict or a failed command, 2 bad usage\n";

    /// <summary>The verbs <see cref="Run"/> dispatches, for `--help` and the tests that hold the README to them.</summary>
    public static IReadOnlyList<string> Verbs { get; } = ["io", "mkfs", "fsck", "check", "designs", "scenarios", "bench", "torture", "fuzz", "crashcheck", "history", "help"];

    private const string MkfsUsage =
        "usage: daxlab mkfs DEVICE [--size SIZE]\n"
        + "  create a new device image at DEVICE, which must not exist\n"
        + "  --size SIZE  the image's size (64m, 1g, 1073741824; default 1g)\n";

    private const string TortureUsage =
        "usage: daxlab torture DEVICE [--seed N] [--ops N]\n"
        + "       daxlab torture DEVICE --kill RUNS [--seed N]\n"
        + "       daxlab torture DEVICE --two-process N\n"
        + "  random metadata-heavy work on DEVICE, safe to kill -9 at any moment (--ops N stops after N operations)\n"
        + "  --kill RUNS  RUNS times: make a fresh DEVICE, torture it, kill -9, judge the image (exit 1 if any is not consistent)\n"
        + "  --two-process N  two loops of N `daxlab io` processes on one device: every refusal says why, no fsync'ed file lost\n";

    private const string DesignsUsage = "usage: daxlab designs\n  the locking designs, one line each, with the source of the idea\n";

    private const string ScenariosUsage = "usage: daxlab scenarios\n  the built-in scenarios, with their titles\n";

    private const string HelpUsage = "usage: daxlab help\n  the commands (`daxlab VERB --help` for one)\n";

    /// <summary>What `daxlab --version` prints: the informational version the build embedded, with the commit (Directory.Build.targets).</summary>
    public static string VersionLine => $"daxlab {Cli.Bench.BuildProvenance.InformationalVersion}\n";


    /// <summary>Dispatches a verb; every engine failure becomes one line on stderr and status 1.</summary>
    /// <param name="stderrIsTerminal">Whether stderr is a terminal, where `check` shows its progress.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CBuffering buffering, out IoDeath death, bool stderrIsTerminal = false)
    {
        death = IoDeath.None;
        if (args.Length == 0)
            args = ["check"];
        string[] rest = args[1..];
        if (rest is ["--help" or "-h"] && VerbUsage(args[0]) is { } usage)
        {
            stdout.Write(usage);
            return 0;
        }
        if (args is ["--version" or "-V"])
        {
            stdout.Write(VersionLine);
            return 0;
        }
        try
        {
            switch (args[0])
            {
                case "io": return IoRunner.Run(rest, stdout, stderr, buffering, out death);
                case "mkfs": return Mkfs(rest, stdout, stderr);
                case "fsck": return Fsck.Run(rest, stdout, stderr);
                case "bench": return Bench(rest, stdout, stderr);
                case "check": return Check.CheckCommand.Run(rest, stdout, stderr, stderrIsTerminal);
                case "crashcheck": return CrashCheck.CrashCheckCommand.Run(rest, stdout, stderr);
                case "history": return History.HistoryCommand.Run(rest, stdout, stderr);
                case "designs" when rest.Length == 0: return ListDesigns(stdout);
                case "scenarios" when rest.Length == 0: return ListScenarios(stdout);
                case "designs" or "scenarios": return Complain(stderr, $"{args[0]} takes no arguments, not '{rest[0]}'");
                case "torture": return TortureVerb(rest, stdout, stderr);
                case "fuzz": return Fuzz.FuzzCommand.Run(rest, stdout, stderr);
                case "help" or "--help" or "-h" when rest.Length == 0:
                    stdout.Write(Usage);
                    return 0;
                case "help" or "--help" or "-h": return Complain(stderr, $"{args[0]} takes no arguments, not '{rest[0]}'");
                case "--version" or "-V": return Complain(stderr, $"{args[0]} takes no arguments, not '{rest[0]}'");
                default: return Complain(stderr, args[0].StartsWith('-') ? $"unknown option '{args[0]}'" : $"unknown command '{args[0]}'");
            }
        }
        catch (ErrnoException error)
        {
            stderr.Write($"daxlab {args[0]}: {Io.IoSession.ErrnoText(error.Errno)} ({error.Message})\n");
            return 1;
        }
        catch (NotImplementedException)
        {
            stderr.Write($"daxlab {args[0]}: the DaxLab engine does not implement this yet (use --host for host files)\n");
            return 1;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            stderr.Write($"daxlab {args[0]}: {error.Message}\n");
            return 1;
        }
    }

    /// <summary>`daxlab VERB --help`: that verb's usage, or null for an unknown verb (which then complains as usual).</summary>
    static string? VerbUsage(string verb) => verb switch
    {
        "io" => IoRunner.Usage,
        "check" => Check.CheckCommand.Usage,
        "history" => History.HistoryCommand.Usage,
        "bench" => Cli.Bench.BenchArguments.Usage,
        "fsck" => Fsck.Usage,
        "fuzz" => Fuzz.FuzzCommand.Usage,
        "mkfs" => MkfsUsage,
        "torture" => TortureUsage,
        "designs" => DesignsUsage,
        "scenarios" => ScenariosUsage,
        "help" => HelpUsage,
        "crashcheck" => CrashCheck.CrashCheckCommand.UsageText,
        _ => null,
    };

    static int ListDesigns(TextWriter stdout)
    {
        int width = Designs.DesignCatalog.Listed.Max(d => d.Name.Length);
        foreach (var design in Designs.DesignCatalog.Listed)
        {
            stdout.Write($"{design.Name.PadRight(width)} {design.Summary}\n{"".PadRight(width)} source: {design.Source}\n");
            if (!Designs.DesignCatalog.All.Contains(design))
                stdout.Write($"{"".PadRight(width)} outside the default matrix: daxlab check --design {design.Name}\n");
        }
        stdout.Write("\nvariants of real bugs, for `daxlab history` (outside the default matrix; --design takes them):\n");
        foreach (var design in Designs.DesignCatalog.Historical)
            stdout.Write($"{design.Name}\n{"".PadRight(width)} {design.Summary}\n{"".PadRight(width)} source: {design.Source}\n");
        return 0;
    }

    static int ListScenarios(TextWriter stdout)
    {
        foreach (var scenario in Scenarios.BuiltInScenarios.Listed)
            stdout.Write($"{scenario.Name,-28} {scenario.Title}\n");
        return 0;
    }

    /// <summary>bench: see <see cref="Cli.Bench.BenchCommand"/>, which answers bad arguments itself with status 2.</summary>
    static int Bench(string[] args, TextWriter stdout, TextWriter stderr) => Cli.Bench.BenchCommand.Run(args, stdout, stderr);

    /// <summary>torture DEVICE [--seed N] [--ops N], or --kill RUNS: see <see cref="Torture"/> and <see cref="KillRuns"/>.</summary>
    static int TortureVerb(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? device = null;
        int seed = 1;
        long operations = long.MaxValue;
        int? killRuns = null;
        int? twoProcess = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seed" && i + 1 < args.Length && int.TryParse(args[i + 1], out seed))
                i++;
            else if (args[i] == "--ops" && i + 1 < args.Length && long.TryParse(args[i + 1], out operations) && operations > 0)
                i++;
            else if (args[i] == "--kill" && i + 1 < args.Length && int.TryParse(args[i + 1], out int runs) && runs > 0)
                (killRuns, i) = (runs, i + 1);
            else if (args[i] == "--two-process" && i + 1 < args.Length && int.TryParse(args[i + 1], out int commands) && commands > 0)
                (twoProcess, i) = (commands, i + 1);
            else if (device is null && !args[i].StartsWith('-'))
                device = args[i];
            else
                return Complain(stderr, $"torture: unexpected or bad argument '{args[i]}'");
        }
        if (device is null)
            return Complain(stderr, "torture: no DEVICE given");
        if (twoProcess is int perSide)
        {
            if (killRuns is not null || operations != long.MaxValue)
                return Complain(stderr, "torture: --two-process runs its own commands; it takes no --kill or --ops");
            if (File.Exists(device))
                return Complain(stderr, $"torture --two-process: {device} exists; the run makes a fresh device there, so give a path that does not");
            return TwoProcess.Run(device, perSide, stdout);
        }
        if (killRuns is int count)
        {
            if (operations != long.MaxValue)
                return Complain(stderr, "torture: --kill chooses when each run stops; it takes no --ops");
            if (File.Exists(device))
                return Fail(stderr, $"torture --kill: {device} exists; every run makes a fresh device there, so give a path that does not");
            return KillRuns.Run(device, seed, count, stdout);
        }
        return Torture.Run(device, seed, operations, stdout);
    }

    /// <summary>mkfs DEVICE [--size SIZE]: refuses to overwrite anything that exists.</summary>
    static int Mkfs(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? device = null;
        long size = DevicePaths.DefaultSize;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--size" && i + 1 < args.Length)
            {
                size = CNumbers.Cvtnum(args[++i]);
                if (size <= 0)
                    return Complain(stderr, $"mkfs: bad size '{args[i]}' (examples: 64m, 1g, 1073741824)");
            }
            else if (device is null && !args[i].StartsWith('-'))
                device = args[i];
            else
                return Complain(stderr, $"mkfs: unexpected argument '{args[i]}'");
        }
        if (device is null)
            return Complain(stderr, "mkfs: no DEVICE given");
        if (File.Exists(device) || Directory.Exists(device))
            return Fail(stderr, $"mkfs: {device} already exists; remove it first or choose another path");
        DaxFileSystem.Create(device, size).Dispose();
        stdout.Write($"created {device} ({size} bytes)\n");
        return 0;
    }

    /// <summary>A usage error: the problem, then the usage, status 2.</summary>
    static int Complain(TextWriter stderr, string problem)
    {
        stderr.Write($"daxlab: {problem}\n{Usage}");
        return UsageExitCode;
    }

    /// <summary>A command that cannot be done as asked (the arguments are well formed): the problem, status 1.</summary>
    static int Fail(TextWriter stderr, string problem)
    {
        stderr.Write($"daxlab: {problem}\n");
        return 1;
    }
}
