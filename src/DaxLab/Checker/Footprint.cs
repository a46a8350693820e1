using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>
/// The resources one step read or wrote (declared through <see cref="Sync.IScheduler.Access"/>,
/// and the channels it blocked on or woke), which partial-order reduction compares.
/// </summary>
/// <remarks>
/// Every run builds its state afresh, so a resource is named by its run-local number: the order
/// of its first access in the run (<see cref="ScheduledRun"/>). The DFS compares a footprint
/// recorded in an earlier run only with steps of a later run that shares the earlier run's
/// prefix up to the step's start; resources numbered below <see cref="Horizon"/> (those first
/// touched in that prefix) therefore have the same numbers in both runs. Numbers from the
/// horizon up name resources first touched later, which may differ between the runs: any two
/// of them are assumed to be the same resource.
/// </remarks>
internal sealed class Footprint(int horizon)
{
    /// <summary>Resource number → written.</summary>
    private readonly Dictionary<int, bool> accesses = [];

    /// <summary>How many resources the run had numbered when the step started.</summary>
    public int Horizon { get; } = horizon;

    public bool IsEmpty => accesses.Count == 0;

    /// <summary>The run-local resource numbers and whether each was written: exact within the run that recorded them.</summary>
    public IEnumerable<KeyValuePair<int, bool>> Accesses => accesses;

    public void Add(int resource, bool write)
    {
        accesses[resource] = write || (accesses.TryGetValue(resource, out bool wrote) && wrote);
    }

    /// <summary>
    /// Whether a step recorded in an earlier run (<paramref name="sleeping"/>) and a step taken
    /// after it in a later run sharing its prefix (<paramref name="taken"/>) may not commute:
    /// they touch a common resource and one writes it. A step that declared nothing may have
    /// touched anything undeclared, so it conflicts with every step unless the program vouches
    /// for its declarations (<paramref name="trustEmpty"/>).
    /// </summary>
    public static bool Dependent(Footprint sleeping, Footprint taken, bool trustEmpty)
    {
        Invariant.Holds(sleeping.Horizon <= taken.Horizon, "the taken step runs after the sleeping step's start");
        if (sleeping.IsEmpty || taken.IsEmpty)
            return !trustEmpty;
        foreach (var (resource, write) in sleeping.accesses)
        {
            if (resource < sleeping.Horizon)
            {
                if (taken.accesses.TryGetValue(resource, out bool otherWrite) && (write || otherWrite))
                    return true;
            }
            else if (TouchesFresh(taken, sleeping.Horizon, needWrite: !write))
                return true;
        }
        return false;
    }

    /// <summary>Whether the step touches a resource numbered from <paramref name="horizon"/> up (writes it, if <paramref name="needWrite"/>).</summary>
    private static bool TouchesFresh(Footprint step, int horizon, bool needWrite)
    {
        foreach (var (resource, write) in step.accesses)
        {
            if (resource >= horizon && (write || !needWrite))
                return true;
        }
        return false;
    }
}
