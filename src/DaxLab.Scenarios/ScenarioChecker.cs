using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios.Report;

namespace DaxLab.Scenarios;

/// <summary>
/// The scenario checker as a library: load a scenario (from text, a file, or the built-in set),
/// explore its interleavings against a design under the deterministic checker, and get the
/// verdict, the failures and their diagrams as objects; replay a failure from its token.
/// <c>daxlab check</c> is a shell over this class.
/// </summary>
/// <example>
/// <code>
/// var scenario = ScenarioChecker.BuiltIn("write-vs-read-fault-4k");
/// var verdict = ScenarioChecker.Check(scenario, "v4.10", new CheckOptions { TimeBudget = TimeSpan.FromSeconds(30) });
/// foreach (var failure in verdict.Failures)
///     Console.WriteLine(failure.Diagram.Text + failure.ReplayToken);
/// </code>
/// </example>
public static class ScenarioChecker
{
    /// <summary>The names of the locking designs, in the matrix's order (<c>v4.10</c>, <c>ross-v1</c>, <c>v4.12</c>, ...).</summary>
    public static IReadOnlyList<string> Designs { get; } = [.. DesignCatalog.All.Select(d => d.Name)];

    /// <summary>
    /// The designs outside the default matrix, which <see cref="Check(Scenario, string, CheckOptions?)"/>
    /// accepts by name as well: the ext4 flavour's (<c>ext4-v4.11</c>, <c>ext4-v4.11-entry-first</c>, <c>ext4-v4.12</c>)
    /// , today's fs/dax.c (<c>v6</c>), and the variants of real bugs that <c>daxlab history</c> runs.
    /// </summary>
    public static IReadOnlyList<string> DesignsOutsideMatrix { get; } =
        [.. DesignCatalog.Ext4.Concat(DesignCatalog.Selectable).Concat(DesignCatalog.Historical).Select(d => d.Name)];

    /// <summary>The design that landed upstream, <c>v4.12</c>.</summary>
    public static string DefaultDesign => DesignCatalog.Default.Name;

    /// <summary>
    /// Reads a scenario from its text (the language of docs/scenarios.md) and runs it once alone,
    /// so that a mistake only a run shows (a mapping that does not exist, a failing setup
    /// command) is reported with its line before any search.
    /// </summary>
    /// <param name="text">The scenario's text.</param>
    /// <param name="origin">What error messages and replay commands call it, such as its file name.</param>
    /// <exception cref="ScenarioFileException">The text cannot be run: the message names the line and what was expected.</exception>
    public static Scenario Load(string text, string origin = "scenario.scn")
    {
        ArgumentNullException.ThrowIfNull(text);
        var scenario = Scenario.Parse(text, origin);
        ScenarioRunner.Validate(scenario, origin);
        return scenario;
    }

    /// <summary>Reads a scenario file, as <see cref="Load"/> reads text.</summary>
    /// <exception cref="ScenarioFileException">The file cannot be run.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Scenario LoadFile(string path) => Load(File.ReadAllText(path), path);

    /// <summary>The built-in scenario called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No built-in scenario has that name.</exception>
    public static Scenario BuiltIn(string name) => BuiltInScenarios.Find(name);

    /// <summary>Every built-in scenario, in the matrix's order.</summary>
    public static IReadOnlyList<Scenario> BuiltIn() => BuiltInScenarios.All;

    /// <summary>
    /// The built-in scenarios outside the default matrix (the ext4 designs', then the history
    /// corpus's), which <see cref="BuiltIn(string)"/> finds by name as well.
    /// </summary>
    public static IReadOnlyList<Scenario> BuiltInOutsideMatrix() => [.. BuiltInScenarios.Ext4, .. BuiltInScenarios.Historical];

    /// <summary>Checks <paramref name="scenario"/> against the design named <paramref name="design"/> (case ignored).</summary>
    /// <exception cref="ArgumentException">No design has that name, or the options are out of range.</exception>
    public static ScenarioVerdict Check(Scenario scenario, string design, CheckOptions? options = null) =>
        Check(scenario, DesignCatalog.Find(design), options);

