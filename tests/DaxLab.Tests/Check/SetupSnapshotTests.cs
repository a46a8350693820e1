using System.Reflection;
using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios;
using DaxLab.Sync;

namespace DaxLab.Tests.Check;

/// <summary>
/// The setup snapshot (#9): runs started from a copy of the state after the setup must be the
/// runs that do the setup. Compared run by run (every step's CPU, point, notes and footprint,
/// every failure and replay token), on scenarios whose setups write or map 2 MiB, on one whose
/// setup the copier refuses, and on a failing design; and the copies of two runs must share no
/// object that a run can change, the way a deep copier could silently leak state between runs.
/// </summary>
public class SetupSnapshotTests
{
    /// <summary>Runs per search: every run after the first starts from the snapshot.</summary>
    private const long Schedules = 150;

    [Theory]
    [InlineData("v4.12", "write-vs-read-fault-4k")]
    [InlineData("v4.12", "write-vs-read-fault-2m")]
    [InlineData("v4.12", "pmd-vs-pte-fault-private")]
    [InlineData("v4.12", "fsync-pmd-entry-via-ptes")]
    [InlineData("v4.12", "punch-pmd-vs-pte-fault")]
    [InlineData("v4.12", "truncate-vs-pinned-page")]
    [InlineData("v4.12", "truncate-vs-private-cow")]
    [InlineData("v4.10", "write-vs-read-fault-2m")]
    [InlineData("v4.10", "pmd-vs-pte-fault-shared")]
    public void Runs_from_the_snapshot_are_the_runs_that_do_the_setup(string designName, string scenarioName)
    {
        var scenario = BuiltInScenarios.Find(scenarioName);
        var design = DesignCatalog.Find(designName);
        var (replayed, replayedRuns) = Search(scenario, design, snapshot: false);
        var (copied, copiedRuns) = Search(scenario, design, snapshot: true);

        Assert.Equal(replayed.Stop, copied.Stop);
        Assert.Equal(replayed.Schedules, copied.Schedules);
        Assert.Equal(replayedRuns.Count, copiedRuns.Count);
        for (int run = 0; run < replayedRuns.Count; run++)
            Assert.Equal(replayedRuns[run], copiedRuns[run]);
        Assert.Equal(replayed.Failures.Select(f => (f.Message, f.ReplayToken)), copied.Failures.Select(f => (f.Message, f.ReplayToken)));
        if (designName == "v4.10")
            Assert.NotEmpty(copied.Failures);
    }

    [Fact]
    public void A_failure_found_from_the_snapshot_replays_from_a_fresh_setup()
    {
        var scenario = BuiltInScenarios.Find("pmd-vs-pte-fault-shared");
        var design = DesignCatalog.Find("v4.10");
        var (copied, _) = Search(scenario, design, snapshot: true);
        Assert.NotEmpty(copied.Failures);
        using var fresh = new ScenarioRunner(scenario, design, snapshot: false);
        foreach (var failure in copied.Failures)
            Assert.Equal(failure.Trace, Explorer.Replay(fresh.Build, failure.ReplayToken).Trace);
    }

    /// <summary>
    /// The worlds of two runs copied from one snapshot: whatever both reach must be immutable
    /// (only read-only fields, all the way down), or one run's changes would show in the other.
    /// An object the copier shared instead of copying fails here even if no scenario yet changes it.
    /// </summary>
    [Theory]
    [InlineData("pmd-vs-pte-fault-private")]
    [InlineData("fsync-pmd-entry-via-ptes")]
    [InlineData("truncate-vs-pinned-page")]
    [InlineData("allocating-write-vs-fsync")]
    public void Two_runs_from_the_snapshot_share_nothing_they_can_change(string scenarioName)
    {
        var worlds = new List<ScenarioWorld>();
        using var runner = new ScenarioRunner(BuiltInScenarios.Find(scenarioName), DesignCatalog.Find("v4.12"), snapshot: true);
        Explorer.Explore(seam => runner.Build(seam, (world, step) =>
        {
            if (step == 0)
                worlds.Add(world);
        }), new ExploreOptions(StrategyKind.Dfs, MaxSchedules: 3));
        Assert.Equal(3, worlds.Count);
        Assert.Null(runner.SnapshotRefusal);
        var first = Reachable(worlds[1]);
        var shared = Reachable(worlds[2]).Where(first.Contains).ToList();
        Assert.NotEmpty(shared); // the design and the strings, at least: the walk does see sharing
        // The file's content after the setup: the runner hands every run the same array, snapshot or not, and nothing writes it.
        shared.Remove(worlds[2].Initial);
        var mutable = shared.Where(o => !IsImmutable(o)).Select(o => $"{o.GetType().FullName}{(o is Array a ? $" of {a.Length}" : "")}").Distinct().ToList();
        Assert.True(mutable.Count == 0, "objects shared between two runs' worlds that a run could change: " + string.Join(", ", mutable));
    }

    /// <summary>Every search's runs, each as text: step by step the CPU, point, notes, wait channel and footprint, then the failure and token.</summary>
    private static (ExploreResult Result, List<string> Runs) Search(Scenario scenario, Design design, bool snapshot)
    {
        var runs = new List<string>();
        using var runner = new ScenarioRunner(scenario, design, snapshot);
        var options = new CheckOptions { MaxSchedules = Schedules }.ToExplore();
        var result = Explorer.Explore(runner.Build, options, run => runs.Add(Describe(run)));
        return (result, runs);
    }

    private static string Describe(RunResult run) =>
        string.Join("\n", run.Trace.Select((e, i) => $"{e.Cpu} {e.Point} [{string.Join("; ", e.Notes)}] {e.Preempted} {e.BlockedOn} "
            + string.Join(",", run.Footprints[i].Accesses.OrderBy(a => a.Key).Select(a => $"{a.Key}{(a.Value ? "w" : "r")}"))))
        + $"\n{run.Failure?.Message} {run.ReplayToken} {run.Pruned}";

    /// <summary>The objects reachable from <paramref name="root"/> through fields, not entering the checker's scheduler (each run's own).</summary>
    private static HashSet<object> Reachable(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>([root]);
        while (pending.TryPop(out var current))
        {
            if (current is IScheduler || current is Pointer || !seen.Add(current))
                continue;
            if (current is Array array)
            {
                if (!array.GetType().GetElementType()!.IsPrimitive)
                {
                    foreach (var item in array)
                    {
                        if (item is not null)
                            pending.Push(item);
                    }
                }
                continue;
            }
            foreach (var field in Fields(current.GetType()))
            {
                if (!field.FieldType.IsPointer && field.GetValue(current) is { } value && !value.GetType().IsPrimitive)
                    pending.Push(value);
            }
        }
        return seen;
    }

    /// <summary>
    /// An object that cannot change once made: a string, a reflection object, an empty array, a
    /// delegate (its target is reached and judged by itself), or one with only read-only fields
    /// (what they refer to is judged as reached).
    /// </summary>
    private static bool IsImmutable(object value)
    {
        var type = value.GetType();
        return value is string or MemberInfo or Delegate or Array { Length: 0 } || type.IsPrimitive || type.IsEnum
            || (!type.IsArray && Fields(type).All(f => f.IsInitOnly));
    }

    private static IEnumerable<FieldInfo> Fields(Type type)
    {
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                yield return field;
        }
    }
}
