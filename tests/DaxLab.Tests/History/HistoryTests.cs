using DaxLab.Checker;
using DaxLab.Cli;
using DaxLab.Dax;
using DaxLab.Designs;
using DaxLab.Io;
using DaxLab.Scenarios;
using DaxLab.Scenarios.History;
using Xunit;

namespace DaxLab.Tests.History;

/// <summary>
/// Pins each real bug's verdict pair (docs/history.md): the variant fails its scenario with the
/// failure the bug had, and the fixed design passes it, proven or exhaustively within bound 2.
/// </summary>
public sealed class HistoryTests
{
    /// <summary>Far more than any search here needs; a search that hits it fails the test rather than passing vacuously.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(5);

    /// <summary>What each variant's first failure is: the bug's symptom in the checker's words.</summary>
    public static TheoryData<int, FailureKind, string> Symptoms() => new()
    {
        { 1, FailureKind.EndCheck, "hole page at page 1 covers allocated blocks" },
        { 2, FailureKind.Deadlock, "asleep at get_unlocked_entry" },
        { 3, FailureKind.Deadlock, "PMD read fault: asleep at get_unlocked_entry" },
        { 4, FailureKind.Deadlock, "asleep at get_unlocked_entry" },
        { 5, FailureKind.EndCheck, "mapped writable but its entry is clean" },
        { 6, FailureKind.EndCheck, "mapped writable but its entry is clean" },
        { 7, FailureKind.Exception, "found a huge PMD mapped over its page table" },
        { 8, FailureKind.EndCheck, "leaking it" },
        { 9, FailureKind.EndCheck, "past" },
        { 11, FailureKind.EndCheck, "while device page 513 was pinned (get_user_pages)" },
        { 12, FailureKind.EndCheck, "mapping 0 shows 0x11 at file offset 0, expected 0x50" },
        { 13, FailureKind.EndCheck, "while device page 513 was pinned (get_user_pages)" },
        { 15, FailureKind.Deadlock, "write fault: asleep at wait_transaction_locked" },
        { 16, FailureKind.EndCheck, "" },
        { 19, FailureKind.StepLimit, "" },
        { 20, FailureKind.StepLimit, "" },
    };

    [Theory]
    [MemberData(nameof(Symptoms))]
    public void The_variant_fails_with_the_bugs_symptom(int number, FailureKind kind, string words)
    {
        var bug = HistoryCorpus.Bugs.Single(b => b.Number == number);
        var result = HistoryCheck.FindBug(bug, Budget);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(kind, failure.Kind);
        Assert.Contains(words, failure.Message + failure.Detail);
        // The failure replays exactly from its token, as the diagram's replay line promises.
        using var runner = new ScenarioRunner(bug.Scenario, bug.Variant);
        var replay = Explorer.Replay(runner.Build, failure.ReplayToken);
        Assert.Equal(kind, replay.Failure?.Kind);
    }

    /// <summary>
    /// The fix passes its bug's search: proven without a bound, or, for the three- and four-CPU
    /// scenarios that `daxlab history` searches within bound 2 (10,518 and 52,422 schedules on 2026-12-05),
    /// exhaustively within bound 1 here, which is enough to cover their variants' one-preemption
    /// failures (288 and 1,872 schedules).
    /// </summary>
    [Theory]
    [MemberData(nameof(Numbers))]
    public void The_fix_passes(int number)
    {
        var bug = HistoryCorpus.Bugs.Single(b => b.Number == number);
        var result = HistoryCheck.ProveFix(bug, Budget, bound: 1);
        Assert.True(result.Failures.Count == 0, string.Join("\n\n", result.Failures));
        Assert.True(bug.FixSearch == FixSearch.Proven ? result.Proven : result.Exhausted, result.Verdict);
    }

    [Fact]
    public void The_bounded_fixes_variants_fail_within_bound_1_as_the_tests_bound_covers()
    {
        Assert.All(HistoryCorpus.Bugs.Where(b => b.FixSearch == FixSearch.Bound2),
            bug => Assert.True(HistoryCheck.FindBug(bug, Budget).Failures.Single().Preemptions <= 1));
    }