    /// <summary>Checks <paramref name="scenario"/> against <paramref name="design"/>, which may be one of your own.</summary>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public static ScenarioVerdict Check(Scenario scenario, Design design, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(design);
        options ??= new CheckOptions();
        using var runner = new ScenarioRunner(scenario, design, options.SetupSnapshot);
        var result = Explorer.Explore(runner.Build, options.ToExplore(), options.CancellationToken);
        return new ScenarioVerdict(scenario, design, result);
    }

    /// <summary>
    /// Reruns exactly the schedule of a <see cref="ScenarioFailure.ReplayToken"/>: the scenario
    /// is a built-in one, or one of <paramref name="scenarios"/> (for a scenario loaded from text).
    /// </summary>
    /// <exception cref="FormatException">The token is not one <see cref="Check(Scenario, string, CheckOptions?)"/> gave.</exception>
    /// <exception cref="InvalidOperationException">The run departs from the token (the scenario changed since).</exception>
    public static ScenarioReplay Replay(string token, IEnumerable<Scenario>? scenarios = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!CliToken.TryDecode(token, [.. scenarios ?? []], out var design, out var scenario, out string schedule))
            throw new FormatException($"'{token}' is not a replay token from daxlab check");
        try
        {
            ReplayToken.Decode(schedule);
        }
        catch (FormatException e)
        {
            throw new FormatException($"'{token}' is not a replay token from daxlab check: {e.Message}", e);
        }
        using var runner = new ScenarioRunner(scenario, design);
        try
        {
            return new ScenarioReplay(scenario, design, Explorer.Replay(runner.Build, schedule));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidOperationException($"the replay departs from the token: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs the scenario <paramref name="repetitions"/> times on real threads with the same
    /// oracle; returns the problems of the first few failing runs (empty when all pass). A run
    /// that does not finish in 20 s is reported as a deadlock on real threads, and stressing stops.
    /// </summary>
    public static IReadOnlyList<string> Stress(Scenario scenario, Design design, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(repetitions);
        using var runner = new ScenarioRunner(scenario, design);
        return runner.Stress(repetitions);
    }

    /// <summary>
    /// Writes one self-contained HTML page: the verdict matrix of <paramref name="verdicts"/> and,
    /// for each failure, a trace explorer that steps through its schedule (docs/checker.md).
    /// </summary>
    /// <param name="path">The page's file.</param>
    /// <param name="verdicts">The cells of the matrix.</param>
    /// <param name="summary">A line under the title: how the search ran.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteHtmlReport(string path, IEnumerable<ScenarioVerdict> verdicts, string summary) =>
        HtmlReport.Write(path, [.. verdicts.Select(v => new HtmlReport.Cell(v.Scenario, v.DesignModel, v.Result))], summary);
}

/// <summary>A schedule replayed from its token: its outcome and its diagram.</summary>
public sealed class ScenarioReplay
{
    internal ScenarioReplay(Scenario scenario, Design design, RunResult run)
    {
        Scenario = scenario;
        Design = design.Name;
        Run = run;
        Diagram = new TraceDiagram(run.CpuLabels, run.Trace);
    }

    /// <summary>The scenario the token names.</summary>
    public Scenario Scenario { get; }

    /// <summary>The design the token names.</summary>
    public string Design { get; }

    /// <summary>The run passed the oracle and the scenario's checks.</summary>
    public bool Passed => Run.Failure is null;

    /// <summary>What kind of failure, or null when the run passed.</summary>
    public FailureKind? Kind => Run.Failure?.Kind;

    /// <summary>What went wrong, or null when the run passed.</summary>
    public string? Message => Run.Failure?.Message;

    /// <summary>Preemptions in the schedule.</summary>
    public int Preemptions => Run.Preemptions;

    /// <summary>The interleaving, as rows and columns and as text.</summary>
    public TraceDiagram Diagram { get; }

    /// <summary>The run as the JSON document of <c>daxlab check --replay --json</c> (docs/checker.md, "JSON output").</summary>
    public string ToJson() => Checker.Diagram.ToJson(Run);

    private RunResult Run { get; }
}
