using DaxLab.Base;

namespace DaxLab.Checker;

/// <summary>
/// Stateless exhaustive search (Godefroid's VeriSoft; CHESS): the tree of schedules is kept as
/// a stack of decision nodes and every schedule re-executes the scenario from scratch, replaying
/// the stack's prefix and extending it. Schedules with more preemptions than the bound are not
/// explored; with reduction on, sleep sets skip schedules equivalent to explored ones, and an
/// unbounded search explores only the choices dynamic partial-order reduction asks for.
/// </summary>
/// <remarks>
/// Sleep sets (Godefroid, LNCS 1032, 1996): once the subtree after CPU p's step from a node is
/// explored, p sleeps in the node's later subtrees until a step dependent on p's step runs. A
/// run where every enabled CPU sleeps only reorders independent steps of an explored run and is
/// abandoned. Dependence is <see cref="Footprint.Dependent"/> on the recorded step footprints.
/// Source-set DPOR (Abdulla, Aronis, Jonsson and Sagonas, POPL 2014, Algorithm 1): a node
/// explores one CPU at first; after every run each race e ⋖ e' of the run (<see cref="HappensBefore"/>)
/// adds to the node before e an initial of notdep(e).e' unless one is already in its backtrack
/// set or asleep there. With sleep sets this explores at least one run of every Mazurkiewicz
/// trace. It is used only without a preemption bound: a reversal may need more preemptions than
/// the bound allows, and bounded DPOR needs other machinery (Coons, Musuvathi and McKinley,
/// OOPSLA 2013), and only unsharded: backtrack points come from the subtrees below a node, which
/// are other shards' work.
/// Sharding: the subtrees rooted at the nodes with <see cref="shardLevel"/> branching nodes above
/// them (and the runs that end above that level) are numbered in DFS order and dealt round-robin;
/// every shard walks the levels above identically and skips the units that are not its own.
/// </remarks>
internal sealed class DfsSearch : IChooser
{
    private sealed class Node(Decision decision)
    {
        public readonly int[] Enabled = [.. decision.Enabled];
        public readonly string[] Points = [.. decision.Points];
        public readonly int Current = decision.Current;
        public readonly bool CurrentRunnable = decision.CurrentRunnable;
        public readonly int PreemptionsBefore = decision.Preemptions;
        /// <summary>Sleeping CPUs with the footprint of the step each would take from here.</summary>
        public readonly List<(int Cpu, Footprint Footprint)> Sleep = [];
        public readonly List<int> Done = [];
        /// <summary>DPOR: the CPUs this node must explore (a bit per CPU); every enabled CPU without DPOR.</summary>
        public int Backtrack;
        /// <summary>The CPU whose step the current run takes from here; -1 when the run stopped here.</summary>
        public int Choice = -1;
        public Footprint? ChoiceFootprint;
        public bool Branching;
        public int BranchingAbove;
        /// <summary>A shard unit's root that belongs to another shard.</summary>
        public bool Skipped;
        public bool UnitRoot;

        public bool IsPreemption(int cpu) => CurrentRunnable && cpu != Current;
    }

    private readonly List<Node> stack = [];
    private readonly int? bound;
    private readonly bool reduction;
    private readonly bool trustEmpty;
    private readonly bool dpor;
    private readonly (int Index, int Count)? shard;
    private readonly int shardLevel;
    private long units;
    /// <summary>The first step the current run took off the previous run's path: races ending earlier were seen then.</summary>
    private int firstNew;
    /// <summary>The resources the first run's setup numbered; every run's must be as many.</summary>
    private int? setupResources;

    public DfsSearch(int? bound, bool reduction, bool trustEmpty, (int Index, int Count)? shard)
    {
        this.bound = bound;
        this.reduction = reduction;
        this.trustEmpty = trustEmpty;
        this.shard = shard;
        dpor = UsesDpor(bound, reduction, shard);
        shardLevel = shard is { } s ? (int)Math.Ceiling(Math.Log2(Limits.ShardSubtreesPerShard * s.Count)) : 0;
    }

