using System.Text;
using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Checker;

/// <summary>
/// Lock-order validation, as the kernel's lockdep: the graph of "class A held while acquiring
/// class B" over every run of one exploration, and a report for every cycle in it, whether or
/// not any explored schedule deadlocked.
/// </summary>
/// <remarks>
/// Each edge keeps the first example of it: the CPU, where the held lock was taken and where the
/// next one was, each with the CPU's recent scheduling points, and the run it was seen in. An
/// edge that closes a cycle is reported once per set of classes in the cycle (an A/B inversion
/// once, whichever order came first). Every acquisition counts: the kernel's rw_semaphore
/// readers are not recursive (a writer queued between two readers blocks the second), so a cycle
/// through read acquisitions is as much a deadlock as one through writes; only a trylock adds no
/// edge towards itself, and a wait (<see cref="LockUse.Wait"/>) adds edges without being held.
/// A single-threaded owner: the explorer's runs execute one after another, and within a run one
/// CPU at a time calls in (the scheduler's hand-offs order them).
/// </remarks>
internal sealed class LockDep
{
    /// <summary>"From held while acquiring To", each with its first example.</summary>
    private readonly Dictionary<LockClass, Dictionary<LockClass, Dependency>> after = [];
    /// <summary>The cycles reported, by their classes in a canonical order.</summary>
    private readonly HashSet<string> reported = [];

    /// <summary>Where one lock was taken: the point and the CPU's recent points, innermost first.</summary>
    internal sealed record Acquisition(LockClass Class, LockUse Use, string Point, IReadOnlyList<string> CallPath);

    /// <summary>The first example of an edge: on CPU <paramref name="CpuLabel"/>, <paramref name="Held"/> was held while <paramref name="Next"/> was taken.</summary>
    internal sealed record Dependency(string CpuLabel, Acquisition Held, Acquisition Next, Run SeenIn);

    /// <summary>A cycle found in a run: the dependencies around it, the closing one first.</summary>
    internal sealed record Report(int Cpu, IReadOnlyList<Dependency> Cycle);

    /// <summary>The lockdep state of one run, made by <see cref="BeginRun"/>.</summary>
    /// <param name="callPath">The scheduler's view of a CPU's recent points up to a step: (cpu, step) → points, innermost first.</param>
    public Run BeginRun(Func<int, int, IReadOnlyList<string>> callPath) => new(this, callPath);

    /// <summary>Adds an edge seen for the first time; returns the cycle it closes if that cycle is new.</summary>
    private IReadOnlyList<Dependency>? Add(Dependency edge)
    {
        var from = edge.Held.Class;
        var to = edge.Next.Class;
        if (!after.TryGetValue(from, out var edges))
            after.Add(from, edges = []);
        edges.Add(to, edge);
        if (PathBetween(to, from) is not { } back)
            return null;
        var cycle = new List<Dependency> { edge };
        cycle.AddRange(back);
        return reported.Add(CycleKey(cycle)) ? cycle : null;
    }

    /// <summary>Whether the edge is known already (the common case after the first runs: nothing to build).</summary>
    private bool Knows(LockClass from, LockClass to) => after.TryGetValue(from, out var edges) && edges.ContainsKey(to);

    /// <summary>A shortest chain of edges from <paramref name="start"/> to <paramref name="goal"/> (breadth-first), or null.</summary>
    private List<Dependency>? PathBetween(LockClass start, LockClass goal)
    {
        var via = new Dictionary<LockClass, Dependency?> { [start] = null };
        var frontier = new Queue<LockClass>([start]);
        while (frontier.TryDequeue(out var cls))
        {
            if (cls == goal)
                return ChainTo(goal, via);
            if (!after.TryGetValue(cls, out var edges))
                continue;
            foreach (var (next, edge) in edges)
            {
                if (via.TryAdd(next, edge))
                    frontier.Enqueue(next);
            }
        }
        return null;
    }

    private static List<Dependency> ChainTo(LockClass goal, Dictionary<LockClass, Dependency?> via)
    {
        var chain = new List<Dependency>();
        for (var edge = via[goal]; edge is not null; edge = via[edge.Held.Class])
            chain.Insert(0, edge);
        return chain;
    }

    /// <summary>The classes of a cycle, sorted: one report per set of classes, whichever edge closed it.</summary>
    private static string CycleKey(IEnumerable<Dependency> cycle) =>
        string.Join(" ", cycle.Select(d => d.Held.Class.ToString()).Order(StringComparer.Ordinal));

    /// <summary>The held locks of each CPU of one run, and the cycles the run closed.</summary>
    internal sealed class Run(LockDep graph, Func<int, int, IReadOnlyList<string>> callPath)
    {
        private readonly record struct HeldLock(object Instance, LockClass Class, LockUse Use, string Point, int Step);

        private readonly List<HeldLock>[] held = new List<HeldLock>[Limits.MaxCpus];
        private readonly List<Report> reports = [];

        /// <summary>The run's replay token, known when the run is over; earlier runs' edges name their run by it.</summary>
        public string? Token { get; private set; }

        /// <summary>lock_acquire on CPU <paramref name="cpu"/> during step <paramref name="step"/> (see <see cref="IScheduler.LockAcquire"/>).</summary>
        public void Acquire(int cpu, string label, object instance, LockClass lockClass, LockUse use, string point, int step, object? dropping)
        {
            var stack = held[cpu] ??= [];
            var next = new HeldLock(instance, lockClass, use, point, step);
            if (use != LockUse.Try)
            {
                foreach (var prior in stack)
                {
                    if (dropping is null || !Equals(prior.Instance, dropping))
                        Order(cpu, label, prior, next);
                }
            }
            if (use != LockUse.Wait)
                stack.Add(next);
        }

