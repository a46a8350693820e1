using DaxLab.Checker;

namespace DaxLab.Scenarios;

/// <summary>
/// An interleaving drawn as in the 2017 DAX threads: one column per CPU, one row per step in
/// the order the steps ran. <see cref="Rows"/> are the steps the text diagram shows,
/// <see cref="Steps"/> every step of the run, and <see cref="Text"/> the diagram itself.
/// </summary>
public sealed class TraceDiagram
{
    internal TraceDiagram(IReadOnlyList<string> cpus, IReadOnlyList<TraceEvent> trace)
    {
        Cpus = cpus;
        Steps = [.. trace.Select(e => new TraceStep(e.Cpu + 1, e.Point, e.Notes, e.Preempted, e.BlockedOn, Diagram.Compact([e]).Count == 0))];
        Rows = [.. Steps.Where(s => !s.LockOnly)];
        Text = Diagram.Render(cpus, Diagram.Compact(trace));
    }

    /// <summary>The columns: each CPU's label, such as <c>CPU1 - write(2)</c>.</summary>
    public IReadOnlyList<string> Cpus { get; }

    /// <summary>Every step of the run, lock acquisitions included.</summary>
    public IReadOnlyList<TraceStep> Steps { get; }

    /// <summary>The steps the diagram shows: the kernel functions and what they saw, without the lock steps that neither slept nor preempted.</summary>
    public IReadOnlyList<TraceStep> Rows { get; }

    /// <summary>The diagram as text, a column per CPU, as <c>daxlab check</c> prints it.</summary>
    public string Text { get; }

    /// <summary>The text diagram.</summary>
    public override string ToString() => Text;
}

/// <summary>One step of a trace: CPU <paramref name="Cpu"/> ran from scheduling point <paramref name="Point"/> to its next one.</summary>
/// <param name="Cpu">The CPU, counted from 1 as the diagram's CPU1 and CPU2 are (column <c>Cpu - 1</c> of <see cref="TraceDiagram.Cpus"/>).</param>
/// <param name="Point">The scheduling point, in kernel names (<c>grab_mapping_entry</c>, <c>down_write(ILOCK#1)</c>).</param>
/// <param name="Notes">What the step saw or did, in the engine's words.</param>
/// <param name="Preempted">The step began by preempting a CPU that could have gone on.</param>
/// <param name="BlockedOn">What the CPU went to sleep on at the end of the step, or null.</param>
/// <param name="LockOnly">A lock step that neither slept nor preempted, left out of <see cref="TraceDiagram.Rows"/>.</param>
public sealed record TraceStep(int Cpu, string Point, IReadOnlyList<string> Notes, bool Preempted, string? BlockedOn, bool LockOnly);
