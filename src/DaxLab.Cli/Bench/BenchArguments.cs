using System.Globalization;
using DaxLab.Designs;

namespace DaxLab.Cli.Bench;

/// <summary>
/// `daxlab bench` options. Lists are comma-separated; every bad value is an ArgumentException
/// whose message says what is accepted (printed as one line, status 2).
/// </summary>
public sealed record BenchArguments
{
    /// <summary>Seconds per trial in the default set: about two minutes in all on 2 cores.</summary>
    public const double DefaultSeconds = 0.08;

    /// <summary>The most trials a point may take: beyond this the interval narrows too slowly to pay for the time.</summary>
    public const int MaxTrials = 1000;

    /// <summary>The longest point accepted: an hour, beyond which the figure says nothing new.</summary>
    public const double MaxSeconds = 3600;

    /// <summary>The most threads a point may run: far past any oversubscription worth measuring.</summary>
    public const int MaxThreads = 1024;

    public const string DefaultOut = "bench-results";

    public required IReadOnlyList<string> Workloads { get; init; }

    public required IReadOnlyList<Design> Designs { get; init; }

    public required IReadOnlyList<int> Threads { get; init; }

    /// <summary>Seconds per trial of a multi-threaded point; the cost table's trials scale from it.</summary>
    public double Seconds { get; init; } = DefaultSeconds;

    /// <summary>Trials per point (after a warm-up round); each figure is their median with an interval.</summary>
    public int Trials { get; init; } = Estimate.MinTrials;

    /// <summary>`--compare A.json B.json`: compare two runs' results instead of measuring; null when measuring.</summary>
    public (string Before, string After)? Compare { get; init; }

    public string OutDirectory { get; init; } = DefaultOut;

    /// <summary>Run the host kernel's path (tmpfs) next to the designs.</summary>
    public bool Host { get; init; } = true;

    /// <summary>Write the SVG plots (off for quick runs and tests).</summary>
    public bool Plots { get; init; } = true;

    /// <summary>A build with the seam compiled out (its `daxlab` executable), for measuring the seam's cost; null: look beside this build.</summary>
    public string? SeamOffExecutable { get; init; }

    /// <summary>Measure the seam's cost against a seam-less build (about 30 s more; off by default to keep the default set short).</summary>
    public bool SeamCompare { get; init; }

    public static readonly string Usage =
        "usage: daxlab bench [--workload W,...] [--design D,...] [--threads N,...] [--seconds S] [--trials N]\n"
        + "                    [--out DIR] [--no-host] [--no-plots] [--seam] [--seam-off PATH]\n"
        + "       daxlab bench --compare BEFORE.json AFTER.json\n"
        + "  workloads (default: all):\n"
        + string.Concat(Workload.All.Select(w => $"    {w.Name,-18} {w.Summary}\n"))
        + $"    {Workload.SingleThreadName,-18} the single-thread cost of each operation, next to a memcpy of the same size\n"
        + "  --threads defaults to 1, 2, 4 ... up to twice the core count\n"
        + $"  --seconds per trial (default {DefaultSeconds}); --trials per point (default and least {Estimate.MinTrials}), after a warm-up\n"
        + "  --compare: each point's change between two runs' results.json, and whether it is beyond the noise\n"
        + "  --seam: also measure the checker seam's cost against a build with it compiled out\n"
        + "  --seam-off PATH: that build's daxlab (default: bin/ReleaseNoSeam beside this build)\n";

    /// <summary>1, 2, 4 ... up to twice the core count.</summary>
    public static IReadOnlyList<int> DefaultThreads()
    {
        var counts = new List<int>();
        for (int n = 1; n <= 2 * Environment.ProcessorCount; n *= 2)
            counts.Add(n);
        return counts;
    }

    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var result = new BenchArguments
        {
            Workloads = [.. Workload.AllNames],
            Designs = DesignCatalog.All,
            Threads = DefaultThreads(),
        };
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            result = flag switch
            {
                "--workload" or "--workloads" => result with { Workloads = ParseWorkloads(Value()) },
                "--design" or "--designs" => result with { Designs = ParseDesigns(Value()) },
                "--threads" => result with { Threads = ParseThreads(Value()) },
                "--seconds" => result with { Seconds = ParseSeconds(Value()) },
                "--trials" => result with { Trials = ParseTrials(Value()) },
                "--compare" => result with { Compare = (NonEmpty(flag, Value()), NonEmpty(flag, Value())) },
                "--out" => result with { OutDirectory = NonEmpty(flag, Value()) },
                "--no-host" => result with { Host = false },
                "--no-plots" => result with { Plots = false },
                "--seam" => result with { SeamCompare = true },
                "--seam-off" => result with { SeamCompare = true, SeamOffExecutable = NonEmpty(flag, Value()) },
                _ => throw new ArgumentException($"unexpected argument '{flag}'\n{Usage}"),
            };
        }
        if (result.Compare is not null && args.Count != 3)
            throw new ArgumentException("--compare takes two results.json files and no other option");
        return result;
    }

    static IReadOnlyList<string> ParseWorkloads(string value)
    {
        var known = Workload.AllNames.ToList();
        var names = Split("--workload", value);
        foreach (var name in names)
            if (!known.Contains(name))
                throw new ArgumentException($"no workload named '{name}'; the workloads are: {string.Join(", ", known)}");
        return names.Distinct().ToList();
    }

    static IReadOnlyList<Design> ParseDesigns(string value) =>
        Split("--design", value).Select(DesignCatalog.Find).Distinct().ToList();

    static IReadOnlyList<int> ParseThreads(string value) =>
        Split("--threads", value).Select(text =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= MaxThreads
                ? n
                : throw new ArgumentException($"bad thread count '{text}' (a whole number from 1 to {MaxThreads})"))
            .Distinct().Order().ToList();

    static double ParseSeconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= MaxSeconds
            ? s
            : throw new ArgumentException($"bad --seconds '{text}' (a number above 0, at most {MaxSeconds}, e.g. 0.5)");

    static int ParseTrials(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= Estimate.MinTrials && n <= MaxTrials
            ? n
            : throw new ArgumentException($"bad --trials '{text}' (a whole number from {Estimate.MinTrials} to {MaxTrials})");

    static List<string> Split(string flag, string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        return parts.Count > 0 ? parts : throw new ArgumentException($"{flag} needs at least one name");
    }

    static string NonEmpty(string flag, string value) =>
        value.Length > 0 ? value : throw new ArgumentException($"{flag} needs a non-empty value");
}
