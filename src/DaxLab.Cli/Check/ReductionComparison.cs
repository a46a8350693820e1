using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios;

namespace DaxLab.Cli.Check;

/// <summary>
/// `daxlab check --compare-reduction`: every chosen cell searched twice, without reduction and
/// with DPOR, both without a preemption bound; when the unreduced search does not finish in
/// its time it is repeated with a bound of 2, the comparison the checker made before DPOR.
/// Prints a Markdown table (the one in docs/checker.md) and fails when the verdicts or the
/// failure messages differ.
/// </summary>
public static class ReductionComparison
{
    /// <summary>Each search's time when no --seconds is given: enough for most unreduced searches at bound 2 on a loaded 2-core machine.</summary>
    public static readonly TimeSpan DefaultSearchBudget = TimeSpan.FromSeconds(60);

    /// <summary>The bound of the fallback unreduced search: the checker's bound before DPOR.</summary>
    private const int FallbackBound = 2;

    public static int Run(CheckArguments options, TextWriter stdout)
    {
        var budget = options.CellBudget ?? DefaultSearchBudget;
        stdout.Write($"Reduction compared, each search at most {budget.TotalSeconds:0.#} s (unreduced: no bound, else bound {FallbackBound} when that does not finish):\n\n");
        stdout.Write("| scenario | design | unreduced | schedules/s | DPOR, no bound | schedules/s | fewer schedules | same verdict and failures |\n");
        stdout.Write("| --- | --- | --- | ---: | --- | ---: | ---: | --- |\n");
        bool allSame = true;
        foreach (var scenario in options.Scenarios)
        {
            foreach (var design in options.Designs)
                allSame &= CompareCell(scenario, design, options.Search, budget, stdout);
        }
        return allSame ? 0 : 1;
    }

    private static bool CompareCell(Scenario scenario, Design design, CheckOptions search, TimeSpan budget, TextWriter stdout)
    {
        var plain = search with { Strategy = StrategyKind.Dfs, Shard = null, StopAtFirstFailure = false, TimeBudget = budget };
        // The unreduced search first: it pays the process's warm-up, which would weigh on the
        // shorter DPOR search's rate.
        var unreduced = ScenarioChecker.Check(scenario, design, plain with { PreemptionBound = null, Reduction = false, FewestPreemptionsFirst = false });
        if (!unreduced.Exhaustive)
            unreduced = ScenarioChecker.Check(scenario, design, plain with { PreemptionBound = FallbackBound, Reduction = false });
        var dpor = ScenarioChecker.Check(scenario, design, plain with { PreemptionBound = null, Reduction = true, FewestPreemptionsFirst = false });
        bool same = SameOutcome(unreduced, dpor);
        string ratio = dpor.Schedules > 0 ? $"{(double)unreduced.Schedules / dpor.Schedules:0.#}x" : "-";
        stdout.Write($"| {scenario.Name} | {design.Name} | {Describe(unreduced)} | {Rate(unreduced)} | {Describe(dpor)} | {Rate(dpor)} | {ratio} | "
            + $"{(same ? "yes" : "NO")} |\n");
        return same;
    }

    /// <summary>
    /// Both fail with the same messages, or both pass; a search cut short by its budget cannot
    /// be compared and counts as the same only when the other agrees on what it found.
    /// </summary>
    private static bool SameOutcome(ScenarioVerdict unreduced, ScenarioVerdict dpor)
    {
        var a = unreduced.Failures.Select(f => f.Message).Order().ToList();
        var b = dpor.Failures.Select(f => f.Message).Order().ToList();
        if (unreduced.Exhaustive && dpor.Exhaustive)
            return dpor.Stopped == StopReason.Exhausted && unreduced.Stopped == StopReason.BoundExhausted ? a.All(b.Contains) : a.SequenceEqual(b);
        return (a.Count > 0) == (b.Count > 0);
    }

    private static string Describe(ScenarioVerdict result)
    {
        string failures = result.Failures.Count > 0 ? $", {result.Failures.Count} failure(s)" : "";
        return $"{result.Schedules}{failures} ({result.StoppedWords})";
    }

    private static string Rate(ScenarioVerdict result) =>
        result.Elapsed.TotalSeconds > 0 ? $"{result.Schedules / result.Elapsed.TotalSeconds:0}" : "-";
}
