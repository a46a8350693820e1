using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>
/// The happens-before order of one run and its races, what source-set DPOR reads (Abdulla,
/// Aronis, Jonsson and Sagonas, "Optimal dynamic partial order reduction", POPL 2014).
/// </summary>
/// <remarks>
/// Step k happens before step l (k →hb l) when k precedes l on the same CPU, or k precedes l
/// and their footprints conflict (a common resource, one writes it), or through a chain of such
/// steps. Within one run resource numbers are exact, so the footprints compare exactly (unlike
/// the sleep sets', which compare steps of different runs, see <see cref="Footprint"/>). Each
/// step gets a vector clock: clock[c] is how many steps of CPU c happen before it or are it.
/// Conflicts are found per resource, from its last writer and the readers since, which are the
/// only conflicting steps not already ordered before the step through each other.
/// A step that declared nothing conflicts with every step unless empty footprints are trusted:
/// it writes a pseudo-resource every other step reads.
/// Two steps race (k ⋖ l) when they are of different CPUs, conflict, and k happens before l
/// only through that conflict: no other step is between them in the order.
/// </remarks>
internal sealed class HappensBefore
{
    /// <summary>The pseudo-resource an untrusted empty footprint writes and every other step reads.</summary>
    private const int Anything = -1;

    private readonly int[] cpuOf;
    /// <summary>A step's index among its CPU's steps.</summary>
    private readonly int[] localOf;
    private readonly int[][] clocks;
    private readonly List<(int Earlier, int Later)> races = [];

    private sealed class Frontier
    {
        public int LastWrite = -1;
        public readonly List<int> ReadsSince = [];
    }

    /// <summary>Orders the run's steps and lists the races whose later step is at <paramref name="firstNew"/> or after.</summary>
    public HappensBefore(IReadOnlyList<TraceEvent> trace, IReadOnlyList<Footprint> footprints, int cpuCount, bool trustEmpty, int firstNew)
    {
        Invariant.Holds(trace.Count == footprints.Count, "every step has its footprint");
        cpuOf = new int[trace.Count];
        localOf = new int[trace.Count];
        clocks = new int[trace.Count][];
        var lastOfCpu = Enumerable.Repeat(-1, cpuCount).ToArray();
        var frontiers = new Dictionary<int, Frontier>();
        var conflicts = new List<int>();
        for (int step = 0; step < trace.Count; step++)
        {
            int cpu = trace[step].Cpu;
            int previous = lastOfCpu[cpu];
            cpuOf[step] = cpu;
            localOf[step] = previous < 0 ? 0 : localOf[previous] + 1;
            conflicts.Clear();
            ConflictsOf(step, footprints[step], trustEmpty, frontiers, conflicts);
            clocks[step] = Join(previous, conflicts, cpuCount);
            clocks[step][cpu] = localOf[step] + 1;
            if (step >= firstNew)
                AddRaces(step, previous, conflicts);
            lastOfCpu[cpu] = step;
        }
    }

    /// <summary>The races k ⋖ l found, l at or after the first new step, in the order of l.</summary>
    public IReadOnlyList<(int Earlier, int Later)> Races => races;

    public int CpuOf(int step) => cpuOf[step];

    /// <summary>
    /// The initials of notdep(e).e' for the race e ⋖ e' (steps <paramref name="earlier"/>,
    /// <paramref name="later"/>): the steps after e that do not happen after it, followed by e',
    /// and of those the CPUs whose first step there has no predecessor there. Running one of them
    /// right before e starts a run that reverses the race.
    /// </summary>
    public List<int> Initials(int earlier, int later)
    {
        int cpuCount = clocks[later].Length;
        var firstOf = Enumerable.Repeat(-1, cpuCount).ToArray();
        var initials = new List<int>();
        for (int step = earlier + 1; step < later; step++)
        {
            if (Before(earlier, step) || firstOf[cpuOf[step]] >= 0)
                continue;
            if (!AfterAnyOf(step, firstOf))
                initials.Add(cpuOf[step]);
            firstOf[cpuOf[step]] = step;
        }
        if (firstOf[cpuOf[later]] < 0 && !AfterAnyOf(later, firstOf))
            initials.Add(cpuOf[later]);
        return initials;
    }

    /// <summary>Whether step <paramref name="k"/> happens before step <paramref name="l"/> (k &lt; l).</summary>
    private bool Before(int k, int l) => clocks[l][cpuOf[k]] > localOf[k];

    /// <summary>Whether some step of <paramref name="firstOf"/> (a CPU's first step in notdep) happens before <paramref name="step"/>.</summary>
    private bool AfterAnyOf(int step, int[] firstOf)
    {
        foreach (int first in firstOf)
        {
            if (first >= 0 && Before(first, step))
                return true;
        }
        return false;
    }

    /// <summary>The earlier steps a step conflicts with and that are not ordered before it through each other; updates the frontiers.</summary>
    private static void ConflictsOf(int step, Footprint footprint, bool trustEmpty, Dictionary<int, Frontier> frontiers, List<int> conflicts)
    {
        foreach (var (resource, write) in footprint.Accesses)
            Touch(step, resource, write, frontiers, conflicts);
        if (!trustEmpty)
            Touch(step, Anything, write: footprint.IsEmpty, frontiers, conflicts);
    }

    private static void Touch(int step, int resource, bool write, Dictionary<int, Frontier> frontiers, List<int> conflicts)
    {
        if (!frontiers.TryGetValue(resource, out var frontier))
            frontiers.Add(resource, frontier = new Frontier());
        if (frontier.LastWrite >= 0 && !conflicts.Contains(frontier.LastWrite))
            conflicts.Add(frontier.LastWrite);
        if (!write)
        {
            frontier.ReadsSince.Add(step);
            return;
        }
        foreach (int reader in frontier.ReadsSince)
        {
            if (!conflicts.Contains(reader))
                conflicts.Add(reader);
        }
        frontier.ReadsSince.Clear();
        frontier.LastWrite = step;
    }

    private int[] Join(int previous, List<int> conflicts, int cpuCount)
    {
        var clock = previous >= 0 ? (int[])clocks[previous].Clone() : new int[cpuCount];
        foreach (int other in conflicts)
        {
            for (int c = 0; c < cpuCount; c++)
                clock[c] = Math.Max(clock[c], clocks[other][c]);
        }
        return clock;
    }

    /// <summary>A conflicting step of another CPU races with this one unless it happens before one of the step's other predecessors.</summary>
    private void AddRaces(int step, int previous, List<int> conflicts)
    {
        foreach (int candidate in conflicts)
        {
            if (cpuOf[candidate] == cpuOf[step])
                continue;
            bool throughAnother = (previous >= 0 && Before(candidate, previous))
                || conflicts.Exists(other => other != candidate && other > candidate && Before(candidate, other));
            if (!throughAnother)
                races.Add((candidate, step));
        }
    }
}
