using System.Text;

namespace DaxLab.Checker;

/// <summary>One simulated CPU of a scenario: a label for reports and the code it runs.</summary>
/// <param name="Label">What the CPU does, as in the 2017 diagrams: "CPU1 - write(2)".</param>
public sealed record CpuBody(string Label, Action Body);

/// <summary>
/// What a scenario factory builds for one run, from fresh state: the CPU bodies, and the check
/// evaluated after every CPU finished (a failure message, or null when the run is correct).
/// </summary>
public sealed class RunSetup
{
    public RunSetup(IReadOnlyList<CpuBody> cpus, Func<string?>? endCheck = null)
    {
        if (cpus.Count is 0 or > Limits.MaxCpus)
            throw new ArgumentException($"a scenario has 1 to {Limits.MaxCpus} CPUs (Limits.MaxCpus), not {cpus.Count}", nameof(cpus));
        Cpus = cpus;
        EndCheck = endCheck ?? (() => null);
    }

    public IReadOnlyList<CpuBody> Cpus { get; }

    public Func<string?> EndCheck { get; }

    /// <summary>
    /// Called after every step with the number of steps run so far, at the hand-off while no CPU
    /// runs, on the host thread that holds the baton: the scenario's state is quiescent, so a
    /// tool can read it (the HTML report snapshots the world after each step of a replay). It
    /// must only read, and must not call the seam: taking a lock there could find it held by a
    /// CPU parked inside its critical section. Null (the default) for the search.
    /// </summary>
    public Action<int>? AfterStep { get; init; }
}

public enum StrategyKind
{
    /// <summary>Exhaustive stateless DFS under a preemption bound, with sleep-set reduction.</summary>
    Dfs,
    /// <summary>Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).</summary>
    Pct,
    /// <summary>A uniform random choice among the runnable CPUs at every point.</summary>
    Random,
}

/// <summary>How to search. Budgets: <see cref="MaxSchedules"/> runs and, if set, <see cref="TimeBudget"/>.</summary>
/// <param name="PreemptionBound">DFS: the most preemptions a schedule may have; null for no bound.</param>
/// <param name="Reduction">DFS: prune with sleep sets (switch off to compare counts).</param>
/// <param name="TrustEmptyFootprints">
/// DFS: treat a step that declared no access as independent of every other step. Only for
/// programs that declare every shared access outside locks (see docs/checker.md); by default
/// such a step conflicts with every step.
/// </param>
/// <param name="Shard">DFS: explore only shard Index of Count (1-based), see <see cref="ParseShard"/>.</param>
/// <param name="StopOnFailure">Stop at the first failure instead of collecting distinct ones.</param>
/// <param name="Progress">Called on the explorer's thread after every run with the search's progress (see <see cref="ExploreProgress"/>).</param>
/// <param name="LockOrder">Validate the lock order across every run (lockdep) and report cycles as <see cref="FailureKind.LockOrder"/>.</param>
/// <param name="FirstPassesBound">
/// DFS without a preemption bound: the bounded passes 0 .. this one run first, so that a failure
/// that needs few preemptions is first found with the fewest (null: the unbounded pass alone).
/// They run unreduced, since sleep sets within a bound could cut that example.
/// </param>
public sealed record ExploreOptions(
    StrategyKind Strategy,
    int? PreemptionBound = Limits.DefaultPreemptionBound,
    bool Reduction = true,
    int PctDepth = Limits.DefaultPctDepth,
    long Seed = 1,
    long MaxSchedules = Limits.DefaultMaxSchedules,
    TimeSpan? TimeBudget = null,
    (int Index, int Count)? Shard = null,
    int MaxStepsPerRun = Limits.DefaultMaxStepsPerRun,
    bool TrustEmptyFootprints = false,
    bool StopOnFailure = false,
    bool LockOrder = true,
    Action<ExploreProgress>? Progress = null,
    int? FirstPassesBound = Limits.FirstPassesBound)
{
    /// <summary>How a DFS with these options reduces: "off", "sleep sets", or "DPOR" (source sets, with sleep sets; unbounded and unsharded only).</summary>
    public string ReductionWords => !Reduction ? "off" : DfsSearch.UsesDpor(PreemptionBound, Reduction, Shard) ? "DPOR" : "sleep sets";

    /// <summary>Parses the command-line form "i/n" (1 ≤ i ≤ n): shard i of n.</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count))
            throw new FormatException($"--shard wants i/n, such as 2/4, not '{text}'");
        var shard = (index, count);
        Validate(shard);
        return shard;
    }

    internal void Validate()
    {
        if (PreemptionBound < 0)
            throw new ArgumentException("the preemption bound is at least 0 (null for no bound)");
        if (FirstPassesBound < 0)
            throw new ArgumentException("the first passes' bound is at least 0 (null for none)");
        if (PctDepth < 1)
            throw new ArgumentException("the PCT depth is at least 1");
        if (MaxSchedules < 1 || MaxStepsPerRun < 1)
            throw new ArgumentException("the schedule and step budgets are at least 1");
        if (Shard is { } shard)
        {
            Validate(shard);
            if (Strategy != StrategyKind.Dfs)
                throw new ArgumentException("only DFS can be sharded: random strategies shard by seed");
        }
    }

    private static void Validate((int Index, int Count) shard)
    {
        if (shard.Count < 1 || shard.Count > Limits.MaxShards || shard.Index < 1 || shard.Index > shard.Count)
            throw new ArgumentException($"shard {shard.Index}/{shard.Count}: want 1 ≤ i ≤ n ≤ {Limits.MaxShards}");
    }
}

