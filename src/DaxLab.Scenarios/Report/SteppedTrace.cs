using DaxLab.Checker;
using DaxLab.Designs;

namespace DaxLab.Scenarios.Report;

/// <summary>
/// A failing schedule replayed with the world's state at every step: States[0] after the
/// setup, States[i + 1] after step i of Run.Trace.
/// </summary>
internal sealed record SteppedTrace(RunResult Run, IReadOnlyList<WorldSnapshot> States)
{
    /// <summary>
    /// Replays <paramref name="schedule"/> (a checker token, as in <see cref="Failure.ReplayToken"/>)
    /// and snapshots the world through the run's after-step hook.
    /// </summary>
    /// <exception cref="InvalidOperationException">The replay departs from the token.</exception>
    public static SteppedTrace Replay(Scenario scenario, Design design, string schedule)
    {
        var states = new List<WorldSnapshot>();
        using var runner = new ScenarioRunner(scenario, design);
        var run = Explorer.Replay(seam => runner.Build(seam, (world, steps) =>
        {
            // One snapshot per hand-off, in order: the hook's count is the index it belongs at.
            if (steps != states.Count)
                throw new InvalidOperationException($"snapshot {steps} arrived after {states.Count}");
            states.Add(WorldSnapshot.Capture(world));
        }), schedule);
        return new SteppedTrace(run, states);
    }
}
