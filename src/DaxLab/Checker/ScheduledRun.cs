using System.Runtime.ExceptionServices;
using System.Text;
using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Checker;

/// <summary>What a chooser sees at one decision point of a run.</summary>
/// <param name="Index">Steps executed so far: decision i chooses step i.</param>
/// <param name="Enabled">The CPUs that can run, in ascending order.</param>
/// <param name="Current">The CPU that ran the last step, or -1 before the first.</param>
/// <param name="CurrentRunnable">The last CPU stopped at a Reschedule (not asleep, not finished): choosing another preempts it.</param>
/// <param name="Points">Where each enabled CPU stands: the scheduling point it resumes at.</param>
/// <param name="Footprints">The footprint of every step executed so far.</param>
internal readonly record struct Decision(
    int Index, int CpuCount, IReadOnlyList<int> Enabled, IReadOnlyList<string> Points, int Current, bool CurrentRunnable,
    int Preemptions, IReadOnlyList<Footprint> Footprints)
{
    public bool IsPreemption(int cpu) => CurrentRunnable && cpu != Current;
}

/// <summary>Picks the CPU for every decision of a run: a strategy, or a replayed schedule.</summary>
internal interface IChooser
{
    /// <summary>Returned instead of a CPU to abandon the run (sleep-set blocked, or another shard's part).</summary>
    const int Prune = -1;

    /// <summary>One of <see cref="Decision.Enabled"/>, or <see cref="Prune"/>.</summary>
    int Choose(in Decision decision);
}

/// <summary>
/// One run of a scenario under the deterministic scheduler: one host thread per simulated CPU,
/// exactly one of them running at a time.
/// </summary>
/// <remarks>
/// The baton passes directly from thread to thread. The thread whose turn just ended (a CPU that
/// reached a scheduling point, went to sleep, finished or threw; the controller, the caller's
/// thread, before the first step) records the step, asks the chooser for the next CPU and
/// releases that CPU's <see cref="Baton"/>, then waits on its own; when the chooser picks the CPU
/// that just stopped, it runs on without any hand-off. When the run is over the baton goes back
/// to the controller. These hand-offs are the only happens-before between host threads, so the
/// scenario's state (and the chooser's) needs no other locking. The host threads come from
/// <see cref="CpuThreadPool"/> and go back to it when their body is over.
/// When a run stops early every unfinished CPU is released in turn and its pending Reschedule
/// or Block throws <see cref="RunAborted"/>, which unwinds the body up to <see cref="CpuMain"/>.
/// </remarks>
internal sealed class ScheduledRun : IScheduler
{
    private const string StartPoint = "(start)";

    private enum Phase { Setup, Running, Unwinding, EndCheck }

    private enum CpuStatus { Runnable, Blocked, Finished }

    private sealed class Cpu(int index, CpuBody body, CpuThreadPool.Worker worker)
    {
        public readonly int Index = index;
        public readonly CpuBody Body = body;
        public readonly CpuThreadPool.Worker Worker = worker;
        public CpuStatus Status = CpuStatus.Runnable;
        public string Point = StartPoint;
        public object? Channel;
        public bool Woken;

        /// <summary>Released when this CPU gets the baton.</summary>
        public Baton Go => Worker.Baton;
    }

    /// <summary>Thrown into an unfinished CPU to unwind it when the run stops early.</summary>
    private sealed class RunAborted : Exception;

