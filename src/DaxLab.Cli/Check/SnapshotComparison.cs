using DaxLab.Scenarios;

namespace DaxLab.Cli.Check;

/// <summary>
/// `daxlab check --compare-snapshot`: every chosen cell searched twice with the same options,
/// first running the setup in every run, then starting every run from the setup's snapshot
/// (#9). Prints a Markdown table (the one in docs/checker.md) of schedules and schedules per
/// second, and fails when the two searches differ in anything but time: stop reason, schedules,
/// schedules cut short, failure messages and replay tokens. Each search is cut by a number of
/// schedules, not by time, so that both make the same runs.
/// </summary>
public static class SnapshotComparison
{
    /// <summary>Each search's schedules when no --schedules is given: enough for a steady rate, few enough for the whole matrix.</summary>
    public const long DefaultSchedules = 3000;

    public static int Run(CheckArguments options, TextWriter stdout)
    {
        long schedules = options.Search.MaxSchedules == Checker.Limits.DefaultMaxSchedules ? DefaultSchedules : options.Search.MaxSchedules;
        var search = options.Search with { MaxSchedules = schedules, TimeBudget = null, StopAtFirstFailure = false };
        stdout.Write($"Setup snapshot compared, each search at most {schedules} schedules, {Describe(search)}:\n\n");
        stdout.Write("| scenario | design | schedules | setup each run: schedules/s | snapshot: schedules/s | ratio | same outcome |\n");
        stdout.Write("| --- | --- | --- | ---: | ---: | ---: | --- |\n");
        bool allSame = true;
        var differences = new List<string>();
        double replayedSeconds = 0, snapshotSeconds = 0;
        long total = 0;
        foreach (var scenario in options.Scenarios)
        {
            foreach (var design in options.Designs)
            {
                var replayed = ScenarioChecker.Check(scenario, design, search with { SetupSnapshot = false });
                var snapshot = ScenarioChecker.Check(scenario, design, search with { SetupSnapshot = true });
                bool same = SameOutcome(replayed, snapshot);
                allSame &= same;
                if (!same)
                    differences.Add($"{scenario.Name} on {design.Name}: setup each run {Summary(replayed)}; snapshot {Summary(snapshot)}");
                total += replayed.Schedules;
                replayedSeconds += replayed.Elapsed.TotalSeconds;
                snapshotSeconds += snapshot.Elapsed.TotalSeconds;
                stdout.Write($"| {scenario.Name} | {design.Name} | {replayed.Schedules} ({replayed.StoppedWords}) | {Rate(replayed.Schedules, replayed.Elapsed.TotalSeconds)} | "
                    + $"{Rate(snapshot.Schedules, snapshot.Elapsed.TotalSeconds)} | {Ratio(replayed.Elapsed.TotalSeconds, snapshot.Elapsed.TotalSeconds)} | {(same ? "yes" : "NO")} |\n");
            }
        }
        stdout.Write($"| all | | {total} | {Rate(total, replayedSeconds)} | {Rate(total, snapshotSeconds)} | {Ratio(replayedSeconds, snapshotSeconds)} | {(allSame ? "yes" : "NO")} |\n");
        foreach (var difference in differences)
            stdout.Write($"\nDIFFERENT: {difference}\n");
        return allSame ? 0 : 1;
    }

    private static string Summary(ScenarioVerdict verdict) =>
        $"{verdict.StoppedWords}, {verdict.Schedules} schedules ({verdict.Result.PrunedSchedules} cut short), failures [{string.Join(", ", Outcomes(verdict).Select(o => o.Replace('\n', ' ')))}]";

    private static string Describe(CheckOptions search) =>
        $"{search.Strategy.ToString().ToLowerInvariant()}, preemption bound {search.PreemptionBound?.ToString() ?? "none"}, reduction {(search.Reduction ? "on" : "off")}";

    /// <summary>Equal in everything the search reports but its time.</summary>
    private static bool SameOutcome(ScenarioVerdict a, ScenarioVerdict b) =>
        a.Stopped == b.Stopped && a.Schedules == b.Schedules && a.Result.PrunedSchedules == b.Result.PrunedSchedules
        && Outcomes(a).SequenceEqual(Outcomes(b));

    private static IEnumerable<string> Outcomes(ScenarioVerdict verdict) =>
        verdict.Failures.Select(f => $"{f.Message}\n{f.ReplayToken}");

    private static string Rate(long schedules, double seconds) => seconds > 0 ? $"{schedules / seconds:0}" : "-";

    /// <summary>The time without the snapshot over the time with it: the same schedules, so the ratio of the rates.</summary>
    private static string Ratio(double replayed, double snapshot) => snapshot > 0 ? $"{replayed / snapshot:0.0}x" : "-";
}
