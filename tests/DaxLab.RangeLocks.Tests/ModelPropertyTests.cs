using CsCheck;

namespace DaxLab.RangeLocks.Tests;

/// <summary>
/// Random sequences of acquire, release and cancel on a few small overlapping ranges, checked against
/// a reference model. Safety for every lock: no two conflicting holders at once. For the fair lock the
/// model is exact: a request is granted iff no earlier present request conflicts with it, so each
/// step checks exactly who holds. Liveness for every lock: at the end, releasing every holder as it is
/// granted must eventually grant every waiter.
/// </summary>
public sealed class ModelPropertyTests
{
    /// <summary>Few, small, overlapping ranges so conflicts are common.</summary>
    private static readonly (long Start, long End)[] Ranges = [(0, 4), (2, 6), (4, 8), (0, 8), (6, 7), (8, 9)];

    /// <summary>Operations per sequence: long enough for queues several deep.</summary>
    private const int MaxOps = 40;

    /// <summary>Sequences per lock variant: keeps the test project well under its two-minute budget.</summary>
    private const int Iterations = 600;

    private enum OpKind { Acquire, Release, Cancel }

    private readonly record struct Op(OpKind Kind, int Pick, bool Write);

    private enum State { Waiting, Held, Gone }

    private sealed class Request(int range, bool write, CancellationTokenSource cts, Task<RangeLockReleaser> task)
    {
        public readonly int Range = range;
        public readonly bool Write = write;
        public readonly CancellationTokenSource Cts = cts;
        public readonly Task<RangeLockReleaser> Task = task;
        public State State = State.Waiting;
        public RangeLockReleaser Releaser;

        public bool ConflictsWith(Request other) =>
            (Write || other.Write) && Ranges[Range].Start < Ranges[other.Range].End && Ranges[other.Range].Start < Ranges[Range].End;

        public override string ToString() => $"{(Write ? "W" : "R")}{Ranges[Range]}:{State}";
    }

    private static readonly Gen<Op> GenOp =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1000], Gen.Int[0, 2], (kind, pick, write) =>
            new Op(kind < 5 ? OpKind.Acquire : kind < 8 ? OpKind.Release : OpKind.Cancel, pick, write == 0));

    [Theory]
    [MemberData(nameof(Locks.All), MemberType = typeof(Locks))]
    public void Random_schedules_match_the_model(LockKind kind)
    {
        GenOp.Array[1, MaxOps].Sample(ops => Run(kind, ops), iter: Iterations, threads: 1);
    }

    // Replays one sequence; throws on the first violation, which CsCheck then shrinks.
    private static void Run(LockKind kind, Op[] ops)
    {
        var rl = Locks.Create(kind);
        var requests = new List<Request>();
        foreach (var op in ops)
        {
            Apply(rl, requests, op);
            Settle(kind, requests);
        }
        Drain(requests);
    }

    private static void Apply(RangeLock rl, List<Request> requests, Op op)
    {
        switch (op.Kind)
        {
            case OpKind.Acquire:
                int range = op.Pick % Ranges.Length;
                var cts = new CancellationTokenSource();
                var (start, end) = Ranges[range];
                var task = (op.Write ? rl.AcquireWriteAsync(start, end, cts.Token) : rl.AcquireReadAsync(start, end, cts.Token)).AsTask();
                requests.Add(new Request(range, op.Write, cts, task));
                break;
            case OpKind.Release:
                var held = requests.Where(r => r.State == State.Held).ToList();
                if (held.Count > 0)
                    Release(held[op.Pick % held.Count]);
                break;
            case OpKind.Cancel:
                var waiting = requests.Where(r => r.State == State.Waiting).ToList();
                if (waiting.Count > 0)
                    waiting[op.Pick % waiting.Count].Cts.Cancel();
                break;
        }
    }

    private static void Release(Request request)
    {
        request.Releaser.Dispose();
        request.State = State.Gone;
    }

    // Brings the model up to date with completed tasks, then checks it.
    private static void Settle(LockKind kind, List<Request> requests)
    {
        foreach (var r in requests.Where(r => r.State == State.Waiting && r.Cts.IsCancellationRequested))
            Resolve(r, requireCancelled: kind == LockKind.Fair);
        if (kind == LockKind.Fair)
            CheckFairModel(requests);
        foreach (var r in requests.Where(r => r.State == State.Waiting && r.Task.IsCompleted))
            Resolve(r, requireCancelled: false);
        CheckNoConflictingHolders(requests);
    }

    // A cancelled waiter ends promptly: cancelled, or (racing a grant, list lock only) granted.
    private static void Resolve(Request r, bool requireCancelled)
    {
        try
        {
            r.Releaser = Hang.Guard(new ValueTask<RangeLockReleaser>(r.Task), r.ToString()).GetAwaiter().GetResult();
            Assert.False(requireCancelled, $"{r} was granted although the model says it was still waiting when cancelled");
            r.State = State.Held;
        }
        catch (OperationCanceledException)
        {
            r.State = State.Gone;
        }
    }

    // Fair lock: granted exactly when no earlier present request conflicts.
    private static void CheckFairModel(List<Request> requests)
    {
        var present = requests.Where(r => r.State != State.Gone).ToList();
        for (int i = 0; i < present.Count; i++)
        {
            var r = present[i];
            bool shouldHold = !present.Take(i).Any(earlier => earlier.ConflictsWith(r));
            if (shouldHold && r.State == State.Waiting)
                Resolve(r, requireCancelled: false);
            else if (!shouldHold)
                Assert.False(r.Task.IsCompleted, $"{r} was granted ahead of an earlier conflicting request: {string.Join(", ", present)}");
        }
    }

    private static void CheckNoConflictingHolders(List<Request> requests)
    {
        var held = requests.Where(r => r.State == State.Held).ToList();
        for (int i = 0; i < held.Count; i++)
            for (int j = i + 1; j < held.Count; j++)
                Assert.False(held[i].ConflictsWith(held[j]), $"conflicting holders {held[i]} and {held[j]}");
    }

    // Liveness: release every holder, then each waiter as it is granted; all must be granted.
    private static void Drain(List<Request> requests)
    {
        foreach (var r in requests.Where(r => r.State == State.Held).ToList())
            Release(r);
        while (requests.Where(r => r.State == State.Waiting).Select(r => r.Task).ToArray() is { Length: > 0 } waiting)
        {
            int index = Task.WaitAny(waiting, Hang.Limit);
            Assert.True(index >= 0, $"no waiter was granted although nobody holds: {string.Join(", ", requests)}");
            var granted = requests.First(r => r.Task == waiting[index]);
            Resolve(granted, requireCancelled: false);
            CheckNoConflictingHolders(requests);
            if (granted.State == State.Held)
                Release(granted);
        }
    }
}
