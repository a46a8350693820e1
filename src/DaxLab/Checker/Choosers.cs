using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>Random walk: a uniform choice among the enabled CPUs at every decision.</summary>
internal sealed class RandomChooser(SplitMix64 rng) : IChooser
{
    private SplitMix64 rng = rng;

    public int Choose(in Decision decision) => decision.Enabled[rng.Below(decision.Enabled.Count)];
}

/// <summary>
/// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): the CPUs get random distinct
/// priorities d .. d+n-1; the highest-priority enabled CPU always runs; at d-1 change points,
/// drawn uniformly over the expected run length k, the CPU that just ran drops to priority
/// i &lt; d (change point i). A bug of depth d shows with probability at least 1/(n k^(d-1)) per run.
/// </summary>
internal sealed class PctChooser : IChooser
{
    private readonly int depth;
    private readonly int expectedSteps;
    private SplitMix64 rng;
    private int[] priorities = [];
    private int[] changeSteps = [];

    /// <param name="expectedSteps">k, the estimated steps per run; change points fall in [1, k].</param>
    public PctChooser(SplitMix64 rng, int depth, int expectedSteps)
    {
        Invariant.Holds(depth >= 1 && expectedSteps >= 1);
        this.rng = rng;
        this.depth = depth;
        this.expectedSteps = expectedSteps;
    }

    public int Choose(in Decision decision)
    {
        if (decision.Index == 0)
            Start(decision.CpuCount);
        LowerAtChangePoint(decision);
        int best = decision.Enabled[0];
        foreach (int cpu in decision.Enabled)
        {
            if (priorities[cpu] > priorities[best])
                best = cpu;
        }
        return best;
    }

    /// <summary>Draws the initial priorities (a random permutation of d .. d+n-1) and the change points.</summary>
    private void Start(int cpuCount)
    {
        priorities = new int[cpuCount];
        for (int i = 0; i < cpuCount; i++)
            priorities[i] = depth + i;
        for (int i = cpuCount - 1; i > 0; i--)
        {
            int j = rng.Below(i + 1);
            (priorities[i], priorities[j]) = (priorities[j], priorities[i]);
        }
        changeSteps = new int[depth - 1];
        for (int i = 0; i < changeSteps.Length; i++)
            changeSteps[i] = 1 + rng.Below(expectedSteps);
    }

    /// <summary>At change point i (1-based) the CPU that ran the last step drops below every initial priority.</summary>
    private void LowerAtChangePoint(in Decision decision)
    {
        if (decision.Current < 0)
            return;
        for (int i = 0; i < changeSteps.Length; i++)
        {
            if (changeSteps[i] == decision.Index)
                priorities[decision.Current] = i + 1;
        }
    }
}

/// <summary>Follows a decoded replay token; any departure means the scenario is not deterministic.</summary>
internal sealed class ReplayChooser(ReplayToken.Schedule schedule) : IChooser
{
    private int next;

    public int Choose(in Decision decision)
    {
        if (decision.Enabled.Count == 1)
            return decision.Enabled[0];
        if (next == schedule.Choices.Count)
            throw Diverged(decision, "the token has no choice left");
        int cpu = schedule.Choices[next++];
        if (!decision.Enabled.Contains(cpu))
            throw Diverged(decision, $"the token chooses CPU {cpu}");
        return cpu;
    }

    /// <summary>Checks that the run used the whole token and took as many steps as the original.</summary>
    public void CheckComplete(RunResult run)
    {
        if (next != schedule.Choices.Count || run.Trace.Count != schedule.Steps)
            throw new InvalidOperationException(
                $"replay diverged: the original took {schedule.Steps} steps and {schedule.Choices.Count} choices, the replay "
                + $"{run.Trace.Count} and {next}. {NondeterminismAdvice}");
    }

    private static InvalidOperationException Diverged(in Decision decision, string what) =>
        new($"replay diverged at step {decision.Index}: {what} but CPUs [{string.Join(", ", decision.Enabled)}] are enabled. {NondeterminismAdvice}");

    private const string NondeterminismAdvice =
        "Either the token belongs to another scenario, or the scenario depends on something outside the seam "
        + "(time, unseeded randomness, hash order of objects, its own threads).";
}
