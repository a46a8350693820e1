using DaxLab.Checker;
using DaxLab.Sync;

namespace DaxLab.Tests.Checker;

/// <summary>RunSetup.AfterStep: the seam a tool uses to look at a run's state between steps.</summary>
public class AfterStepHookTests
{
    /// <summary>
    /// Two CPUs each add 1 to a counter twice, a scheduling point between the adds. The hook
    /// must run once per step, with the steps counted so far, and see every step's effect:
    /// the counter it reads equals the adds the trace says have run.
    /// </summary>
    [Fact]
    public void The_hook_sees_each_step_once_with_its_effect_and_no_CPU_running()
    {
        var seen = new List<(int Steps, int Counter)>();
        RunSetup Factory(Seam seam)
        {
            int counter = 0;
            void Body()
            {
                counter++;
                seam.Point("between");
                counter++;
            }
            seen.Clear();
            // Every run "fails", so that the search hands back a trace and a token to replay.
            return new RunSetup([new CpuBody("CPU1", Body), new CpuBody("CPU2", Body)], () => "show me")
            {
                AfterStep = steps => seen.Add((steps, counter)),
            };
        }
        var failure = Explorer.Explore(Factory, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: 1, StopOnFailure: true)).Failures.Single();
        var again = Explorer.Replay(Factory, failure.ReplayToken);

        Assert.Equal(4, again.Trace.Count);
        Assert.Equal(Enumerable.Range(1, again.Trace.Count), seen.Select(s => s.Steps));
        // A CPU's first step makes one add, its second the other: 1, 2, 3, 4 in any order of CPUs.
        Assert.Equal([1, 2, 3, 4], seen.Select(s => s.Counter));
    }
}