/// <summary>
/// One step of a run: CPU <paramref name="Cpu"/> resumed at scheduling point
/// <paramref name="Point"/> and ran to its next one.
/// </summary>
/// <param name="Notes">What the CPU noted during the step.</param>
/// <param name="Preempted">The step preempted the previous CPU, which was still runnable.</param>
/// <param name="BlockedOn">What the CPU went to sleep on at the end of the step, if it did.</param>
public sealed record TraceEvent(int Cpu, string Point, IReadOnlyList<string> Notes, bool Preempted, string? BlockedOn = null)
{
    /// <summary>Records compare their lists by reference; a trace compares by content.</summary>
    public bool Equals(TraceEvent? other) =>
        other is not null && Cpu == other.Cpu && Point == other.Point && Preempted == other.Preempted
        && BlockedOn == other.BlockedOn && Notes.SequenceEqual(other.Notes);

    public override int GetHashCode() => HashCode.Combine(Cpu, Point, Preempted, BlockedOn, Notes.Count);
}

public enum FailureKind
{
    /// <summary>A CPU body threw.</summary>
    Exception,
    /// <summary>No CPU could run and some were asleep.</summary>
    Deadlock,
    /// <summary>The run exceeded its step limit: probably a spin loop without a blocking call.</summary>
    StepLimit,
    /// <summary>The scenario's end-of-run check rejected the final state (or threw).</summary>
    EndCheck,
    /// <summary>
    /// Lock classes were taken in orders that form a cycle, in this run or across runs of the
    /// exploration (lockdep's "possible circular locking dependency"), whether or not a schedule
    /// deadlocked. The run is the one whose acquisition closed the cycle; the detail names the rest.
    /// </summary>
    LockOrder,
}

/// <summary>A failing run: what went wrong, how to rerun it exactly, and the interleaving.</summary>
public sealed class Failure
{
    internal Failure(FailureKind kind, string message, string? detail, int cpu, RunResult run)
    {
        Kind = kind;
        Message = message;
        Detail = detail;
        Cpu = cpu;
        ReplayToken = run.ReplayToken;
        Preemptions = run.Preemptions;
        Trace = run.Trace;
        CpuLabels = run.CpuLabels;
    }

    public FailureKind Kind { get; }

    /// <summary>What went wrong, free of step numbers so that equal failures compare equal.</summary>
    public string Message { get; }

    /// <summary>More to read: an exception's stack, every CPU's position at a step limit.</summary>
    public string? Detail { get; }

    /// <summary>The CPU that failed, or -1 when the failure is the whole run's.</summary>
    public int Cpu { get; }

    /// <summary>Pass to <see cref="Explorer.Replay"/> with the same factory to rerun exactly this schedule.</summary>
    public string ReplayToken { get; }

    public int Preemptions { get; }

    public IReadOnlyList<TraceEvent> Trace { get; }

    public IReadOnlyList<string> CpuLabels { get; }

    /// <summary>How to rerun this failure, for test output and logs.</summary>
    public string RerunHint => $"rerun: Explorer.Replay(factory, \"{ReplayToken}\")";

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"{Kind}: {Message}");
        text.AppendLine($"{Preemptions} preemption(s), {Trace.Count} steps; {RerunHint}");
        text.Append(Diagram.Render(this));
        if (Detail is not null)
            text.AppendLine().AppendLine(Detail);
        return text.ToString();
    }
}

/// <summary>One run's outcome: its trace and schedule, and its failure if it failed.</summary>
public sealed class RunResult
{
    internal RunResult(IReadOnlyList<string> labels, IReadOnlyList<TraceEvent> trace,
        int preemptions, string replayToken, bool pruned)
    {
        CpuLabels = labels;
        Trace = trace;
        Preemptions = preemptions;
        ReplayToken = replayToken;
        Pruned = pruned;
    }

    public IReadOnlyList<string> CpuLabels { get; }

    public IReadOnlyList<TraceEvent> Trace { get; }

    public int Preemptions { get; }

    public string ReplayToken { get; }

    /// <summary>The search abandoned the run part-way (a sleep set or another shard covers the rest).</summary>
    public bool Pruned { get; }

    public Failure? Failure { get; internal set; }

    /// <summary>The lock-order cycles this run closed (<see cref="FailureKind.LockOrder"/>), besides <see cref="Failure"/>.</summary>
    public IReadOnlyList<Failure> LockOrderFailures { get; internal set; } = [];

    /// <summary>Where the run lies in the depth-first order of its tree, 0 to 1: an estimate of the share explored before it.</summary>
    internal double TreePosition { get; init; }

