using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DaxLab.RangeLocks;

/// <summary>
/// FIFO-fair range lock after Jan Kara (2013) and Davidlohr Bueso (2017). Every request, granted or
/// waiting, sits in one structure under a small lock. On arrival a request counts the requests already
/// there that conflict with it (readers ignore readers) and waits until that count drops to zero. A
/// request that leaves (release, timeout or cancellation) decrements the counts of the later
/// conflicting requests and wakes those that reach zero. A request is therefore granted only after
/// every earlier conflicting request, so nobody starves: a writer queued before a reader is served first.
/// </summary>
/// <remarks>
/// Under an <see cref="IRangeLockParking"/> policy the small lock becomes a flag that the policy's
/// scheduler hands over (a waiter for it parks on it), with a scheduling point before every entry,
/// and a waiter re-checks its grant under the small lock before each park.
/// </remarks>
public sealed class FairRangeLock : RangeLock
{
    /// <summary>The small lock under a policy: a flag plus a wait object, as a scheduler sees a spinlock.</summary>
    private sealed class ModelGate
    {
        /// <summary>Read and written only while the policy's scheduler runs this thread alone.</summary>
        internal bool Held;

        public override string ToString() => "fair range lock gate";
    }

    /// <summary>A request; granted when <see cref="Blockers"/> is zero.</summary>
    private sealed class Entry : RangeHolder
    {
        /// <summary>Arrival order; "earlier" in the fairness rule means a smaller sequence.</summary>
        internal readonly long Sequence;

        /// <summary>Completed when <see cref="Blockers"/> reaches zero; null for a request granted on arrival.</summary>
        internal readonly TaskCompletionSource? Granted;

        /// <summary>
        /// Guarded by <c>_gate</c>. Invariant: the number of present entries with a smaller sequence
        /// that conflict with this one.
        /// </summary>
        internal int Blockers;

        internal Entry(in LockRequest request, long sequence, int blockers)
            : base(request.Start, request.End, request.IsWrite)
        {
            Sequence = sequence;
            Blockers = blockers;
            Granted = blockers > 0 ? Parking.NewSignal() : null;
        }
    }

    /// <summary>Lock rule: guards <see cref="_entries"/>, <see cref="_nextSequence"/> and every <see cref="Entry.Blockers"/>. Never held while waking or waiting.</summary>
    private readonly Lock _gate = new();

    /// <summary>Guarded by <see cref="_gate"/>. Granted and waiting requests, sorted by (Start, Sequence).</summary>
    private readonly List<Entry> _entries = new();

    /// <summary>Replaces <see cref="_gate"/> under a policy; null on the host path.</summary>
    private readonly ModelGate? _modelGate;

    /// <summary>Guarded by <see cref="_gate"/>. Sequence of the next arrival.</summary>
    private long _nextSequence;

    /// <summary>Creates a fair range lock.</summary>
    /// <param name="parking">How to wait and wake; null (the default) for the host's own waits.</param>
    public FairRangeLock(IRangeLockParking? parking = null)
        : base(parking) => _modelGate = parking is null ? null : new ModelGate();

    /// <summary>Whether this thread may assume the small lock is held (for assertions).</summary>
    private bool GateHeld => _modelGate is null ? _gate.IsHeldByCurrentThread : _modelGate.Held;

    // Granted at once only when no present request conflicts; otherwise the request is not even enqueued here.
    private protected override RangeHolder? TryAcquireNow(long start, long end, bool isWrite) =>
        Arrive(LockRequest.Immediate(start, end, isWrite), mayWait: false);

    private protected override ValueTask<RangeHolder?> AcquireWaitingAsync(LockRequest request, bool synchronous)
    {
        // A try-acquire that would have to wait must not even enqueue, or it would delay later requests.
        var entry = Arrive(request, mayWait: !Parking.Expired(request.Deadline));
        if (entry is null || entry.Granted is null)
            return new ValueTask<RangeHolder?>(entry);
        if (Policy is not null)
            return new ValueTask<RangeHolder?>(WaitForGrantParked(entry, request, Policy));
        return WaitForGrantAsync(entry, request, synchronous);
    }

