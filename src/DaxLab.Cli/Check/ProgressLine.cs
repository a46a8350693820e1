using System.Diagnostics;
using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios;

namespace DaxLab.Cli.Check;

/// <summary>
/// The live line `daxlab check` keeps on a terminal's stderr while it searches a cell: schedules,
/// rate, depth, failures so far and, for DFS, the estimated share of the pass's tree. Redrawn in
/// place with a carriage return and wiped when the cell is done, so nothing of it stays; made
/// only when stderr is a terminal, so logs get what they got before.
/// </summary>
internal sealed class ProgressLine(TextWriter stderr)
{
    /// <summary>At most ten redraws a second: a short run takes well under a millisecond, and a write per run would cost more than the run.</summary>
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Columns the line may take: a classic terminal's 80 less one, so it never wraps (a wrapped line cannot be redrawn with a carriage return).</summary>
    private const int MaxWidth = 79;

    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan lastDraw = -RedrawInterval;
    private int drawn;

    /// <summary>The progress callback for one cell's search.</summary>
    public Action<ExploreProgress> For(Scenario scenario, Design design) => progress => Draw(progress, $"{scenario.Name} on {design.Name}");

    /// <summary>Wipes the line: the cell is done, and the matrix prints its verdict later.</summary>
    public void Clear()
    {
        if (drawn > 0)
            stderr.Write("\r" + new string(' ', drawn) + "\r");
        drawn = 0;
        lastDraw = -RedrawInterval;
    }

    private void Draw(ExploreProgress progress, string cell)
    {
        if (clock.Elapsed - lastDraw < RedrawInterval)
            return;
        lastDraw = clock.Elapsed;
        string text = Text(progress, cell);
        stderr.Write("\r" + text.PadRight(drawn));
        drawn = text.Length;
    }

    /// <summary>The numbers first, then the cell, cut to <see cref="MaxWidth"/>.</summary>
    internal static string Text(ExploreProgress progress, string cell)
    {
        string share = progress.Share is { } s
            ? $", {(progress.Bound is { } b ? $"bound {b}" : "no bound")} ~{s * 100:0}%"
            : "";
        string text = $"{progress.Schedules} schedules, {progress.Rate:0}/s, depth {progress.Steps}, {progress.Failures} failed{share}: {cell}";
        return text.Length <= MaxWidth ? text : text[..MaxWidth];
    }
}
