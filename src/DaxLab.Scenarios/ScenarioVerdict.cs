using DaxLab.Checker;
using DaxLab.Designs;

namespace DaxLab.Scenarios;

/// <summary>
/// What checking one scenario against one design found: pass or fail, how far the search went
/// (proven, exhaustive within a bound, or stopped and why), and each distinct failure.
/// </summary>
public sealed class ScenarioVerdict
{
    internal ScenarioVerdict(Scenario scenario, Design design, ExploreResult result)
    {
        Scenario = scenario;
        DesignModel = design;
        Result = result;
        Failures = [.. result.Failures.Select(f => new ScenarioFailure(scenario, design, f))];
    }

    /// <summary>The scenario checked.</summary>
    public Scenario Scenario { get; }

    /// <summary>The design's name, as <see cref="ScenarioChecker.Designs"/> lists it.</summary>
    public string Design => DesignModel.Name;

    /// <summary>No schedule the search ran failed.</summary>
    public bool Passed => Failures.Count == 0;

    /// <summary>It passed, and the search covered every interleaving with any number of preemptions (up to a reduction that loses no outcome).</summary>
    public bool Proven => Result.Proven;

    /// <summary>The search covered its whole space: every interleaving, or every one within <see cref="PreemptionBound"/>.</summary>
    public bool Exhaustive => Result.Exhausted;

    /// <summary>The preemption bound searched, or null for none.</summary>
    public int? PreemptionBound => Result.Options.PreemptionBound;

    /// <summary>Why the search stopped: it finished, or a budget, the first failure or cancellation stopped it.</summary>
    public StopReason Stopped => Result.Stop;

    /// <summary>Why the search stopped, in a few words: <c>all explored, no bound</c>, <c>time budget</c>, ...</summary>
    public string StoppedWords => Result.StopWords;

    /// <summary>Schedules (runs) made.</summary>
    public long Schedules => Result.Schedules;

    /// <summary>How long the search took.</summary>
    public TimeSpan Elapsed => Result.Elapsed;

    /// <summary>How the search reduced: <c>DPOR</c>, <c>sleep sets</c> or <c>off</c>.</summary>
    public string Reduction => Result.Options.ReductionWords;

    /// <summary>The distinct failures, each the example with the fewest preemptions found.</summary>
    public IReadOnlyList<ScenarioFailure> Failures { get; }

    /// <summary>The verdict in the matrix's words: <c>pass (proven, no bound, 165 schedules)</c>, <c>FAIL (1 distinct in 40 schedules, ...)</c>.</summary>
    public string Summary => Result.Verdict;

    /// <summary>The verdict in words, as <see cref="Summary"/>.</summary>
    public override string ToString() => $"{Design} × {Scenario.Name}: {Summary}";

    internal Design DesignModel { get; }

    internal ExploreResult Result { get; }
}

/// <summary>A failing schedule: what went wrong, the token that replays it, and its diagram.</summary>
public sealed class ScenarioFailure
{
    internal ScenarioFailure(Scenario scenario, Design design, Failure failure)
    {
        Kind = failure.Kind;
        Message = failure.Message;
        Detail = failure.Detail;
        Preemptions = failure.Preemptions;
        ReplayToken = CliToken.Encode(design, scenario, failure.ReplayToken);
        string file = BuiltInScenarios.IsBuiltIn(scenario) ? "" : $"--scenario {scenario.Origin} ";
        ReplayCommand = $"daxlab check {file}--replay {ReplayToken}";
        Diagram = new TraceDiagram(failure.CpuLabels, failure.Trace);
        Schedule = failure.ReplayToken;
    }

    /// <summary>What kind of failure: the end check, a deadlock, a lock-order cycle, an exception, a step limit.</summary>
    public FailureKind Kind { get; }

    /// <summary>What went wrong, in one line.</summary>
    public string Message { get; }

    /// <summary>More to read, or null: lockdep's report with both acquisition stacks, an exception's stack.</summary>
    public string? Detail { get; }

    /// <summary>Preemptions in the schedule.</summary>
    public int Preemptions { get; }

    /// <summary>
    /// <c>design:scenario:schedule</c>: pass it to <see cref="ScenarioChecker.Replay"/> (with the
    /// scenario, if it is not built in) or to <c>daxlab check --replay</c> to rerun exactly this schedule.
    /// </summary>
    public string ReplayToken { get; }

    /// <summary>The command line that replays this failure, as <c>daxlab check</c> prints it.</summary>
    public string ReplayCommand { get; }

    /// <summary>The interleaving, as rows and columns and as text.</summary>
    public TraceDiagram Diagram { get; }

    /// <summary>The message and the diagram.</summary>
    public override string ToString() => $"{Kind}: {Message}\n{Diagram.Text}";

    /// <summary>The checker's own token, without design and scenario.</summary>
    internal string Schedule { get; }
}
