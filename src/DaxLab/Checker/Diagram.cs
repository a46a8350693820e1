using System.Text;
using System.Text.Json;

namespace DaxLab.Checker;

/// <summary>
/// Writes an interleaving down as in the 2017 DAX threads: one column per CPU headed by its
/// label, one row group per step in the order the steps ran, each in its CPU's column: the
/// scheduling point, then the notes indented under it.
/// </summary>
public static class Diagram
{
    /// <summary>Spaces between columns.</summary>
    private const int Gutter = 4;

    /// <summary>The version of the JSON documents `daxlab check --json` and `--replay --json` write (docs/checker.md, "JSON output").</summary>
    public const int JsonSchemaVersion = 1;

    /// <summary>
    /// DaxLab's one JSON convention, shared by check's and replay's documents: camelCase as bench
    /// writes, and relaxed escaping so that kernel names such as `->iomap_begin` stay readable.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The diagram as data, for tools: what <see cref="ToJson(Failure)"/> writes.</summary>
    public sealed record Data(string? Kind, string? Message, string? ReplayToken, int Preemptions, IReadOnlyList<string> Cpus, IReadOnlyList<Step> Steps)
    {
        /// <summary>First, so that a reader sees the layout before the rest.</summary>
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public int SchemaVersion => JsonSchemaVersion;
    }

    /// <summary>
    /// A trace step as JSON shows it: <paramref name="Cpu"/> counts from 1, as the diagram's
    /// CPU1, CPU2 columns do, so a tool's "cpu 2" is the diagram's CPU2.
    /// </summary>
    public sealed record Step(int Cpu, string Point, IReadOnlyList<string> Notes, bool Preempted, string? BlockedOn)
    {
        public static IReadOnlyList<Step> Of(IReadOnlyList<TraceEvent> trace) =>
            trace.Select(e => new Step(e.Cpu + 1, e.Point, e.Notes, e.Preempted, e.BlockedOn)).ToList();
    }

    public static string Render(Failure failure) => Render(failure.CpuLabels, failure.Trace);


    public static string Render(IReadOnlyList<string> labels, IReadOnlyList<TraceEvent> trace)
    {
        var rows = new List<(int Cpu, string Text)>();
        foreach (var step in trace)
            rows.AddRange(Cell(step).Select(line => (step.Cpu, line)));
        var widths = labels.Select(label => label.Length).ToArray();
        foreach (var (cpu, text) in rows)
            widths[cpu] = Math.Max(widths[cpu], text.Length);
        var output = new StringBuilder();
        AppendRow(output, widths, labels.Select((label, cpu) => (cpu, label)).ToArray());
        foreach (var row in rows)
            AppendRow(output, widths, [row]);
        return output.ToString();
    }

    /// <summary>
    /// The trace as the 2017 thread drew it: kernel functions and what they saw, without the
    /// steps that only took a lock (spin_lock, down_read, ...) unless they slept or preempted.
    /// </summary>
    public static IReadOnlyList<TraceEvent> Compact(IReadOnlyList<TraceEvent> trace) =>
        trace.Where(step => !IsLockStep(step) || step.Notes.Count > 0 || step.BlockedOn is not null || step.Preempted).ToList();

    private static bool IsLockStep(TraceEvent step) =>
        step.Point.StartsWith("spin_lock(") || step.Point.StartsWith("down_read(") || step.Point.StartsWith("down_write(")
        || step.Point.StartsWith("range_lock(");

    public static string ToJson(Failure failure) => JsonSerializer.Serialize(
        new Data(failure.Kind.ToString(), failure.Message, failure.ReplayToken, failure.Preemptions, failure.CpuLabels, Step.Of(failure.Trace)), JsonOptions);

    public static string ToJson(RunResult run) => JsonSerializer.Serialize(
        new Data(run.Failure?.Kind.ToString(), run.Failure?.Message, run.ReplayToken, run.Preemptions, run.CpuLabels, Step.Of(run.Trace)), JsonOptions);

    /// <summary>A step's lines. A CPU's start that noted nothing, preempted nobody and did not sleep says nothing, so it is left out.</summary>
    private static IEnumerable<string> Cell(TraceEvent step)
    {
        if (step.Point == "(start)" && step.Notes.Count == 0 && step.BlockedOn is null && !step.Preempted)
            yield break;
        yield return step.Preempted ? step.Point + "  [preempts]" : step.Point;
        foreach (var note in step.Notes)
            yield return "  " + note;
        if (step.BlockedOn is not null)
            yield return "  sleeps on " + step.BlockedOn;
    }

    /// <summary>One line: each given cell in its CPU's column, padded to the column widths.</summary>
    private static void AppendRow(StringBuilder output, int[] widths, (int Cpu, string Text)[] cells)
    {
        var line = new StringBuilder();
        for (int column = 0; column < widths.Length; column++)
        {
            string text = cells.FirstOrDefault(c => c.Cpu == column).Text ?? "";
            line.Append(text.PadRight(widths[column] + Gutter));
        }
        output.Append(line.ToString().TrimEnd()).Append('\n');
    }
}