    /// <summary>Whether a search with these options reduces with DPOR: with reduction, unbounded and unsharded (see the class remarks).</summary>
    public static bool UsesDpor(int? bound, bool reduction, (int Index, int Count)? shard) =>
        reduction && bound is null && shard is null;

    public int Choose(in Decision decision)
    {
        if (decision.Index == 1)
            CheckSetupResources(decision.Footprints[0].Horizon);
        if (decision.Index < stack.Count)
            return Replay(stack[decision.Index], decision);
        Invariant.Holds(decision.Index == stack.Count);
        var node = NewNode(decision);
        stack.Add(node);
        if (node.UnitRoot && !Mine(units++))
        {
            node.Skipped = true;
            return IChooser.Prune;
        }
        node.Choice = NextCandidate(node);
        return node.Choice >= 0 ? node.Choice : IChooser.Prune;
    }

    /// <summary>Whether a finished run belongs to this shard (and so is counted and reported).</summary>
    public bool Owns(RunResult run)
    {
        Invariant.Holds(stack.Count >= run.Trace.Count);
        if (shard is null)
            return true;
        foreach (var node in stack)
        {
            if (node.UnitRoot)
                return !node.Skipped;
        }
        return Mine(units++);
    }

    /// <summary>Moves to the next schedule after <paramref name="run"/>; false when the tree is exhausted.</summary>
    public bool Backtrack(RunResult run)
    {
        for (int i = 0; i < run.Footprints.Count; i++)
            stack[i].ChoiceFootprint = run.Footprints[i];
        if (dpor)
            AddBacktrackPoints(run);
        while (stack.Count > 0)
        {
            var node = stack[^1];
            if (node.Choice >= 0 && !node.Skipped)
            {
                Invariant.Holds(node.ChoiceFootprint is not null, "every chosen step ran");
                node.Done.Add(node.Choice);
                if (reduction)
                    node.Sleep.Add((node.Choice, node.ChoiceFootprint));
                node.Choice = NextCandidate(node);
                if (node.Choice >= 0)
                {
                    firstNew = stack.Count - 1;
                    return true;
                }
            }
            stack.RemoveAt(stack.Count - 1);
        }
        return false;
    }

    /// <summary>
    /// Source-set DPOR's step: for every race e ⋖ e' of the run whose e' is new, the node before
    /// e must explore an initial of notdep(e).e', the steps that reverse the race. A run a sleep
    /// set cut short has its races too.
    /// </summary>
    private void AddBacktrackPoints(RunResult run)
    {
        var order = new HappensBefore(run.Trace, run.Footprints, Limits.MaxCpus, trustEmpty, firstNew);
        foreach (var (earlier, later) in order.Races)
        {
            var node = stack[earlier];
            var initials = order.Initials(earlier, later);
            if (initials.Exists(cpu => (node.Backtrack & Bit(cpu)) != 0 || node.Sleep.Exists(s => s.Cpu == cpu)))
                continue;
            if (initials.Exists(cpu => Array.IndexOf(node.Enabled, cpu) >= 0))
                node.Backtrack |= Bit(Preferred(node, initials));
            else if (!IsWakeUp(node, initials, order.CpuOf(later)))
                node.Backtrack |= EveryCpu(node);
        }
    }

    /// <summary>Of the initials enabled at the node, the one that runs on without preempting if there is one, else the first.</summary>
    private static int Preferred(Node node, List<int> initials)
    {
        var enabled = initials.Where(cpu => Array.IndexOf(node.Enabled, cpu) >= 0).ToList();
        return enabled.Contains(node.Current) ? node.Current : enabled[0];
    }

    /// <summary>
    /// The race of a wake-up e with the step e' of the sleeper it woke: the sleeper is disabled
    /// before e and only e (or a step after it) can enable it, so the race cannot be reversed.
    /// Any other race whose initials are all disabled is not expected; it backtracks on every
    /// enabled CPU, the conservative reading.
    /// </summary>
    private static bool IsWakeUp(Node node, List<int> initials, int laterCpu) =>
        initials.Count == 1 && initials[0] == laterCpu && Array.IndexOf(node.Enabled, laterCpu) < 0;

    private static int Bit(int cpu) => 1 << cpu;

    private static int EveryCpu(Node node) => node.Enabled.Aggregate(0, (bits, cpu) => bits | Bit(cpu));

