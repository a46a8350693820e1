using DaxLab.Checker;
using DaxLab.Scenarios;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.Check;

/// <summary>
/// The scenario clock's footprints (<see cref="OperationClock"/>): the search keeps every order
/// of a start and another CPU's end, the real-time order the oracles judge, and no other.
/// </summary>
public class OperationClockTests(ITestOutputHelper output)
{
    /// <summary>The unbounded pass alone, trusting declared footprints as `daxlab check` does.</summary>
    private static readonly ExploreOptions Dpor = new(StrategyKind.Dfs, PreemptionBound: null, TrustEmptyFootprints: true, FirstPassesBound: null);

    /// <summary>
    /// Two CPUs, one operation each: a start stamp, a scheduling point, an end stamp, nothing else
    /// shared. The end check fails when CPU2's operation ended before CPU1's began: a failure that
    /// only the stamps' order shows, as "write(2) returned, then the load saw zeros" is, and one
    /// the first run (CPU1 to its end, then CPU2) does not have, so a reversal must find it.
    /// </summary>
    private static RunSetup Intervals(Seam seam, ISet<string> relations)
    {
        var clock = new OperationClock(seam);
        var stamps = new (long Start, long End)[2];
        CpuBody Operation(int cpu) => new($"CPU{cpu + 1} - op", () =>
        {
            long start = clock.Start(cpu);
            seam.Point("op");
            stamps[cpu] = (start, clock.End(cpu));
        });
        return new RunSetup([Operation(0), Operation(1)], () =>
        {
            var (first, second) = (stamps[0], stamps[1]);
            string relation = first.End < second.Start ? "CPU1 before CPU2" : second.End < first.Start ? "CPU2 before CPU1" : "overlap";
            relations.Add(relation);
            return relation == "CPU2 before CPU1" ? "CPU2's operation ended before CPU1's began" : null;
        });
    }

    private (ExploreResult Result, int Complete, HashSet<string> Relations) Search(ExploreOptions options)
    {
        var relations = new HashSet<string>();
        int complete = 0;
        var result = Explorer.Explore(seam => Intervals(seam, relations), options, run => complete += run.Pruned ? 0 : 1);
        output.WriteLine($"{result}; {complete} complete runs; {string.Join(", ", relations.Order())}");
        return (result, complete, relations);
    }

    [Fact]
    public void Every_order_of_a_start_and_another_CPUs_end_is_explored_and_no_other()
    {
        var dpor = Search(Dpor);
        var full = Search(Dpor with { Reduction = false });
        string[] all = ["CPU1 before CPU2", "CPU2 before CPU1", "overlap"];
        Assert.Equal(StopReason.Exhausted, dpor.Result.Stop);
        Assert.Equal(StopReason.Exhausted, full.Result.Stop);
        // Four steps, two per CPU: 6 interleavings, 3 classes (the four where both start before
        // either ends are one: starts commute with starts, ends with ends).
        Assert.Equal(6, full.Complete);
        Assert.Equal(3, dpor.Complete);
        Assert.Equal(all, dpor.Relations.Order());
        Assert.Equal(all, full.Relations.Order());
        Assert.Equal(["end check: CPU2's operation ended before CPU1's began"], dpor.Result.Failures.Select(f => f.Message));
        Assert.Equal(full.Result.Failures.Select(f => f.Message), dpor.Result.Failures.Select(f => f.Message));
    }
}
