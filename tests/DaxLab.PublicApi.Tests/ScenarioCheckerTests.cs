using System.Runtime.CompilerServices;
using DaxLab.Checker;
using DaxLab.Scenarios;

namespace DaxLab.PublicApi.Tests;

/// <summary>
/// The scenario checker through its public API alone: a scenario loaded from text fails on
/// v4.10 with a diagram and a token that replays it, and is proven on v4.12.
/// </summary>
public sealed class ScenarioCheckerTests
{
    /// <summary>The 2017 race on a 4 KiB hole, written here rather than taken from the built-in set.</summary>
    private const string WriteVsReadFault = """
        scenario api-write-vs-read-fault
        title write(2) vs read fault on a 4 KiB hole, from text
        setup:
            truncate 0
            truncate 8k
            mmap -r 4k 4k
        cpu write(2):
            pwrite -S 0x48 4k 12
        cpu read fault:
            mread 4k 1
        check:
            bytes 4k 12 = 0x48
        """;

    private static readonly CheckOptions Budgeted = new() { TimeBudget = TimeSpan.FromMinutes(2) };

    [Fact]
    public void V410FailsWithADiagramAndATokenThatReplays()
    {
        var scenario = ScenarioChecker.Load(WriteVsReadFault, "api.scn");

        var verdict = ScenarioChecker.Check(scenario, "v4.10", Budgeted);

        Assert.False(verdict.Passed);
        Assert.False(verdict.Proven);
        Assert.Equal("v4.10", verdict.Design);
        Assert.StartsWith("FAIL", verdict.Summary);
        var failure = verdict.Failures[0];
        Assert.Equal(FailureKind.EndCheck, failure.Kind);
        Assert.Contains("hole page", failure.Message);
        Assert.Equal(["CPU1 - write(2)", "CPU2 - read fault"], failure.Diagram.Cpus);
        Assert.Contains(failure.Diagram.Rows, r => r.Cpu == 2 && r.Point == "grab_mapping_entry");
        Assert.Contains(failure.Diagram.Rows, r => r.Cpu == 1 && r.Point == "xfs_bmapi_write");
        Assert.True(failure.Diagram.Steps.Count > failure.Diagram.Rows.Count, "the lock steps are in Steps, not in Rows");
        Assert.StartsWith("CPU1 - write(2)", failure.Diagram.Text);
        Assert.Contains("dax_load_hole", failure.Diagram.Text);
        Assert.StartsWith("v4.10:api-write-vs-read-fault:", failure.ReplayToken);
        Assert.Equal($"daxlab check --scenario api.scn --replay {failure.ReplayToken}", failure.ReplayCommand);

        var replay = ScenarioChecker.Replay(failure.ReplayToken, [scenario]);

        Assert.False(replay.Passed);
        Assert.Equal(failure.Message, replay.Message);
        Assert.Equal(failure.Diagram.Text, replay.Diagram.Text);
        Assert.Contains("\"schemaVersion\": 1", replay.ToJson());
    }

    [Fact]
    public void TheExt4DesignWithTheEntryLockFirstDeadlocksOnItsScenario()
    {
        Assert.Contains("ext4-v4.11-entry-first", ScenarioChecker.DesignsOutsideMatrix);
        Assert.DoesNotContain("ext4-v4.11-entry-first", ScenarioChecker.Designs);
        var scenario = ScenarioChecker.BuiltIn("ext4-pwrite-vs-write-fault-commit");
        Assert.Contains(scenario, ScenarioChecker.BuiltInOutsideMatrix());

        var verdict = ScenarioChecker.Check(scenario, "ext4-v4.11-entry-first", Budgeted with { LockOrder = false, StopAtFirstFailure = true });

        Assert.False(verdict.Passed);
        var failure = verdict.Failures[0];
        Assert.Equal(FailureKind.Deadlock, failure.Kind);
        Assert.Contains(failure.Diagram.Rows, r => r.Cpu == 1 && r.Point == "ext4_journal_start");
        Assert.Contains(failure.Diagram.Rows, r => r.Cpu == 3 && r.Point == "jbd2_complete_transaction");
    }

    [Fact]
    public void V412PassesProven()
    {
        var scenario = ScenarioChecker.Load(WriteVsReadFault);

        var verdict = ScenarioChecker.Check(scenario, "v4.12", Budgeted);

        Assert.True(verdict.Passed, verdict.Summary);
        Assert.True(verdict.Proven);
        Assert.True(verdict.Exhaustive);
        Assert.Null(verdict.PreemptionBound);
        Assert.Equal(StopReason.Exhausted, verdict.Stopped);
        Assert.Equal("DPOR", verdict.Reduction);
        Assert.Empty(verdict.Failures);
        Assert.True(verdict.Schedules > 1);
        Assert.Equal($"pass (proven, no bound, {verdict.Schedules} schedules)", verdict.Summary);
    }

