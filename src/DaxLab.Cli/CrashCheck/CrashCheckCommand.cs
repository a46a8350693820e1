using DaxLab.Io;

namespace DaxLab.Cli.CrashCheck;

/// <summary>
/// `daxlab crashcheck`: the crash-state explorer over the built-in workloads. Exit 0 when no
/// crash state broke a rule, 1 otherwise, 2 for bad usage.
/// </summary>
public static class CrashCheckCommand
{
    public const string Usage =
        "usage: daxlab crashcheck [--workload NAME]... [--fences-only] [--max-exhaustive N] [--samples N] [--seed N]\n"
        + "                         [--without-fences] [--without-map-sync]\n"
        + "  run each built-in workload on a device that loses unflushed 64-byte cache lines at a crash;\n"
        + "  at every crash point (before each flush and fence, and at the end) mount every crash state the\n"
        + "  ordering rules allow (exhaustively up to --max-exhaustive states, default 1024, else --samples\n"
        + "  seeded ones, default 256), run fsck's check, and check that what fsync, msync and flushed\n"
        + "  MAP_SYNC stores returned for is there and no file shows data it never held (docs/fs.md)\n"
        + "  --workload NAME      only this workload (repeatable): " + "{0}\n"
        + "  --fences-only        crash points at fences only\n"
        + "  --without-fences     remove the file system's ordering (each fence lags one behind): must find violations\n"
        + "  --without-map-sync   map the map-sync workload's file without MAP_SYNC: must find violations\n"
        + "  exit status: 0 no violation, 1 violations, 2 usage error\n";

    /// <summary>The usage with the workload names filled in.</summary>
    public static string UsageText => Usage.Replace("{0}", string.Join(", ", CrashWorkloads.All.Select(w => w.Name)));

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!TryParse(args, out CrashCheckOptions? options, out List<CrashWorkload>? workloads, out string? problem))
        {
            stderr.Write($"daxlab crashcheck: {problem}\n{UsageText}");
            return 2;
        }
        stdout.Write($"crashcheck: power-fail model, 64-byte lines; fences {(options!.FencesOrder ? "as written" : "REMOVED")}; "
            + $"MAP_SYNC {(options.MapSync ? "on" : "OFF")}; crash points at {(options.FencesOnly ? "fences" : "flushes and fences")}; "
            + $"exhaustive up to {options.MaxExhaustive} states a point, else {options.Samples} sampled (seed {options.Seed})\n");
        long totalViolations = 0;
        foreach (CrashWorkload workload in workloads!)
        {
            CrashWorkloadResult r = CrashExplorer.Explore(workload, options);
            totalViolations += r.Violations;
            Print(r, stdout);
        }
        stdout.Write(totalViolations == 0 ? "no violations\n" : $"{totalViolations} violating crash states\n");
        return totalViolations == 0 ? 0 : 1;
    }

    private static void Print(CrashWorkloadResult r, TextWriter stdout)
    {
        string how = r.Exhaustive ? "exhaustive" : $"sampled at {r.SampledPoints} of {r.CrashPoints} points, exhaustive elsewhere";
        stdout.Write($"{r.Workload,-20} {r.CrashPoints,5} crash points  {r.States,8} states ({how})  {r.Violations} violations\n");
        if (r.First is not { } v)
            return;
        stdout.Write($"  first violation: crash point {v.Point}, {v.Where}, during '{v.Step}'\n"
            + $"    lines kept: {v.Kept}\n"
            + $"    lines lost: {v.Lost}\n"
            + $"    {v.Message}\n");
    }

    private static bool TryParse(string[] args, out CrashCheckOptions? options, out List<CrashWorkload>? workloads, out string? problem)
    {
        options = new CrashCheckOptions();
        workloads = [];
        problem = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--fences-only": options = options with { FencesOnly = true }; continue;
                case "--without-fences": options = options with { FencesOrder = false }; continue;
                case "--without-map-sync": options = options with { MapSync = false }; continue;
            }
            if (arg is not ("--workload" or "--max-exhaustive" or "--samples" or "--seed"))
            {
                problem = $"unknown argument '{arg}'";
                return false;
            }
            if (++i == args.Length)
            {
                problem = $"{arg} needs a value";
                return false;
            }
            string value = args[i];
            if (arg == "--workload")
            {
                if (CrashWorkloads.All.FirstOrDefault(w => w.Name == value) is not { } w)
                {
                    problem = $"no workload '{value}'";
                    return false;
                }
                workloads.Add(w);
                continue;
            }
            if (!int.TryParse(value, out int n) || n < (arg == "--seed" ? 0 : 1))
            {
                problem = $"{arg} needs a {(arg == "--seed" ? "non-negative" : "positive")} integer, not '{value}'";
                return false;
            }
            options = arg switch
            {
                "--max-exhaustive" => options with { MaxExhaustive = n },
                "--samples" => options with { Samples = n },
                _ => options with { Seed = n },
            };
        }
        if (workloads.Count == 0)
            workloads.AddRange(CrashWorkloads.All);
        return true;
    }
}