    /// <summary>
    /// A variant searched without lockdep, so that its row shows the deadlock itself, is one that
    /// lockdep names first: the cycle is there before any schedule closes it.
    /// </summary>
    [Fact]
    public void A_variant_searched_without_lockdep_is_named_by_lockdep_first()
    {
        var bugs = HistoryCorpus.Bugs.Where(b => !b.LockDepOnVariant).ToList();
        Assert.NotEmpty(bugs);
        Assert.All(bugs, bug =>
        {
            using var runner = new ScenarioRunner(bug.Scenario, bug.Variant);
            var options = new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null, StopOnFailure: true, TimeBudget: Budget, LockOrder: true);
            var failure = Assert.Single(Explorer.Explore(runner.Build, options).Failures);
            Assert.Equal(FailureKind.LockOrder, failure.Kind);
            Assert.Contains("dax_entry_lock -> jbd2_handle -> dax_entry_lock", failure.Message);
        });
    }

    public static TheoryData<int> Numbers() => new(HistoryCorpus.Bugs.Select(b => b.Number));

    [Fact]
    public void Every_runnable_bug_has_its_symptom_pinned_and_the_corpus_has_ten_or_more_with_pending_rows_apart()
    {
        Assert.Equal(HistoryCorpus.Bugs.Select(b => b.Number).Order(), Symptoms().Select(row => (int)row[0]).Order());
        Assert.Empty(HistoryCorpus.Bugs.Select(b => b.Number).Intersect(HistoryCorpus.Pending.Select(p => p.Number)));
    }

    [Fact]
    public void The_variants_stay_out_of_the_default_matrix_and_its_designs_set_no_history_switch()
    {
        Assert.Empty(DesignCatalog.All.Intersect(DesignCatalog.Historical));
        Assert.All(DesignCatalog.All, d => Assert.Equal(HistorySwitches.None, d.Dax.History));
        Assert.All(HistoryCorpus.Bugs, b => Assert.NotEqual(b.Variant, b.Fixed));
        Assert.All(DesignCatalog.Historical, d => Assert.Same(d, DesignCatalog.Find(d.Name)));
    }

    [Fact]
    public void The_history_scenarios_stay_out_of_the_default_matrix()
    {
        Assert.Empty(BuiltInScenarios.All.Intersect(BuiltInScenarios.Historical));
        Assert.All(HistoryCorpus.Bugs, b => Assert.Contains(b.Scenario, BuiltInScenarios.Listed));
    }

    [Fact]
    public void Daxlab_designs_lists_the_variants_with_their_sources()
    {
        var (status, stdout, _) = Run("designs");
        Assert.Equal(0, status);
        Assert.All(DesignCatalog.Historical, d => Assert.Contains($"source: {d.Source}", stdout));
    }

    [Fact]
    public void Daxlab_history_of_one_bug_prints_its_row_its_diagram_and_the_pending_ones_and_exits_0()
    {
        var (status, stdout, stderr) = Run("history", "--bug", "9,10", "--diagrams");
        Assert.True(status == 0, stdout + stderr);
        Assert.Contains("957ac8c421ad", stdout);
        Assert.Contains("1 of 1 bugs found, 1 of 1 fixes pass", stdout);
        Assert.Contains("pending, not run and not counted as failures (1)", stdout);
        Assert.Contains("dax_iomap_pmd_fault", stdout);
        Assert.Contains("replay: daxlab check --replay v4.12:pmd-fault-on-empty-file:", stdout);
    }

    [Fact]
    public void Daxlab_history_json_says_found_and_fixed_per_bug_and_lists_the_pending_ones()
    {
        var (status, stdout, _) = Run("history", "--bug", "16,14", "--json");
        Assert.Equal(0, status);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.True(root.GetProperty("ok").GetBoolean());
        var bug = Assert.Single(root.GetProperty("bugs").EnumerateArray());
        Assert.Equal("17879e8f865f", bug.GetProperty("commit").GetString());
        Assert.True(bug.GetProperty("found").GetBoolean());
        Assert.True(bug.GetProperty("fixed").GetBoolean());
        Assert.True(bug.GetProperty("fixProven").GetBoolean());
        Assert.StartsWith("v4.12-17879e8f865f:pwrite-vs-overwrite:", bug.GetProperty("failure").GetProperty("replay").GetString());
        Assert.Equal(14, Assert.Single(root.GetProperty("pending").EnumerateArray()).GetProperty("number").GetInt32());
    }

    [Fact]
    public void Daxlab_history_help_prints_its_usage()
    {
        var (status, stdout, _) = Run("history", "--help");
        Assert.Equal(0, status);
        Assert.Contains("usage: daxlab history", stdout);
    }

    [Theory]
    [InlineData("--bug", "99")]
    [InlineData("--bug", "x")]
    [InlineData("--seconds", "0")]
    [InlineData("--frobnicate")]
    public void Bad_arguments_exit_2_with_the_usage(params string[] args)
    {
        var (status, _, stderr) = Run(["history", .. args]);
        Assert.Equal(2, status);
        Assert.Contains("usage: daxlab history", stderr);
    }

    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
