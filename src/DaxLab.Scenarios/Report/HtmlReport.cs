using System.Reflection;
using System.Text.Json;
using DaxLab.Checker;
using DaxLab.Designs;

namespace DaxLab.Scenarios.Report;

/// <summary>
/// `daxlab check --html FILE`: one self-contained page (inline CSS and script, no network) with
/// the verdict matrix and, for each distinct failure, a trace explorer that steps through the
/// schedule and shows the index, page tables, extent map and i_size after every step.
/// </summary>
/// <remarks>
/// The page is a template (Report/trace-explorer.html, embedded) and the report's data as JSON
/// in a script element; every string reaches the page through textContent, never as markup.
/// </remarks>
internal static class HtmlReport
{
    /// <summary>One cell of the matrix: a scenario explored against a design.</summary>
    public sealed record Cell(Scenario Scenario, Design Design, ExploreResult Result);

    /// <summary>The report's data, as the page's script reads it.</summary>
    public sealed record Data(string Summary, IReadOnlyList<string> Designs, IReadOnlyList<ScenarioRow> Scenarios,
        IReadOnlyList<Verdict> Cells, IReadOnlyList<FailureTrace> Failures);

    public sealed record ScenarioRow(string Name, string Title);

    /// <summary>One cell's verdict; Failures lists the ids of its failures in <see cref="Data.Failures"/>.</summary>
    public sealed record Verdict(string Scenario, string Design, long Schedules, bool Exhaustive, IReadOnlyList<int> Failures);

    /// <summary>
    /// One distinct failure replayed: the full trace (LockOnly marks the steps the text diagram
    /// leaves out), the world after each step (States[0] before the first), and the rerun line.
    /// StateError says why States is empty if the replay departed from the token.
    /// </summary>
    public sealed record FailureTrace(int Id, string Scenario, string Title, string Design, string Kind, string Message,
        string? Detail, int Preemptions, string Replay, IReadOnlyList<string> Cpus, IReadOnlyList<Step> Steps,
        IReadOnlyList<WorldSnapshot> States, string? StateError);

    public sealed record Step(int Cpu, string Point, IReadOnlyList<string> Notes, bool Preempted, string? BlockedOn, bool LockOnly);

    private const string TemplateResource = "DaxLab.Scenarios.Report.trace-explorer.html";
    private const string DataMarker = "__DAXLAB_REPORT_DATA__";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        // The default encoder escapes <, > and &, so the JSON cannot close its script element.
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Writes the page for <paramref name="cells"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<Cell> cells, string summary) =>
        File.WriteAllText(path, Render(Collect(cells, summary)));

    /// <summary>The page for <paramref name="data"/>: the template with the data in place.</summary>
    public static string Render(Data data) => Template().Replace(DataMarker, JsonSerializer.Serialize(data, JsonOptions));

    /// <summary>The verdicts, and every failure replayed with its states (a replay per failure: milliseconds each).</summary>
    public static Data Collect(IReadOnlyList<Cell> cells, string summary)
    {
        var failures = new List<FailureTrace>();
        var verdicts = new List<Verdict>();
        foreach (var cell in cells)
        {
            var ids = new List<int>();
            foreach (var failure in cell.Result.Failures)
            {
                ids.Add(failures.Count);
                failures.Add(Trace(failures.Count, cell, failure));
            }
            verdicts.Add(new Verdict(cell.Scenario.Name, cell.Design.Name, cell.Result.Schedules, cell.Result.Exhausted, ids));
        }
        var designs = cells.Select(c => c.Design.Name).Distinct().ToList();
        var scenarios = cells.Select(c => c.Scenario).Distinct().Select(s => new ScenarioRow(s.Name, s.Title)).ToList();
        return new Data(summary, designs, scenarios, verdicts, failures);
    }

    private static FailureTrace Trace(int id, Cell cell, Failure failure)
    {
        IReadOnlyList<WorldSnapshot> states = [];
        string? stateError = null;
        try
        {
            states = SteppedTrace.Replay(cell.Scenario, cell.Design, failure.ReplayToken).States;
        }
        catch (InvalidOperationException e)
        {
            stateError = $"the replay that records the states departed from the token: {e.Message}";
        }
        var steps = failure.Trace.Select(s => new Step(s.Cpu, s.Point, s.Notes, s.Preempted, s.BlockedOn, Diagram.Compact([s]).Count == 0)).ToList();
        return new FailureTrace(id, cell.Scenario.Name, cell.Scenario.Title, cell.Design.Name, failure.Kind.ToString(), failure.Message,
            failure.Detail, failure.Preemptions, ReplayCommand(cell, failure), failure.CpuLabels, steps, states, stateError);
    }

    /// <summary>The command line that reruns <paramref name="failure"/>, as `daxlab check` prints it.</summary>
    private static string ReplayCommand(Cell cell, Failure failure)
    {
        string file = BuiltInScenarios.IsBuiltIn(cell.Scenario) ? "" : $"--scenario {cell.Scenario.Origin} ";
        return $"daxlab check {file}--replay {CliToken.Encode(cell.Design, cell.Scenario, failure.ReplayToken)}";
    }

    private static string Template()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(TemplateResource)
            ?? throw new InvalidOperationException($"the report template {TemplateResource} is not embedded in daxlab");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