    /// <summary>Released when the baton comes back to the controller: the run is over, or a CPU unwound.</summary>
    private readonly Baton controller = new();
    private readonly List<Cpu> cpus = [];
    private readonly List<TraceEvent> trace = [];
    private readonly List<Footprint> footprints = [];
    private readonly List<int> branchChoices = [];
    /// <summary>
    /// Where this run lies in a depth-first order of its tree, from 0 to 1: at each branching
    /// decision, the choice's rank in DFS order (the CPU that ran last, then by index) over the
    /// choices, weighted by the share of its parent (<see cref="treeWeight"/>). Exact for a tree
    /// of even subtrees; an estimate otherwise, for progress reports only.
    /// </summary>
    private double treePosition;
    private double treeWeight = 1;
    private readonly IChooser chooser;
    private readonly int maxSteps;
    /// <summary>The scenario's <see cref="RunSetup.AfterStep"/> hook, or null.</summary>
    private Action<int>? afterStep;
    private volatile Phase phase = Phase.Setup;
    private int running = -1;
    private List<string> notes = [];
    private readonly Dictionary<object, int> resourceIds = [];
    private Footprint footprint = new(0);
    private Exception? thrown;
    private int preemptions;
    /// <summary>The CPU that ran the last step, and whether it stopped at a Reschedule (choosing another preempts it).</summary>
    private int current = -1;
    private bool currentRunnable;
    /// <summary>The running step's start point and whether it preempted.</summary>
    private string stepPoint = StartPoint;
    private bool stepPreempted;
    /// <summary>How the run ended: its failure, or pruned by the chooser.</summary>
    private (FailureKind Kind, string Message, string? Detail, int Cpu)? failure;
    private bool pruned;
    /// <summary>A checker error (the chooser threw) raised on a CPU's thread, rethrown on the controller's.</summary>
    private ExceptionDispatchInfo? controllerError;

    /// <summary>This run's lock-order bookkeeping, or null when the exploration does not validate lock order.</summary>
    private readonly LockDep.Run? lockdep;

    private ScheduledRun(IChooser chooser, int maxSteps, LockDep? lockdep)
    {
        this.chooser = chooser;
        this.maxSteps = maxSteps;
        this.lockdep = lockdep?.BeginRun(CallPath);
    }

    /// <summary>
    /// Builds the scenario from fresh state and runs it with <paramref name="chooser"/> deciding;
    /// its lock acquisitions go to <paramref name="lockdep"/>, the exploration's lock-order graph, if given.
    /// </summary>
    public static RunResult Execute(Func<Seam, RunSetup> factory, IChooser chooser, ReplayToken.Header header, int maxSteps, LockDep? lockdep = null)
    {
        var run = new ScheduledRun(chooser, maxSteps, lockdep);
        var setup = factory(new Seam(run));
        run.afterStep = setup.AfterStep;
        try
        {
            run.StartCpus(setup);
            run.phase = Phase.Running;
            run.RunToEnd();
        }
        finally
        {
            run.Unwind();
        }
        run.controllerError?.Throw();
        var failure = run.failure;
        if (failure is null && !run.pruned)
            failure = run.EndCheck(setup);
        var result = new RunResult(setup.Cpus.Select(c => c.Label).ToArray(), run.trace, run.preemptions,
            ReplayToken.Encode(header, run.trace.Count, run.branchChoices), run.pruned) { Footprints = run.footprints, TreePosition = run.treePosition };
        if (failure is { } f)
            result.Failure = new Failure(f.Kind, f.Message, f.Detail, f.Cpu, result);
        if (run.lockdep is { } order)
            result.LockOrderFailures = order.Finish(result);
        return result;
    }

    /// <summary>Gives every CPU a pooled host thread; each waits for its first turn.</summary>
    private void StartCpus(RunSetup setup)
    {
        Invariant.Holds(cpus.Count == 0 && phase == Phase.Setup);
        foreach (var body in setup.Cpus)
        {
            var cpu = new Cpu(cpus.Count, body, CpuThreadPool.Rent());
            cpus.Add(cpu);
            cpu.Worker.Job = () => CpuMain(cpu);
        }
    }

    /// <summary>The controller's part: the first decision, then wait until the baton comes back at the run's end.</summary>
    private void RunToEnd()
    {
        int next = Advance();
        if (next < 0)
            return;
        cpus[next].Go.Release();
        controller.Wait();
    }

    /// <summary>A CPU's turns on its host thread (called at its first turn): runs the body, reports how it ended.</summary>
    private void CpuMain(Cpu cpu)
    {
        try
        {
            if (phase == Phase.Running)
                cpu.Body.Body();
        }
        catch (Exception e) when (e is not RunAborted && phase == Phase.Running)
        {
            thrown = e;
        }
        catch (Exception)
        {
            // Unwinding a discarded run: whatever the aborted body throws on the way out is a
            // consequence of the abort, and an escaping exception would end the host process.
        }
        finally
        {
            cpu.Status = CpuStatus.Finished;
            // Back to the pool before the last hand-off: once the baton is passed the run may
            // end and the next one may want this thread. Nothing below touches the worker.
            CpuThreadPool.Return(cpu.Worker);
            if (phase == Phase.Running)
                HandOff(AdvanceOnCpu());
            else
                controller.Release();
        }
    }

