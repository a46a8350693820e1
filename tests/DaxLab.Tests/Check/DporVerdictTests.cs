using DaxLab.Checker;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;
using DaxLab.Designs;
using Xunit.Abstractions;

namespace DaxLab.Tests.Check;

/// <summary>
/// The unbounded search with DPOR, as `daxlab check` runs it (the engine's footprints trusted),
/// against the unreduced search within the bound of 2 on a representative subset of the matrix:
/// the same verdicts, and every failure the unreduced search finds. The whole matrix is compared
/// by `daxlab check --compare-reduction` (docs/checker.md).
/// </summary>
public class DporVerdictTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("v4.10", "write-vs-read-fault-4k")]
    [InlineData("v4.12", "write-vs-read-fault-4k")]
    [InlineData("ross-v1", "write-vs-read-fault-4k")]
    [InlineData("v4.12", "truncate-vs-fault")]
    [InlineData("v4.12", "pmd-fault-on-empty-file")]
    [InlineData("v4.12", "two-writers-extending")]
    [InlineData("mmap-sem", "pwrite-from-mapping-disjoint")]
    [InlineData("range-lock", "pread-vs-overwrite")]
    [InlineData("rw-entry-locks", "pread-into-mapping")]
    public void Dpor_without_a_bound_finds_what_the_unreduced_bounded_search_finds(string designName, string scenarioName)
    {
        using var runner = new ScenarioRunner(BuiltInScenarios.Find(scenarioName), DesignCatalog.Find(designName));
        var dpor = Explorer.Explore(runner.Build, CheckArguments.Parse([]).Explore);
        var unreduced = Explorer.Explore(runner.Build, new ExploreOptions(StrategyKind.Dfs, Reduction: false));
        output.WriteLine(dpor.ToString());
        output.WriteLine(unreduced.ToString());
        Assert.Equal(StopReason.Exhausted, dpor.Stop);
        Assert.Equal(StopReason.BoundExhausted, unreduced.Stop);
        Assert.Equal(unreduced.Failures.Count > 0, dpor.Failures.Count > 0);
        var found = dpor.Failures.Select(f => f.Message).ToHashSet();
        Assert.All(unreduced.Failures, f => Assert.Contains(f.Message, found));
        Assert.All(dpor.Failures, f => Assert.True(f.Preemptions <= (unreduced.Failures.FirstOrDefault(u => u.Message == f.Message)?.Preemptions ?? int.MaxValue)));
        foreach (var failure in dpor.Failures)
            Assert.Equal(failure.Trace, Explorer.Replay(runner.Build, failure.ReplayToken).Trace);
    }
}