        /// <summary>
        /// lock_release: the innermost hold of <paramref name="instance"/> by <paramref name="cpu"/>,
        /// else by another CPU (an rw_semaphore may be released by another task). A release of a
        /// lock taken outside every CPU (the scenario's setup) finds nothing and is ignored.
        /// </summary>
        public void Release(int cpu, object instance)
        {
            if (RemoveInnermost(held[cpu], instance))
                return;
            foreach (var stack in held)
            {
                if (RemoveInnermost(stack, instance))
                    return;
            }
        }

        private static bool RemoveInnermost(List<HeldLock>? stack, object instance)
        {
            if (stack is null)
                return false;
            int at = stack.FindLastIndex(h => Equals(h.Instance, instance));
            if (at < 0)
                return false;
            stack.RemoveAt(at);
            return true;
        }

        /// <summary>Records "prior held while next is taken"; builds the example only for an edge not seen before.</summary>
        private void Order(int cpu, string label, HeldLock prior, HeldLock next)
        {
            if (graph.Knows(prior.Class, next.Class))
                return;
            var edge = new Dependency(label, Describe(cpu, prior), Describe(cpu, next), this);
            if (graph.Add(edge) is { } cycle)
                reports.Add(new Report(cpu, cycle));
        }

        private Acquisition Describe(int cpu, HeldLock hold) => new(hold.Class, hold.Use, hold.Point, callPath(cpu, hold.Step));

        /// <summary>The run is over: every cycle it closed becomes a <see cref="FailureKind.LockOrder"/> failure of <paramref name="run"/>.</summary>
        public IReadOnlyList<Failure> Finish(RunResult run)
        {
            Invariant.Holds(Token is null, "a lockdep run finishes once");
            Token = run.ReplayToken;
            return [.. reports.Select(r => new Failure(FailureKind.LockOrder, Message(r.Cycle), Render(r.Cycle, run.CpuLabels[r.Cpu]), r.Cpu, run))];
        }
    }

    /// <summary>
    /// The report's one line, free of run details so equal cycles compare equal: the cycle from
    /// its smallest class, or the recursion.
    /// </summary>
    private static string Message(IReadOnlyList<Dependency> cycle)
    {
        if (cycle.Count == 1)
            return $"possible recursive locking detected: {cycle[0].Next.Class} acquired while holding {cycle[0].Held.Class}";
        var classes = cycle.Select(d => d.Held.Class.ToString()).ToList();
        int first = classes.IndexOf(classes.Min(StringComparer.Ordinal)!);
        var rotated = classes.Skip(first).Concat(classes.Take(first)).ToList();
        return "possible circular locking dependency detected: " + string.Join(" -> ", rotated.Append(rotated[0]));
    }

    /// <summary>The report as lockdep prints it: the acquisition that closed the cycle, what it holds, the chain it closes, and the scenario.</summary>
    private static string Render(IReadOnlyList<Dependency> cycle, string label)
    {
        var closing = cycle[0];
        var text = new StringBuilder();
        text.Append($"{label} is trying to acquire lock:\n");
        AppendAcquisition(text, closing.Next);
        text.Append("\nbut it already holds lock:\n");
        AppendAcquisition(text, closing.Held);
        text.Append(cycle.Count == 1
            ? "\nwhich is of the same class: annotate a safe nesting with a subclass (down_write_nested) or fix the order.\n"
            : "\nwhich lock already depends on the new lock.\n\nthe existing dependency chain (in reverse order) is:\n");
        for (int i = cycle.Count - 1; i >= 1; i--)
            AppendDependency(text, cycle[i], i);
        if (cycle.Count == 2)
            AppendScenario(text, closing.Held.Class, closing.Next.Class);
        text.Append($"\nclosed in the run {closing.SeenIn.Token ?? "(abandoned)"}.");
        return text.ToString();
    }

    private static void AppendDependency(StringBuilder text, Dependency edge, int number)
    {
        text.Append($"\n-> #{number} ({edge.Next.Class}), on {edge.CpuLabel} in the run {edge.SeenIn.Token ?? "(abandoned)"}, holding:\n");
        AppendAcquisition(text, edge.Held);
        text.Append("   then acquiring:\n");
        AppendAcquisition(text, edge.Next);
    }

    private static void AppendAcquisition(StringBuilder text, Acquisition acquisition)
    {
        string how = acquisition.Use switch
        {
            LockUse.Read => "read",
            LockUse.Try => "trylock",
            LockUse.Wait => "wait",
            _ => "write",
        };
        text.Append($" ({acquisition.Class}){{{how}}}, at: {acquisition.Point}\n");
        foreach (string point in acquisition.CallPath)
            text.Append("       ").Append(point).Append('\n');
    }

    /// <summary>lockdep's "Possible unsafe locking scenario" for an A/B inversion.</summary>
    private static void AppendScenario(StringBuilder text, LockClass held, LockClass next)
    {
        const int Column = 28;
        text.Append("\n Possible unsafe locking scenario:\n\n");
        text.Append("       CPU0".PadRight(Column)).Append("CPU1\n");
        text.Append("       ----".PadRight(Column)).Append("----\n");
        text.Append($"  lock({held});\n");
        text.Append("".PadRight(Column - 4)).Append($"lock({next});\n");
        text.Append("".PadRight(Column - 4)).Append($"lock({held});\n");
        text.Append($"  lock({next});\n\n *** DEADLOCK ***\n");
    }
}