    /// <summary>
    /// Ends the step that just ran (if any) and decides the next: returns the CPU to run, whose
    /// step has begun, or -1 when the run is over (<see cref="failure"/>, <see cref="pruned"/>).
    /// Runs on whichever thread holds the baton.
    /// </summary>
    private int Advance()
    {
        if (running >= 0)
        {
            int ran = running;
            EndStep();
            afterStep?.Invoke(trace.Count);
            if (thrown is { } e)
            {
                failure = (FailureKind.Exception, $"{cpus[ran].Body.Label} threw {e.GetType().Name}: {e.Message}", e.ToString(), ran);
                return -1;
            }
            current = ran;
            currentRunnable = cpus[ran].Status == CpuStatus.Runnable;
        }
        var enabled = Enabled();
        if (enabled.Count == 0)
        {
            failure = cpus.Any(c => c.Status == CpuStatus.Blocked) ? Deadlock() : null;
            return -1;
        }
        if (trace.Count == maxSteps)
        {
            failure = StepLimit(maxSteps);
            return -1;
        }
        var points = new string[enabled.Count];
        for (int i = 0; i < points.Length; i++)
            points[i] = cpus[enabled[i]].Point;
        var decision = new Decision(trace.Count, cpus.Count, enabled, points, current, currentRunnable, preemptions, footprints);
        int choice = chooser.Choose(decision);
        if (choice == IChooser.Prune)
        {
            pruned = true;
            return -1;
        }
        if (!enabled.Contains(choice))
            throw new InvalidOperationException($"checker bug: chose CPU {choice}, enabled are [{string.Join(", ", enabled)}]");
        if (enabled.Count > 1)
            AdvanceTreePosition(enabled, choice);
        BeginStep(choice, decision.IsPreemption(choice), branching: enabled.Count > 1);
        return choice;
    }

    /// <summary>Adds a branching decision to <see cref="treePosition"/>: the choices before this one in DFS order are behind.</summary>
    private void AdvanceTreePosition(List<int> enabled, int choice)
    {
        bool currentFirst = enabled.Contains(current);
        int rank = choice == current ? 0 : enabled.Count(cpu => cpu < choice && cpu != current) + (currentFirst ? 1 : 0);
        treeWeight /= enabled.Count;
        treePosition += treeWeight * rank;
    }

    /// <summary><see cref="Advance"/> on a CPU's thread: a checker error ends the run and goes to the controller.</summary>
    private int AdvanceOnCpu()
    {
        try
        {
            return Advance();
        }
        catch (Exception e)
        {
            controllerError = ExceptionDispatchInfo.Capture(e);
            return -1;
        }
    }

    /// <summary>Passes the baton to CPU <paramref name="next"/>, or back to the controller when the run is over (-1).</summary>
    private void HandOff(int next)
    {
        if (next >= 0)
            cpus[next].Go.Release();
        else
            controller.Release();
    }

    /// <summary>The CPUs at a scheduling point, unstarted, or asleep and woken since.</summary>
    private List<int> Enabled()
    {
        var enabled = new List<int>(cpus.Count);
        foreach (var cpu in cpus)
        {
            if (cpu.Status == CpuStatus.Runnable || (cpu.Status == CpuStatus.Blocked && cpu.Woken))
                enabled.Add(cpu.Index);
        }
        return enabled;
    }

    /// <summary>Starts CPU <paramref name="choice"/>'s step; the caller then hands it the baton (or runs on, if it is the caller).</summary>
    private void BeginStep(int choice, bool preempted, bool branching)
    {
        var cpu = cpus[choice];
        Invariant.Holds(running == -1 && cpu.Status != CpuStatus.Finished);
        if (preempted)
            preemptions++;
        if (branching)
            branchChoices.Add(choice);
        notes = [];
        footprint = new Footprint(resourceIds.Count);
        // A sleeper resumes only after a Wake on its channel: the resumed step writes the channel
        // too, so it depends on that wake-up and partial-order reduction never reorders them.
        if (cpu.Status == CpuStatus.Blocked)
            footprint.Add(IdOf(cpu.Channel!), write: true);
        stepPoint = cpu.Point;
        stepPreempted = preempted;
        cpu.Status = CpuStatus.Runnable;
        cpu.Channel = null;
        running = choice;
    }

