using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DaxLab.Checker;
using DaxLab.Scenarios;
using DaxLab.Scenarios.History;

namespace DaxLab.Cli.History;

/// <summary>
/// `daxlab history`: runs docs/history.md's corpus of real DAX races. For each bug the variant
/// (the design it lived in, a switch away from a matrix design) must fail its scenario and the
/// fixed design must pass it, proven or exhaustively within bound 2 as the bug states; the table
/// says so, and the pending bugs, which DaxLab cannot express yet, are listed with what they need.
/// </summary>
public static class HistoryCommand
{
    public const string Usage =
        "usage: daxlab history [--diagrams] [--json] [--bug N[,N...]] [--seconds S]\n"
        + "  runs the corpus of real DAX races (docs/history.md): each bug's variant must fail, its fix must pass\n"
        + "  --diagrams    each bug's failing interleaving, in kernel names, with its replay token\n"
        + "  --json        the table as JSON (schemaVersion 1)\n"
        + "  --bug N       only bugs numbered N (docs/history.md's numbers)\n"
        + "  --seconds S   the time budget of each search (default 60)\n"
        + "exit 0 when every runnable bug is found and every fix passes; 1 otherwise; pending bugs do not count\n";

    /// <summary>Each search's budget unless --seconds says otherwise: far more than any bug of the corpus needs.</summary>
    private static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(60);

    /// <summary>Rows of a step-limit diagram kept: a livelock's fault repeats, and the first turns show it.</summary>
    private const int LivelockRowsShown = 40;

