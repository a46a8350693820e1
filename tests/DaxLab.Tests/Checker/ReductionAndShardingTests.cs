using DaxLab.Checker;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Checker;

public class ReductionAndShardingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 3)]
    [InlineData(null, 2)]
    public void Sleep_sets_explore_fewer_schedules_of_independent_steps_with_the_same_verdict(int? bound, int steps)
    {
        Func<Seam, RunSetup> independent = seam => Toys.Independent(seam, cpus: 3, steps, resources: 3);
        var reduced = Explorer.Explore(independent, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: bound));
        var full = Explorer.Explore(independent, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: bound, Reduction: false));
        output.WriteLine(reduced.ToString());
        output.WriteLine(full.ToString());
        Assert.True(reduced.Exhausted && full.Exhausted);
        Assert.True(reduced.Schedules < full.Schedules);
        Assert.Empty(reduced.Failures);
        Assert.Empty(full.Failures);
    }

    [Fact]
    public void Sleep_sets_keep_the_verdict_on_dependent_steps()
    {
        Func<Seam, RunSetup> racy = seam => Toys.Counter(seam, locked: false, cpus: 3);
        var reduced = Explorer.Explore(racy, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null));
        var full = Explorer.Explore(racy, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: null, Reduction: false));
        output.WriteLine(reduced.ToString());
        output.WriteLine(full.ToString());
        Assert.True(reduced.Schedules < full.Schedules);
        Assert.Equal(full.Failures.Select(f => f.Message).Order(), reduced.Failures.Select(f => f.Message).Order());
    }

    [Fact]
    public void Trusting_empty_footprints_reduces_further_when_declarations_are_complete()
    {
        Func<Seam, RunSetup> locked = seam => Toys.Counter(seam, locked: true, cpus: 3);
        var conservative = Explorer.Explore(locked, new ExploreOptions(StrategyKind.Dfs));
        var trusting = Explorer.Explore(locked, new ExploreOptions(StrategyKind.Dfs, TrustEmptyFootprints: true));
        output.WriteLine(conservative.ToString());
        output.WriteLine(trusting.ToString());
        Assert.True(trusting.Schedules < conservative.Schedules, $"{trusting.Schedules} trusting vs {conservative.Schedules} conservative");
        Assert.True(trusting.Exhausted);
        Assert.Empty(trusting.Failures);
    }

    [Theory]
    [InlineData(2, true, false)]
    [InlineData(3, true, false)]
    [InlineData(2, false, false)]
    [InlineData(3, false, false)]
    [InlineData(2, true, true)]
    [InlineData(3, true, true)]
    public void Shard_counts_add_up_to_the_unsharded_count(int shards, bool reduction, bool independent)
    {
        // The racy counter finds failures but prunes nothing; independent steps prune, so the
        // pruned counts are summed over something.
        Func<Seam, RunSetup> racy = independent
            ? seam => Toys.Independent(seam, 3, 3, 3)
            : seam => Toys.Counter(seam, locked: false, cpus: 3);
        var whole = Explorer.Explore(racy, new ExploreOptions(StrategyKind.Dfs, Reduction: reduction));
        var parts = Enumerable.Range(1, shards)
            .Select(i => Explorer.Explore(racy, new ExploreOptions(StrategyKind.Dfs, Reduction: reduction, Shard: (i, shards))))
            .ToArray();
        foreach (var part in parts)
            output.WriteLine(part.ToString());
        output.WriteLine(whole.ToString());
        Assert.Equal(whole.Schedules, parts.Sum(p => p.Schedules));
        Assert.Equal(whole.PrunedSchedules, parts.Sum(p => p.PrunedSchedules));
        Assert.True(!independent || whole.PrunedSchedules > 0, "the independent program should prune");
        Assert.All(parts, p => Assert.True(p.Exhausted && p.Schedules > 0));
        Assert.Equal(whole.Failures.Select(f => f.Message).Order(), parts.SelectMany(p => p.Failures).Select(f => f.Message).Distinct().Order());
    }

    [Fact]
    public void Shards_parse_from_the_command_line_form()
    {
        Assert.Equal((2, 3), ExploreOptions.ParseShard("2/3"));
        Assert.Throws<ArgumentException>(() => ExploreOptions.ParseShard("0/3"));
        Assert.Throws<FormatException>(() => ExploreOptions.ParseShard("2-3"));
    }
}