    /// <summary>
    /// Counts the present requests <paramref name="request"/> conflicts with and enqueues it with that
    /// count, or returns null without enqueuing when it would have to wait and <paramref name="mayWait"/> is false.
    /// </summary>
    private Entry? Arrive(in LockRequest request, bool mayWait)
    {
        EnterGate();
        try
        {
            int blockers = CountConflicts(request);
            if (blockers > 0 && !mayWait)
                return null;
            var entry = new Entry(request, _nextSequence++, blockers);
            Insert(entry);
            return entry;
        }
        finally
        {
            ExitGate();
        }
    }

    private protected override void ReleaseCore(RangeHolder holder)
    {
        var entry = (Entry)holder;
        List<Entry>? ready;
        EnterGate();
        try
        {
            Debug.Assert(entry.Blockers == 0, "only a granted entry can be released");
            ready = Remove(entry);
        }
        finally
        {
            ExitGate();
        }
        WakeAll(ready);
    }

    private protected override void DowngradeCore(RangeHolder holder)
    {
        var entry = (Entry)holder;
        List<Entry>? ready = null;
        EnterGate();
        try
        {
            Debug.Assert(entry.Blockers == 0, "downgrade applies to a granted entry");
            // Under the gate: an arrival counting conflicts sees the mode before or after, never halfway.
            entry.SwitchToRead();
            // Later readers counted this entry while it wrote; as a reader it no longer blocks them.
            UnblockLater(entry, readersOnly: true, ref ready);
        }
        finally
        {
            ExitGate();
        }
        WakeAll(ready);
    }