    private sealed record Row(HistoricalBug Bug, ExploreResult Variant, ExploreResult Fix, TimeSpan VariantTime)
    {
        public bool Found => Variant.Failures.Count > 0;
        public bool Fixed => HistoryCheck.Passes(Bug, Fix);
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool diagrams = false, json = false;
        var budget = DefaultBudget;
        HashSet<int>? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--diagrams": diagrams = true; break;
                case "--json": json = true; break;
                case "--bug" when i + 1 < args.Length && ParseNumbers(args[i + 1]) is { } numbers: only = numbers; i++; break;
                case "--seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], out double s) && s > 0: budget = TimeSpan.FromSeconds(s); i++; break;
                default: return BadUsage(stderr, $"unexpected or bad argument '{args[i]}'");
            }
        }
        var bugs = HistoryCorpus.Bugs.Where(b => only is null || only.Contains(b.Number)).ToList();
        var pending = HistoryCorpus.Pending.Where(b => only is null || only.Contains(b.Number)).ToList();
        if (only is not null && only.Except(bugs.Select(b => b.Number)).Except(pending.Select(b => b.Number)).FirstOrDefault() is int unknown and > 0)
            return BadUsage(stderr, $"no bug numbered {unknown} in the corpus (docs/history.md numbers them 1 to {HistoryCorpus.Bugs.Select(b => b.Number).Concat(HistoryCorpus.Pending.Select(p => p.Number)).Max()})");
        var rows = bugs.Select(bug => RunBug(bug, budget)).ToList();
        if (json)
            stdout.Write(Json(rows, pending) + "\n");
        else
        {
            PrintTable(rows, pending, stdout);
            if (diagrams)
                PrintDiagrams(rows, stdout);
        }
        return rows.All(r => r.Found && r.Fixed) ? 0 : 1;
    }

    private static HashSet<int>? ParseNumbers(string text)
    {
        var numbers = new HashSet<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part, out int n) || n < 1)
                return null;
            numbers.Add(n);
        }
        return numbers;
    }

    private static int BadUsage(TextWriter stderr, string problem)
    {
        stderr.Write($"daxlab history: {problem}\n{Usage}");
        return 2;
    }

    private static Row RunBug(HistoricalBug bug, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var variant = HistoryCheck.FindBug(bug, budget);
        var variantTime = clock.Elapsed;
        return new Row(bug, variant, HistoryCheck.ProveFix(bug, budget), variantTime);
    }

    private static void PrintTable(List<Row> rows, List<PendingBug> pending, TextWriter stdout)
    {
        stdout.Write($"{"#",3}  {"fix commit",-13} {"latent",6}  {"found? (variant fails)",-44}  fixed? (fix passes)\n");
        foreach (var row in rows)
        {
            var bug = row.Bug;
            stdout.Write($"{bug.Number,3}  {Short(bug.Commit),-13} {bug.YearsLatent,5:0.0}y  {FoundWords(row),-44}  {FixedWords(row)}\n");
            stdout.Write($"     {bug.Title}: {bug.Variant.Name} vs {bug.Fixed.Name} on {bug.ScenarioName}\n");
        }
        int found = rows.Count(r => r.Found), fixedCount = rows.Count(r => r.Fixed);
        stdout.Write($"\n{found} of {rows.Count} bugs found, {fixedCount} of {rows.Count} fixes pass.\n");
        if (pending.Count == 0)
            return;
        stdout.Write($"\npending, not run and not counted as failures ({pending.Count}):\n");
        foreach (var bug in pending)
            stdout.Write($"{bug.Number,3}  {bug.Commit,-13} {bug.Title}\n     needs: {bug.Missing}\n");
    }

    /// <summary>A commit id as the table's column holds it; a longer description stays whole on the bug's second line.</summary>
    private static string Short(string commit) => commit.Length <= 13 ? commit : "(no id)";

    private static string FoundWords(Row row) => row.Found
        ? $"yes: {row.Variant.Failures[0].Kind}, {row.Variant.Schedules} sched, {row.VariantTime.TotalSeconds:0.00} s, {row.Variant.Failures[0].Preemptions} preempt."
        : $"NO ({row.Variant.Schedules} schedules, {row.Variant.StopWords})";

    private static string FixedWords(Row row) => row.Fix.Failures.Count > 0
        ? $"NO: {row.Fix.Failures[0].Kind}: {row.Fix.Failures[0].Message}"
        : row.Fixed ? $"yes: {row.Fix.Verdict}" : $"not shown: {row.Fix.Verdict}";

    private static void PrintDiagrams(List<Row> rows, TextWriter stdout)
    {
        foreach (var row in rows.Where(r => r.Found))
        {
            stdout.Write($"\n{Diagram(row.Bug, row.Variant.Failures[0])}");
            stdout.Write($"fixed: {row.Bug.Fixed.Name} on {row.Bug.ScenarioName}: {row.Fix.Verdict}\n");
        }
    }

    /// <summary>One bug's failure as docs/history.md shows it: the header, the interleaving in kernel names, the replay command.</summary>
    internal static string Diagram(HistoricalBug bug, Failure failure)
    {
        var text = new StringBuilder();
        text.Append($"== #{bug.Number} {bug.Commit} \"{bug.Title}\": {bug.Variant.Name} fails {bug.ScenarioName}\n");
        text.Append($"{failure.Kind}: {failure.Message}\n");
        text.Append($"{failure.Preemptions} preemption(s), {failure.Trace.Count} steps\n\n");
        var trace = Checker.Diagram.Compact(failure.Trace);
        if (failure.Kind == FailureKind.StepLimit && trace.Count > LivelockRowsShown)
        {
            text.Append(Checker.Diagram.Render(failure.CpuLabels, trace.Take(LivelockRowsShown).ToList()));
            text.Append($"... (the same steps repeat to the step limit: {trace.Count - LivelockRowsShown} more shown steps)\n");
        }
        else
            text.Append(Checker.Diagram.Render(failure.CpuLabels, trace));
        text.Append($"\nreplay: daxlab check --replay {CliToken.Encode(bug.Variant, bug.Scenario, failure.ReplayToken)}\n");
        return text.ToString();
    }

    private static string Json(List<Row> rows, List<PendingBug> pending) => JsonSerializer.Serialize(new
    {
        schemaVersion = 1,
        ok = rows.All(r => r.Found && r.Fixed),
        bugs = rows.Select(r => new
        {
            number = r.Bug.Number,
            commit = r.Bug.Commit,
            title = r.Bug.Title,
            introduced = r.Bug.Introduced,
            yearsLatent = r.Bug.YearsLatent,
            scenario = r.Bug.ScenarioName,
            variant = r.Bug.Variant.Name,
            fix = r.Bug.Fixed.Name,
            found = r.Found,
            foundSchedules = r.Variant.Schedules,
            foundSeconds = Math.Round(r.VariantTime.TotalSeconds, 3),
            failure = r.Found ? new { kind = r.Variant.Failures[0].Kind.ToString(), message = r.Variant.Failures[0].Message, preemptions = r.Variant.Failures[0].Preemptions, replay = CliToken.Encode(r.Bug.Variant, r.Bug.Scenario, r.Variant.Failures[0].ReplayToken) } : null,
            @fixed = r.Fixed,
            fixVerdict = r.Fix.Verdict,
            fixProven = r.Fix.Proven,
            fixBound = r.Fix.Proven ? null : r.Fix.Options.PreemptionBound,
            fixSchedules = r.Fix.Schedules,
        }),
        pending = pending.Select(p => new { number = p.Number, commit = p.Commit, title = p.Title, needs = p.Missing }),
    }, Checker.Diagram.JsonOptions);
}