    /// <summary>
    /// Every run's setup must number the same resources (see <see cref="Footprint"/>): a first
    /// step's horizon is that count, and one that differs would shift every number after it.
    /// Checked before the second step, the first whose node compares footprints across runs.
    /// </summary>
    private void CheckSetupResources(int count)
    {
        setupResources ??= count;
        if (count != setupResources)
            throw new InvalidOperationException(
                $"the scenario is not deterministic: its setup touched {setupResources} resources in one run and {count} in another "
                + "(Seam.Access outside every CPU). It depends on state kept between runs, such as a cache filled by the first run.");
    }

    /// <summary>Follows the prefix; the scenario must present the same choices as when the node was made.</summary>
    private static int Replay(Node node, in Decision decision)
    {
        if (!node.Enabled.SequenceEqual(decision.Enabled) || !node.Points.SequenceEqual(decision.Points))
            throw new InvalidOperationException(
                $"the scenario is not deterministic: at step {decision.Index} an earlier run had CPUs {Positions(node.Enabled, node.Points)} "
                + $"enabled, this one {Positions(decision.Enabled, decision.Points)}. It depends on something outside the seam "
                + "(time, unseeded randomness, hash order of objects, its own threads) or on state kept between runs.");
        Invariant.Holds(node.Choice >= 0);
        return node.Choice;
    }

    private static string Positions(IReadOnlyList<int> cpus, IReadOnlyList<string> points) =>
        "[" + string.Join(", ", cpus.Select((cpu, i) => $"{cpu} at {points[i]}")) + "]";

    private Node NewNode(in Decision decision)
    {
        var node = new Node(decision);
        if (stack.Count > 0)
        {
            var parent = stack[^1];
            node.BranchingAbove = parent.BranchingAbove + (parent.Branching ? 1 : 0);
            if (reduction)
                InheritSleep(node, parent, decision.Footprints[decision.Index - 1]);
        }
        node.Branching = Candidates(node).Count(c => Allowed(node, c)) >= 2;
        node.UnitRoot = shard is not null && node.Branching && node.BranchingAbove == shardLevel;
        node.Backtrack = dpor ? FirstAllowed(node) : EveryCpu(node);
        return node;
    }

    /// <summary>A CPU sleeping at the parent keeps sleeping unless the step just taken depends on its step.</summary>
    private void InheritSleep(Node node, Node parent, Footprint taken)
    {
        foreach (var (cpu, footprint) in parent.Sleep)
        {
            if (Array.IndexOf(node.Enabled, cpu) >= 0 && !Footprint.Dependent(footprint, taken, trustEmpty))
                node.Sleep.Add((cpu, footprint));
        }
    }

    /// <summary>The next CPU to explore from the node, or -1: the running CPU first (no preemption), then by index.</summary>
    private int NextCandidate(Node node)
    {
        foreach (int cpu in Candidates(node))
        {
            if ((node.Backtrack & Bit(cpu)) != 0 && Allowed(node, cpu))
                return cpu;
        }
        return -1;
    }

    /// <summary>DPOR's first choice at a new node: the first allowed candidate, if any (none: the run is sleep-set blocked).</summary>
    private int FirstAllowed(Node node)
    {
        foreach (int cpu in Candidates(node))
        {
            if (Allowed(node, cpu))
                return Bit(cpu);
        }
        return 0;
    }

    private static IEnumerable<int> Candidates(Node node)
    {
        if (Array.IndexOf(node.Enabled, node.Current) >= 0)
            yield return node.Current;
        foreach (int cpu in node.Enabled)
        {
            if (cpu != node.Current)
                yield return cpu;
        }
    }

    private bool Allowed(Node node, int cpu)
    {
        if (node.Done.Contains(cpu) || node.Sleep.Exists(s => s.Cpu == cpu))
            return false;
        return bound is not { } b || node.PreemptionsBefore + (node.IsPreemption(cpu) ? 1 : 0) <= b;
    }

    private bool Mine(long unit)
    {
        Invariant.Holds(shard is not null);
        return unit % shard.Value.Count == shard.Value.Index - 1;
    }
}