    /// <summary>
    /// The grant wait under a policy: re-check under the small lock, park on the entry, repeat.
    /// No scheduling point lies between the check and the park, so a grant cannot slip in between.
    /// On cancellation withdraws, as <see cref="WaitForGrantAsync"/> does.
    /// </summary>
    private Entry WaitForGrantParked(Entry entry, in LockRequest request, IRangeLockParking policy)
    {
        try
        {
            while (true)
            {
                EnterGate();
                bool granted = entry.Blockers == 0;
                ExitGate();
                if (granted)
                    return entry;
                policy.Park(entry, "fair_range_lock_wait", request.CancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Race: the grant may land just as the token fires; Withdraw releases it then, so cancel still wins.
            Withdraw(entry, evenIfGranted: true);
            throw;
        }
    }

    // Waits for the grant; on timeout or cancellation withdraws, so no later request stays stuck behind it.
    private async ValueTask<RangeHolder?> WaitForGrantAsync(Entry entry, LockRequest request, bool synchronous)
    {
        bool signalled;
        try
        {
            signalled = await Parking.Park(entry.Granted!.Task, request.Deadline, request.CancellationToken, synchronous)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Race: the grant may land just as the token fires; Withdraw releases it then, so cancel still wins.
            Withdraw(entry, evenIfGranted: true);
            throw;
        }
        if (signalled)
            return entry;
        // Race: the grant may land between the timeout and the lock; then the caller keeps it.
        return Withdraw(entry, evenIfGranted: false) ? null : entry;
    }

    /// <summary>
    /// Removes a waiting entry and unblocks the later ones it held up. Returns false, leaving the entry
    /// in place, if it was granted meanwhile and <paramref name="evenIfGranted"/> is false.
    /// </summary>
    private bool Withdraw(Entry entry, bool evenIfGranted)
    {
        List<Entry>? ready;
        EnterGate();
        try
        {
            if (entry.Blockers == 0 && !evenIfGranted)
                return false;
            ready = Remove(entry);
        }
        finally
        {
            ExitGate();
        }
        WakeAll(ready);
        return true;
    }

    /// <summary>Counts present entries conflicting with a new request. Context: holds <see cref="_gate"/>.</summary>
    private int CountConflicts(in LockRequest request)
    {
        Debug.Assert(GateHeld, "counting reads the entries");
        int count = 0;
        // Sorted by start: nothing from the first entry starting at or past our end can overlap.
        foreach (var present in _entries)
        {
            if (present.Start >= request.End)
                break;
            if (present.End > request.Start && (request.IsWrite || present.IsWrite))
                count++;
        }
        return count;
    }

    /// <summary>Adds the newest entry after every entry with the same or a smaller start. Context: holds <see cref="_gate"/>.</summary>
    private void Insert(Entry entry)
    {
        Debug.Assert(GateHeld, "the entries are guarded by the gate");
        int index = UpperBound(entry.Start);
        _entries.Insert(index, entry);
        Debug.Assert(index == 0 || _entries[index - 1].Start <= entry.Start, "entries stay sorted by start");
    }

    /// <summary>
    /// Removes an entry and decrements every later conflicting entry, which all counted it.
    /// Returns the entries that became granted. Context: holds <see cref="_gate"/>.
    /// </summary>
    private List<Entry>? Remove(Entry entry)
    {
        Debug.Assert(GateHeld, "the entries are guarded by the gate");
        int index = IndexOf(entry);
        _entries.RemoveAt(index);
        List<Entry>? ready = null;
        UnblockLater(entry, readersOnly: false, ref ready);
        return ready;
    }

    /// <summary>
    /// Takes <paramref name="entry"/> off the count of every later entry it blocked: the later
    /// readers only (a downgrade), or every later conflicting entry (a removal). The list is sorted
    /// by start, so the walk stops at the first entry starting past it. Context: holds <see cref="_gate"/>.
    /// </summary>
    private void UnblockLater(Entry entry, bool readersOnly, ref List<Entry>? ready)
    {
        foreach (var later in _entries)
        {
            if (later.Start >= entry.End)
                break;
            bool blockedByIt = readersOnly ? !later.IsWrite && later.Overlaps(entry) : later.ConflictsWith(entry);
            if (later.Sequence > entry.Sequence && blockedByIt)
                Unblock(later, ref ready);
        }
    }

    /// <summary>One earlier conflict of <paramref name="later"/> went away. Context: holds <see cref="_gate"/>.</summary>
    private static void Unblock(Entry later, ref List<Entry>? ready)
    {
        Debug.Assert(later.Blockers > 0, "a later conflicting entry counted the one leaving");
        if (--later.Blockers == 0)
            (ready ??= new List<Entry>()).Add(later);
    }

    /// <summary>Wakes entries whose count reached zero. Context: <see cref="_gate"/> not held, so woken threads do not pile onto it.</summary>
    private void WakeAll(List<Entry>? ready)
    {
        Debug.Assert(!GateHeld, "waking happens outside the gate");
        if (ready is null)
            return;
        foreach (var entry in ready)
        {
            if (Policy is null)
                Parking.Wake(entry.Granted!);
            else
                Policy.Unpark(entry);
        }
    }

    /// <summary>
    /// Takes the small lock. Under a policy: a scheduling point (another thread may take it first),
    /// then park until the flag is free; the flag is the shared word, declared as written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnterGate()
    {
        if (_modelGate is null)
        {
            _gate.Enter();
            return;
        }
        EnterModelGate(_modelGate, Policy!);
    }

    /// <summary>Drops the small lock, waking a thread parked on it under a policy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ExitGate()
    {
        if (_modelGate is null)
        {
            _gate.Exit();
            return;
        }
        Debug.Assert(_modelGate.Held, "the small lock is released by its holder");
        Policy!.Access(_modelGate, write: true);
        _modelGate.Held = false;
        Policy.Unpark(_modelGate);
    }

    private static void EnterModelGate(ModelGate gate, IRangeLockParking policy)
    {
        policy.Yield("fair_range_lock_gate");
        while (gate.Held)
            policy.Park(gate, "fair_range_lock_gate", CancellationToken.None);
        policy.Access(gate, write: true);
        gate.Held = true;
    }

    /// <summary>First index whose start is greater than <paramref name="start"/>. Context: holds <see cref="_gate"/>.</summary>
    private int UpperBound(long start)
    {
        int low = 0, high = _entries.Count;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (_entries[mid].Start <= start)
                low = mid + 1;
            else
                high = mid;
        }
        return low;
    }

    /// <summary>Position of a present entry, found by (Start, Sequence). Context: holds <see cref="_gate"/>.</summary>
    private int IndexOf(Entry entry)
    {
        int index = UpperBound(entry.Start) - 1;
        while (index >= 0 && !ReferenceEquals(_entries[index], entry))
            index--;
        Debug.Assert(index >= 0, "an entry being removed is present");
        return index;
    }
}