    /// <summary>Each step's footprint, for the DFS's sleep sets.</summary>
    internal IReadOnlyList<Footprint> Footprints { get; init; } = [];
}

/// <summary>A search in progress, reported after every run.</summary>
/// <param name="Schedules">Runs so far.</param>
/// <param name="Steps">Steps of the latest run: how deep the tree is where the search stands.</param>
/// <param name="Failures">Distinct failures so far.</param>
/// <param name="Bound">DFS: the preemption bound of the pass under way (null for none); null for the random strategies.</param>
/// <param name="Share">
/// DFS: the estimated share of the current pass's tree explored, 0 to 1, from where the latest
/// run lies in it (exact when subtrees are even; the preemption bound and reduction skew it);
/// null for the random strategies, which have no tree to finish.
/// </param>
public readonly record struct ExploreProgress(long Schedules, TimeSpan Elapsed, int Steps, int Failures, int? Bound, double? Share)
{
    /// <summary>Runs per second so far.</summary>
    public double Rate => Elapsed > TimeSpan.Zero ? Schedules / Elapsed.TotalSeconds : 0;
}

/// <summary>Why a search stopped.</summary>
public enum StopReason
{
    /// <summary>DFS without a preemption bound explored every schedule (up to reduction): a pass is proven.</summary>
    Exhausted,
    /// <summary>DFS explored every schedule within its preemption bound.</summary>
    BoundExhausted,
    /// <summary><see cref="ExploreOptions.TimeBudget"/> ran out.</summary>
    TimeBudget,
    /// <summary><see cref="ExploreOptions.MaxSchedules"/> runs were made.</summary>
    ScheduleLimit,
    /// <summary><see cref="ExploreOptions.StopOnFailure"/> and a failure was found.</summary>
    FirstFailure,
    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,
}

/// <summary>What a search did and found.</summary>
public sealed class ExploreResult
{
    internal ExploreResult(ExploreOptions options, long schedules, long pruned, StopReason stop, TimeSpan elapsed,
        IReadOnlyList<Failure> failures)
    {
        Options = options;
        Schedules = schedules;
        PrunedSchedules = pruned;
        Stop = stop;
        Elapsed = elapsed;
        Failures = failures;
    }

    public ExploreOptions Options { get; }

    /// <summary>Runs executed (for a shard: runs of its own part), pruned ones included.</summary>
    public long Schedules { get; }

    /// <summary>Runs the sleep sets cut short because an equivalent run was already explored.</summary>
    public long PrunedSchedules { get; }

    /// <summary>Why the search stopped.</summary>
    public StopReason Stop { get; }

    /// <summary>DFS covered its whole space (under the preemption bound, if any); never true for PCT or random.</summary>
    public bool Exhausted => Stop is StopReason.Exhausted or StopReason.BoundExhausted;

    /// <summary>No failure in a search of every schedule without a preemption bound (up to a reduction that keeps every outcome).</summary>
    public bool Proven => Failures.Count == 0 && Stop == StopReason.Exhausted;

    public TimeSpan Elapsed { get; }

    /// <summary>Distinct by message, each the example with the fewest preemptions found.</summary>
    public IReadOnlyList<Failure> Failures { get; }

    /// <summary>
    /// The verdict in words: <c>pass (proven, no bound, N schedules)</c>, <c>pass (exhaustive
    /// within bound 2, N schedules)</c>, <c>pass (N schedules, not exhaustive: time budget)</c>,
    /// or <c>FAIL (k distinct in N schedules, ...)</c> with why the search stopped.
    /// </summary>
    public string Verdict => Failures.Count > 0
        ? $"FAIL ({Failures.Count} distinct in {Schedules} schedules, {StopWords})"
        : Stop switch
        {
            StopReason.Exhausted => $"pass (proven, no bound, {Schedules} schedules)",
            StopReason.BoundExhausted => $"pass (exhaustive within bound {Options.PreemptionBound}, {Schedules} schedules)",
            _ => $"pass ({Schedules} schedules, not exhaustive: {StopWords})",
        };

    /// <summary>Why the search stopped, in a few words.</summary>
    public string StopWords => Stop switch
    {
        StopReason.Exhausted => "all explored, no bound",
        StopReason.BoundExhausted => $"all explored within bound {Options.PreemptionBound}",
        StopReason.TimeBudget => "time budget",
        StopReason.ScheduleLimit => "schedule limit",
        StopReason.FirstFailure => "stopped at the first",
        _ => "cancelled",
    };

    public override string ToString()
    {
        var o = Options;
        string bound = o.Strategy == StrategyKind.Dfs ? $", preemption bound {o.PreemptionBound?.ToString() ?? "none"}, reduction {o.ReductionWords}" : $", seed {o.Seed}";
        string shard = o.Shard is { } s ? $", shard {s.Index}/{s.Count}" : "";
        return $"{o.Strategy}{bound}{shard}: {Verdict}, {PrunedSchedules} pruned, {Elapsed.TotalSeconds:F2} s";
    }
}
