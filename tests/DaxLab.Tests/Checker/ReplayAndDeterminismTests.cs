using DaxLab.Checker;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

public class ReplayAndDeterminismTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(StrategyKind.Dfs)]
    [InlineData(StrategyKind.Pct)]
    [InlineData(StrategyKind.Random)]
    public void Replaying_a_failure_token_reproduces_the_failure_and_its_trace(StrategyKind strategy)
    {
        Func<Seam, RunSetup> factory = seam => Toys.Counter(seam, locked: false, cpus: 3);
        var result = Explorer.Explore(factory, new ExploreOptions(strategy, Seed: 3, MaxSchedules: 300));
        Assert.NotEmpty(result.Failures);
        foreach (var failure in result.Failures)
        {
            var replay = Explorer.Replay(factory, failure.ReplayToken);
            Assert.Equal(failure.Message, replay.Failure?.Message);
            Assert.Equal(failure.Trace, replay.Trace);
            Assert.Equal(failure.Preemptions, replay.Preemptions);
        }
    }

    [Fact]
    public void Replaying_a_deadlock_reproduces_the_report()
    {
        var failure = Assert.Single(Explorer.Explore(Toys.AbBaSpinlocks, new ExploreOptions(StrategyKind.Dfs)).Failures, f => f.Kind == FailureKind.Deadlock);
        var replay = Explorer.Replay(Toys.AbBaSpinlocks, failure.ReplayToken);
        Assert.Equal(failure.Message, replay.Failure?.Message);
        Assert.Equal(failure.Trace, replay.Trace);
    }

    [Theory]
    [InlineData(StrategyKind.Pct)]
    [InlineData(StrategyKind.Random)]
    public void The_same_seed_gives_the_same_results(StrategyKind strategy)
    {
        ExploreResult Search(long seed) => Explorer.Explore(seam => Toys.Counter(seam, locked: false, cpus: 3),
            new ExploreOptions(strategy, Seed: seed, MaxSchedules: 100));
        var (first, second, other) = (Search(7), Search(7), Search(8));
        Assert.Equal(first.Failures.Select(f => f.ReplayToken), second.Failures.Select(f => f.ReplayToken));
        Assert.NotEqual(first.Failures.Select(f => f.ReplayToken), other.Failures.Select(f => f.ReplayToken));
    }

    [Fact]
    public void A_token_replayed_against_a_scenario_that_behaves_differently_is_refused()
    {
        var failure = Explorer.Explore(seam => Toys.Counter(seam, locked: false), new ExploreOptions(StrategyKind.Dfs)).Failures[0];
        Func<Seam, RunSetup> locked = seam => Toys.Counter(seam, locked: true);
        var error = Assert.Throws<InvalidOperationException>(() => Explorer.Replay(locked, failure.ReplayToken));
        output.WriteLine(error.Message);
        Assert.StartsWith("replay diverged", error.Message);
    }

    [Fact]
    public void A_scenario_that_depends_on_state_kept_between_runs_is_reported_as_nondeterministic()
    {
        int runs = 0;
        RunSetup Drifting(Seam seam)
        {
            bool extraPoint = ++runs % 2 == 0;
            return new RunSetup([
                new CpuBody("CPU1 - drifts", () => { if (extraPoint) seam.Point("extra"); seam.Point("p"); }),
                new CpuBody("CPU2 - steady", () => seam.Point("q")),
            ]);
        }
        var error = Assert.Throws<InvalidOperationException>(() => Explorer.Explore(Drifting, new ExploreOptions(StrategyKind.Dfs)));
        Assert.Contains("not deterministic", error.Message);
    }

    [Fact]
    public void Malformed_tokens_are_rejected_with_a_reason()
    {
        Assert.Throws<FormatException>(() => ReplayToken.Decode("not a token!"));
        Assert.Throws<FormatException>(() => ReplayToken.Decode("AgA"));
        // Version 1, DFS, seed 0, then a step count of 2^35: a number, but beyond any run.
        Assert.Contains("beyond any run", Assert.Throws<FormatException>(() => ReplayToken.Decode("AQAAgICAgIAB")).Message);
    }

    [Fact]
    public void The_diagram_puts_each_step_in_its_cpus_column_and_the_json_carries_the_same_steps()
    {
        var failure = Assert.Single(Explorer.Explore(seam => Toys.Counter(seam, locked: false), new ExploreOptions(StrategyKind.Dfs)).Failures);
        string diagram = Diagram.Render(failure);
        output.WriteLine(diagram);
        var lines = diagram.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int column2 = lines[0].IndexOf("CPU2 - inc", StringComparison.Ordinal);
        Assert.StartsWith("CPU1 - inc", lines[0]);
        Assert.True(column2 > "CPU1 - inc".Length);
        Assert.Contains(lines, l => l.StartsWith("  reads 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Length > column2 && l[..column2].Trim().Length == 0 && l[column2..].StartsWith("  reads 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[preempts]", StringComparison.Ordinal));
        var json = System.Text.Json.JsonDocument.Parse(Diagram.ToJson(failure)).RootElement;
        Assert.Equal(failure.ReplayToken, json.GetProperty("replayToken").GetString());
        Assert.Equal(failure.Trace.Count, json.GetProperty("steps").GetArrayLength());
        Assert.Equal("CPU2 - inc", json.GetProperty("cpus")[1].GetString());
    }
}