    [Fact]
    public void ABoundedSearchIsExhaustiveButNotProven()
    {
        var verdict = ScenarioChecker.Check(ScenarioChecker.Load(WriteVsReadFault), "v4.12", new CheckOptions { PreemptionBound = 1 });

        Assert.True(verdict.Passed);
        Assert.True(verdict.Exhaustive);
        Assert.False(verdict.Proven);
        Assert.Equal(1, verdict.PreemptionBound);
        Assert.Equal(StopReason.BoundExhausted, verdict.Stopped);
    }

    [Fact]
    public void TheUnboundedPassAloneProvesWithFewerSchedules()
    {
        var scenario = ScenarioChecker.Load(WriteVsReadFault);

        var withSmallPassesFirst = ScenarioChecker.Check(scenario, "v4.12");
        var alone = ScenarioChecker.Check(scenario, "v4.12", new CheckOptions { FewestPreemptionsFirst = false });

        Assert.True(withSmallPassesFirst.Proven);
        Assert.True(alone.Proven);
        Assert.True(alone.Schedules < withSmallPassesFirst.Schedules, $"{alone.Schedules} vs {withSmallPassesFirst.Schedules}");
        Assert.Equal("all explored, no bound", alone.StoppedWords);
    }

    [Fact]
    public void TheScheduleLimitStopsASearchShortOfAProof()
    {
        var verdict = ScenarioChecker.Check(ScenarioChecker.BuiltIn("write-vs-read-fault-2m"), "v4.12", new CheckOptions { MaxSchedules = 3 });

        Assert.Equal(3, verdict.Schedules);
        Assert.Equal(StopReason.ScheduleLimit, verdict.Stopped);
        Assert.False(verdict.Proven);
        Assert.False(verdict.Exhaustive);
    }

    [Fact]
    public void ACancelledSearchSaysSo()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var verdict = ScenarioChecker.Check(ScenarioChecker.Load(WriteVsReadFault), "v4.12", new CheckOptions { CancellationToken = cancel.Token });

        Assert.Equal(StopReason.Cancelled, verdict.Stopped);
        Assert.Equal(0, verdict.Schedules);
        Assert.False(verdict.Proven);
    }

    [Fact]
    public void BadTextNamesItsLine()
    {
        var error = Assert.Throws<ScenarioFileException>(() => ScenarioChecker.Load("scenario x\ncpu a:\n    pwrite 0 4k\ncpu b:\n    frob 1\n", "bad.scn"));

        Assert.StartsWith("bad.scn:5:", error.Message);
    }

    [Fact]
    public void TheBuiltInScenariosAndDesignsAreListed()
    {
        Assert.Contains(ScenarioChecker.BuiltIn(), s => s.Name == "write-vs-read-fault-4k");
        Assert.Equal("write(2) vs read fault on a 4 KiB hole", ScenarioChecker.BuiltIn("write-vs-read-fault-4k").Title);
        Assert.Throws<ArgumentException>(() => ScenarioChecker.BuiltIn("no-such-scenario"));
        Assert.Contains("v4.10", ScenarioChecker.Designs);
        Assert.Equal("v4.12", ScenarioChecker.DefaultDesign);
        Assert.Throws<ArgumentException>(() => ScenarioChecker.Check(ScenarioChecker.BuiltIn("write-vs-read-fault-4k"), "no-such-design"));
    }

    [Fact]
    public void ATokenThatIsNotOneIsAFormatError()
    {
        Assert.Throws<FormatException>(() => ScenarioChecker.Replay("not-a-token"));
        Assert.Throws<FormatException>(() => ScenarioChecker.Replay("v4.10:write-vs-read-fault-4k:!!"));
    }

    [Fact]
    public void ThisAssemblySeesOnlyThePublicApi()
    {
        var friends = typeof(ScenarioChecker).Assembly.GetCustomAttributes(typeof(InternalsVisibleToAttribute), false)
            .Cast<InternalsVisibleToAttribute>().Select(a => a.AssemblyName);

        Assert.DoesNotContain(typeof(ScenarioCheckerTests).Assembly.GetName().Name, friends);
    }
}