    /// <summary>Records the step of the running CPU, which has stopped.</summary>
    private void EndStep()
    {
        var cpu = cpus[running];
        running = -1;
        Invariant.Holds(cpu.Status != CpuStatus.Blocked || cpu.Channel is not null);
        footprints.Add(footprint);
        string? blockedOn = cpu.Status == CpuStatus.Blocked ? Describe(cpu.Channel!) : null;
        trace.Add(new TraceEvent(cpu.Index, stepPoint, notes, stepPreempted, blockedOn));
    }

    /// <summary>
    /// Releases every unfinished CPU in turn so that it unwinds; each gives the baton back when
    /// its body is over and its host thread is back in the pool. A CPU never started just
    /// returns its thread.
    /// </summary>
    private void Unwind()
    {
        phase = Phase.Unwinding;
        foreach (var cpu in cpus)
        {
            if (cpu.Status == CpuStatus.Finished)
                continue;
            running = cpu.Index;
            cpu.Go.Release();
            controller.Wait();
            Invariant.Holds(cpu.Status == CpuStatus.Finished);
        }
        running = -1;
    }

    private (FailureKind, string, string?, int)? EndCheck(RunSetup setup)
    {
        phase = Phase.EndCheck;
        string? message;
        try
        {
            message = setup.EndCheck();
        }
        catch (Exception e)
        {
            return (FailureKind.EndCheck, $"end check threw {e.GetType().Name}: {e.Message}", e.ToString(), -1);
        }
        return message is null ? null : (FailureKind.EndCheck, "end check: " + message, null, -1);
    }

    private (FailureKind, string, string?, int) Deadlock()
    {
        var text = new StringBuilder("deadlock: no CPU can run.");
        foreach (var cpu in cpus)
            text.Append("\n  ").Append(Position(cpu));
        return (FailureKind.Deadlock, text.ToString(), null, -1);
    }

    private (FailureKind, string, string?, int) StepLimit(int maxSteps)
    {
        string message = $"step limit: the run took {maxSteps} steps without finishing (MaxStepsPerRun). A CPU probably "
            + "spins in a loop that reschedules without a blocking call: a re-check loop must Block on a channel that "
            + "the releaser wakes. If the scenario is just long, raise MaxStepsPerRun.";
        return (FailureKind.StepLimit, message, string.Join("\n", cpus.Select(Position)), -1);
    }

    private static string Position(Cpu cpu) => cpu.Status switch
    {
        CpuStatus.Finished => $"{cpu.Body.Label}: finished",
        CpuStatus.Blocked => $"{cpu.Body.Label}: asleep at {cpu.Point} on {Describe(cpu.Channel!)}{(cpu.Woken ? " (woken)" : "")}",
        _ => $"{cpu.Body.Label}: runnable at {cpu.Point}",
    };

    /// <summary>Names a wait channel for reports: the primitive and its name where it has one.</summary>
    internal static string Describe(object channel) => channel switch
    {
        Spinlock s => "spinlock " + s.Name,
        RwSemaphore r => "rw_semaphore " + r.Name,
        WaitQueueTable.Waiter w => $"wait queue entry for index {w.Key.Index} of {w.Key.Mapping}",
        _ => channel.ToString() ?? channel.GetType().Name,
    };

    public void Reschedule(string point)
    {
        if (phase == Phase.Unwinding)
            throw new RunAborted();
        if (Caller() is not { } cpu)
            return;
        cpu.Point = point;
        Park(cpu);
    }

