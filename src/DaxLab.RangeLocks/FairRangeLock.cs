using System.Diagnostics;

namespace DaxLab.RangeLocks;

/// <summary>
/// FIFO-fair range lock after Jan Kara (2013) and Davidlohr Bueso (2017). Every request, granted or
/// waiting, sits in one structure under a small lock. On arrival a request counts the requests already
/// there that conflict with it (readers ignore readers) and waits until that count drops to zero. A
/// request that leaves (release, timeout or cancellation) decrements the counts of the later
/// conflicting requests and wakes those that reach zero. A request is therefore granted only after
/// every earlier conflicting request, so nobody starves: a writer queued before a reader is served first.
/// </summary>
public sealed class FairRangeLock : RangeLock
{
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

    /// <summary>Guarded by <see cref="_gate"/>. Sequence of the next arrival.</summary>
    private long _nextSequence;

    private protected override ValueTask<RangeHolder?> AcquireCore(LockRequest request, bool synchronous)
    {
        Entry? entry;
        lock (_gate)
        {
            int blockers = CountConflicts(request);
            // A try-acquire that would have to wait must not even enqueue, or it would delay later requests.
            if (blockers > 0 && Parking.Expired(request.Deadline))
                return new ValueTask<RangeHolder?>((RangeHolder?)null);
            entry = new Entry(request, _nextSequence++, blockers);
            Insert(entry);
        }
        if (entry.Granted is null)
            return new ValueTask<RangeHolder?>(entry);
        return WaitForGrantAsync(entry, request, synchronous);
    }

    private protected override void ReleaseCore(RangeHolder holder)
    {
        var entry = (Entry)holder;
        List<Entry>? ready;
        lock (_gate)
        {
            Debug.Assert(entry.Blockers == 0, "only a granted entry can be released");
            ready = Remove(entry);
        }
        WakeAll(ready);
    }

    private protected override void DowngradeCore(RangeHolder holder)
    {
        var entry = (Entry)holder;
        List<Entry>? ready = null;
        lock (_gate)
        {
            Debug.Assert(entry.Blockers == 0, "downgrade applies to a granted entry");
            // Under the gate: an arrival counting conflicts sees the mode before or after, never halfway.
            entry.SwitchToRead();
            // Later readers counted this entry while it wrote; as a reader it no longer blocks them.
            foreach (var later in _entries)
            {
                if (later.Start >= entry.End)
                    break;
                if (later.Sequence > entry.Sequence && !later.IsWrite && later.Overlaps(entry))
                    Unblock(later, ref ready);
            }
        }
        WakeAll(ready);
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
        lock (_gate)
        {
            if (entry.Blockers == 0 && !evenIfGranted)
                return false;
            ready = Remove(entry);
        }
        WakeAll(ready);
        return true;
    }

    /// <summary>Counts present entries conflicting with a new request. Context: holds <see cref="_gate"/>.</summary>
    private int CountConflicts(in LockRequest request)
    {
        Debug.Assert(_gate.IsHeldByCurrentThread, "counting reads the entries");
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
        Debug.Assert(_gate.IsHeldByCurrentThread, "the entries are guarded by the gate");
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
        Debug.Assert(_gate.IsHeldByCurrentThread, "the entries are guarded by the gate");
        int index = IndexOf(entry);
        _entries.RemoveAt(index);
        List<Entry>? ready = null;
        foreach (var later in _entries)
        {
            if (later.Start >= entry.End)
                break;
            if (later.Sequence > entry.Sequence && later.ConflictsWith(entry))
                Unblock(later, ref ready);
        }
        return ready;
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
        Debug.Assert(!_gate.IsHeldByCurrentThread, "waking happens outside the gate");
        if (ready is null)
            return;
        foreach (var entry in ready)
            Parking.Wake(entry.Granted!);
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
