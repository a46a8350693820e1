namespace DaxLab.Checker;

/// <summary>Every bound the checker puts on a run or a search, each with its reason.</summary>
public static class Limits
{
    /// <summary>
    /// CPUs in one scenario. Schedules grow exponentially with the CPU count, so a race worth
    /// checking needs two or three; eight leaves room and keeps a choice in one token byte.
    /// </summary>
    public const int MaxCpus = 8;

    /// <summary>
    /// Steps (scheduling decisions) in one run. A DaxLab scenario takes hundreds; a run that
    /// takes far more is spinning: a re-check loop that reschedules instead of blocking.
    /// </summary>
    public const int DefaultMaxStepsPerRun = 20_000;

    /// <summary>
    /// Preemptions per schedule in DFS. Most concurrency bugs need at most two
    /// (Musuvathi and Qadeer, PLDI 2007), and the schedule count grows polynomially with it.
    /// </summary>
    public const int DefaultPreemptionBound = 2;

    /// <summary>PCT depth: d = 3 finds every bug of depth at most 3 with probability at least 1/(n k^2) per run.</summary>
    public const int DefaultPctDepth = 3;

    /// <summary>Runs per search unless told otherwise: minutes of work for a two-CPU engine scenario.</summary>
    public const long DefaultMaxSchedules = 100_000;

    /// <summary>
    /// Sharding splits the DFS tree at the depth where it has about this many subtrees per shard,
    /// so shards stay balanced when subtrees differ in size.
    /// </summary>
    public const int ShardSubtreesPerShard = 8;

    /// <summary>
    /// Scheduling points a lock-order report shows for each acquisition, innermost first: enough
    /// to see the system call or fault and the kernel functions down to the lock, as a lockdep
    /// stack trace does, without the whole run.
    /// </summary>
    public const int LockOrderCallPath = 8;

    /// <summary>Shards of one search: more would split below the tree's first branching levels.</summary>
    public const int MaxShards = 1024;
}