    public void Block(object channel, string point)
    {
        if (phase == Phase.Unwinding)
            throw new RunAborted();
        if (Caller() is not { } cpu)
            throw new InvalidOperationException($"blocked on {Describe(channel)} at {point} outside every CPU (scenario setup or end check): nothing could wake it");
        footprint.Add(IdOf(channel), write: true);
        cpu.Status = CpuStatus.Blocked;
        cpu.Channel = channel;
        cpu.Woken = false;
        cpu.Point = point;
        Park(cpu);
    }

    public void Wake(object channel)
    {
        if (Caller() is null)
            return;
        footprint.Add(IdOf(channel), write: true);
        foreach (var cpu in cpus)
        {
            if (cpu.Status == CpuStatus.Blocked && Equals(cpu.Channel, channel))
                cpu.Woken = true;
        }
    }

    public void Note(string what)
    {
        if (Caller() is not null)
            notes.Add(what);
    }

    public void Access(object resource, bool write)
    {
        // An access during the scenario's setup numbers the resource, in the same order in every
        // run: footprints of different runs then compare it exactly, not as fresh (see Footprint).
        if (phase == Phase.Setup)
            IdOf(resource);
        else if (Caller() is not null)
            footprint.Add(IdOf(resource), write);
    }

    public void LockAcquire(object instance, LockClass lockClass, LockUse use, string point, object? dropping = null)
    {
        if (lockdep is not null && Caller() is { } cpu)
            lockdep.Acquire(cpu.Index, cpu.Body.Label, instance, lockClass, use, point, trace.Count, dropping);
    }

    public void LockRelease(object instance)
    {
        if (lockdep is not null && Caller() is { } cpu)
            lockdep.Release(cpu.Index, instance);
    }

    /// <summary>
    /// CPU <paramref name="cpu"/>'s scheduling points up to step <paramref name="step"/>, innermost
    /// first, at most <see cref="Limits.LockOrderCallPath"/>: the call path a lock-order report shows.
    /// Step <paramref name="step"/> is the CPU's own, running or recorded.
    /// </summary>
    private IReadOnlyList<string> CallPath(int cpu, int step)
    {
        var path = new List<string>(Limits.LockOrderCallPath) { step < trace.Count ? trace[step].Point : stepPoint };
        for (int i = Math.Min(step, trace.Count) - 1; i >= 0 && path.Count < Limits.LockOrderCallPath; i--)
        {
            if (trace[i].Cpu == cpu)
                path.Add(trace[i].Point);
        }
        return path;
    }

    /// <summary>
    /// The running CPU, or null outside the CPUs' steps: during setup and the end check nothing
    /// else can run, and while unwinding the run is being discarded.
    /// </summary>
    private Cpu? Caller()
    {
        if (phase != Phase.Running)
            return null;
        if (running < 0 || cpus[running].Worker.Thread != Thread.CurrentThread)
            throw new InvalidOperationException("a scheduler call from a host thread that is not the running CPU: scenario code must not start its own threads or tasks");
        return cpus[running];
    }

    /// <summary>
    /// The resources numbered so far, in the order of their numbers: after the factory, those
    /// its setup touched, which a run started from a copy of that setup numbers the same way
    /// by declaring their copies in this order (<c>SetupSnapshot</c>).
    /// </summary>
    internal IEnumerable<object> NumberedResources => resourceIds.OrderBy(r => r.Value).Select(r => r.Key);

    /// <summary>
    /// A resource's number in this run: the order of its first access. Runs that share a prefix
    /// number the resources touched in it alike, which is what lets footprints recorded in one
    /// run be compared with steps of another (see <see cref="Footprint"/>). Default equality:
    /// two equal keys are one resource, the conservative reading.
    /// </summary>
    private int IdOf(object resource)
    {
        if (!resourceIds.TryGetValue(resource, out int id))
        {
            id = resourceIds.Count;
            resourceIds.Add(resource, id);
        }
        return id;
    }

    /// <summary>
    /// Ends this CPU's step and decides the next: runs on if the choice is this CPU again,
    /// otherwise passes the baton and waits for this CPU's next turn.
    /// </summary>
    private void Park(Cpu cpu)
    {
        int next = AdvanceOnCpu();
        if (next == cpu.Index)
            return;
        HandOff(next);
        cpu.Go.Wait();
        if (phase == Phase.Unwinding)
            throw new RunAborted();
    }
}
