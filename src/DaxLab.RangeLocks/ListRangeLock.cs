using System.Runtime.CompilerServices;
using System.Diagnostics;

// Fields handed to Interlocked are volatile for their plain reads; Interlocked gives the full fence itself.
#pragma warning disable CS0420

namespace DaxLab.RangeLocks;

/// <summary>
/// Lock-free list-based range lock after Kogan, Dice and Issa (EuroSys 2020), as FreeBSD's
/// <c>kern_rangelock.c</c> rewrite uses it. Held ranges are nodes of a singly linked list sorted by
/// start; acquiring inserts a node with one compare-and-swap (one CAS on a free lock), releasing marks
/// the node, and traversals unlink marked nodes. No global lock: requests on disjoint ranges only touch
/// the nodes in front of them. By default the lock starts in whole-object mode (one word, one holder
/// at a time, nothing allocated) and moves to the list for good the first time two requests meet.
/// </summary>
/// <remarks>
/// <para>Who waits for whom: a request first waits, before inserting, for each earlier node it
/// conflicts with. Once inserted, every request scans forward and waits for later conflicting nodes
/// (a reader only for writers). A writer also validates backward: a node ahead of it that overlaps
/// and was inserted concurrently makes it mark itself released and retry, so waits only ever point
/// forward along the list and cannot form a cycle.</para>
/// <para>Not fair: a writer can be overtaken by a stream of readers. Use <see cref="FairRangeLock"/> when that matters.</para>
/// <para>Under an <see cref="IRangeLockParking"/> policy: a scheduling point before every compare-and-swap
/// and right after a node is linked or marked, every read and write of a node's words declared with
/// <see cref="IRangeLockParking.Access"/> on the node (on the lock for the whole-object word), and
/// waiters park on the blocker node itself, which its releaser unparks.</para>
/// </remarks>
public sealed class ListRangeLock : RangeLock
{
    /// <summary>Checks of a blocker's state before parking: short enough to cost little, long enough to cover a short critical section.</summary>
    private const int SpinLimit = 16;

    /// <summary>
    /// Spin checks under a cooperative policy, each after a scheduling point: two let a scheduler
    /// release the blocker inside the spin phase; more would only multiply the schedules to explore.
    /// </summary>
    private const int CooperativeSpinLimit = 2;

    /// <summary>
    /// A held range. Releasing a node points its <see cref="Next"/> at itself, the mark, after saving the
    /// successor in <see cref="FrozenNext"/>; from then on no insert can land behind the released node
    /// (its Next no longer equals what an inserter read), and traversals unlink it. Marking in place
    /// instead of through a separate marker object saves an allocation per release.
    /// </summary>
    private sealed class Node : RangeHolder
    {
        /// <summary>Successor, or this node itself once released. Changed only by compare-and-swap after publication.</summary>
        internal volatile Node? Next;

        /// <summary>
        /// The successor at the moment of release. Written only by the releasing owner, before the CAS
        /// that marks the node, so anyone who sees the mark also sees the right value.
        /// </summary>
        internal volatile Node? FrozenNext;

        /// <summary>Wakes waiters when this node is released or downgraded; created by the first waiter to park.</summary>
        internal volatile TaskCompletionSource? Signal;

        internal Node(long start, long end, bool isWrite)
            : base(start, end, isWrite)
        {
        }

        internal bool IsReleased => Next == this;

        /// <summary>The successor, the frozen one if this node was released.</summary>
        internal Node? Successor
        {
            get
            {
                var next = Next;
                return next == this ? FrozenNext : next;
            }
        }
    }

    /// <summary>
    /// A hold granted in whole-object mode: it lives in <c>_whole</c>, never in the list, so no
    /// traversal can reach it and it can be reused as soon as its release is complete. Each thread keeps
    /// one for reuse (<see cref="t_cached"/>), which saves an allocation per uncontended acquisition.
    /// Its range and mode are written before the compare-and-swap that publishes it, so whoever finds
    /// it in <c>_whole</c> reads the range it holds.
    /// </summary>
    private sealed class WholeHold : RangeHolder
    {
        /// <summary>This thread's reusable hold, shared by every list lock; busy while it is held.</summary>
        [ThreadStatic]
        private static WholeHold? t_cached;

        /// <summary>
        /// True once a release has finished with the hold (it reads the mode), so it may be reissued.
        /// Written last by the releasing thread, which may not be the owner's; read by the owner's thread.
        /// </summary>
        private volatile bool _free;

        private WholeHold(long start, long end, bool isWrite)
            : base(start, end, isWrite)
        {
        }

        /// <summary>
        /// This thread's cached hold reissued for the range, or a fresh one while the cached one is
        /// held, or always a fresh one when <paramref name="reuse"/> is false: under a model
        /// scheduler, where a thread's cache would carry state from one explored run into the next
        /// (a run cut short leaves its hold busy), so equal schedules would touch different objects.
        /// </summary>
        internal static WholeHold Rent(long start, long end, bool isWrite, bool reuse)
        {
            if (!reuse)
                return new WholeHold(start, end, isWrite);
            var cached = t_cached;
            if (cached is not null && cached._free)
            {
                cached._free = false;
                cached.Reissue(start, end, isWrite);
                return cached;
            }
            var fresh = new WholeHold(start, end, isWrite);
            // Race: none; t_cached is this thread's own. A hold still in use stays out of the cache until its release.
            t_cached ??= fresh;
            return fresh;
        }

        /// <summary>The last step of a release: from here the owner's thread may reissue the hold.</summary>
        internal void MarkFree()
        {
            Debug.Assert(!_free, "a hold is freed once per acquisition");
            _free = true;
        }

        /// <summary>Hands back a hold rented for a compare-and-swap that lost: it was never published.</summary>
        internal void GiveBack()
        {
            RetireToken(Token);
            MarkFree();
        }
    }

    /// <summary>
    /// <c>_whole</c> once the lock has gone to the list for good. A lock built without the fast path
    /// starts here; one with it gets here at the first moment two requests are present at once, and the
    /// hold granted in whole-object mode that is still present then becomes the <see cref="Leftover"/>.
    /// </summary>
    private sealed class ListMode(WholeHold? leftover)
    {
        /// <summary>
        /// The last whole-object hold, until its release clears this (with a full fence, before the hold
        /// can be reused). List requests that conflict with it wait on <see cref="_head"/> before inserting.
        /// </summary>
        internal volatile WholeHold? Leftover = leftover;
    }

    /// <summary>Sentinel before every node; its range is empty and below all others, so it never conflicts. Also what list requests wait on while the leftover whole-object hold conflicts.</summary>
    private readonly Node _head = new(long.MinValue, long.MinValue, isWrite: false);

    /// <summary>
    /// Whole-object fast path (FreeBSD's idea), one word changed only by compare-and-swap: null while
    /// nobody holds the lock, the one holder's <see cref="WholeHold"/> while somebody does, and a
    /// <see cref="ListMode"/> for good from the first moment a second request arrives. Holding one hold
    /// at a time keeps the switch exact: the leftover is one known range, so a list request waits for it
    /// only when the two really conflict (a bound over many holds would make a thread that holds one
    /// range wait for itself when it asks for a disjoint one).
    /// </summary>
    private object? _whole;

    /// <summary>Creates a list-based range lock.</summary>
    /// <param name="wholeObjectFastPath">
    /// Start in whole-object mode: while one request at a time holds the lock, each acquisition is one
    /// CAS on a shared word and nothing is allocated. The first time two requests are present at once
    /// (overlapping or not) the lock goes to the list for good. See docs/range-locks.md.
    /// </param>
    /// <param name="parking">How to wait, wake and yield; null (the default) for the host's own waits.</param>
    public ListRangeLock(bool wholeObjectFastPath = true, IRangeLockParking? parking = null)
        : base(parking) => _whole = wholeObjectFastPath ? null : new ListMode(leftover: null);

    private protected override RangeHolder? TryAcquireNow(long start, long end, bool isWrite)
    {
        Point("list_range_lock");
        Touch(this, write: false);
        if (Volatile.Read(ref _whole) is not ListMode)
        {
            var whole = TryAcquireWhole(start, end, isWrite);
            if (whole is not null)
                return whole;
        }
        // The uncontended list case: insert, validate, no waiting.
        var request = LockRequest.Immediate(start, end, isWrite);
        if (IsCompatible(_head, request))
        {
            var node = NewNode(request);
            if (Insert(node) is null)
            {
                Inserted();
                if (ValidateNow(node))
                    return node;
            }
        }
        return null;
    }

    private protected override void ReleaseCore(RangeHolder holder)
    {
        if (holder is Node node)
            MarkReleased(node);
        else
            ReleaseWhole((WholeHold)holder);
    }

    private protected override void DowngradeCore(RangeHolder holder)
    {
        Touch(holder, write: true);
        holder.SwitchToRead();
        // Race: a waiter publishes its signal, then reads the mode; the mode must be stored before we
        // look for the signal, and a volatile store may pass a later load without this fence.
        Interlocked.MemoryBarrier();
        if (holder is Node node)
        {
            WakeWaiters(node);
            return;
        }
        // Whole-object mode has no waiters; after the switch, list readers waiting on the leftover may pass.
        Touch(this, write: false);
        if (Volatile.Read(ref _whole) is ListMode)
            WakeWaiters(_head);
    }

    /// <summary>
    /// The waiting path: insert (waiting for earlier conflicting nodes), let a writer validate backward
    /// and retry on a concurrent overlap, then wait for later conflicting nodes.
    /// </summary>
    private protected override async ValueTask<RangeHolder?> AcquireWaitingAsync(LockRequest request, bool synchronous)
    {
        if (!await WaitUntilCompatibleAsync(_head, request, synchronous).ConfigureAwait(false))
            return null;
        while (true)
        {
            var node = NewNode(request);
            Node? blocker;
            while ((blocker = Insert(node)) is not null)
            {
                if (!await WaitUntilCompatibleAsync(blocker, request, synchronous).ConfigureAwait(false))
                    return null;
            }
            Inserted();
            if (node.IsWrite && !ValidateBackward(node))
            {
                // A concurrent overlapping request got in ahead; it may be waiting for us. Step aside.
                MarkReleased(node);
                continue;
            }
            return await WaitForwardAsync(node, request, synchronous).ConfigureAwait(false) ? node : null;
        }
    }

    /// <summary>
    /// Links <paramref name="node"/> at its place (after every node with the same or a smaller start)
    /// and returns null, or returns an earlier live node it conflicts with, leaving <paramref name="node"/> unlinked.
    /// Unlinks released nodes on the way.
    /// </summary>
    private Node? Insert(Node node)
    {
        restart:
        Node previous = _head;
        Touch(previous, write: false);
        Node? current = previous.Next;
        while (true)
        {
            if (current is null || current.Start > node.Start)
            {
                node.Next = current;
                if (TrySwing(previous, current, node, "list_range_lock_insert_cas"))
                    return null;
                // Race: a neighbour was inserted or released under us; the position is stale.
                goto restart;
            }
            Touch(current, write: false);
            var next = current.Next;
            if (next == current)
            {
                // Race: previous may itself be released now; then its Next is itself and the CAS fails.
                var frozen = current.FrozenNext;
                if (frozen is null || frozen.Start > node.Start)
                {
                    // The released node sits where ours goes: unlink it and link ours in one CAS
                    // (on a lock used by one holder at a time, the only CAS of the acquisition).
                    node.Next = frozen;
                    if (TrySwing(previous, current, node, "list_range_lock_insert_cas"))
                        return null;
                    goto restart;
                }
                if (!TrySwing(previous, current, frozen, "list_range_lock_unlink_cas"))
                    goto restart;
                current = frozen;
                continue;
            }
            if (current.ConflictsWith(node))
                return current;
            previous = current;
            current = next;
        }
    }

    /// <summary>
    /// Swings <paramref name="previous"/>.Next from <paramref name="expected"/> to
    /// <paramref name="replacement"/> in one CAS at the named scheduling point: links a node in,
    /// or unlinks a released one. False when a neighbour changed under us.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TrySwing(Node previous, Node? expected, Node? replacement, string point)
    {
        Point(point);
        Touch(previous, write: true);
        return Interlocked.CompareExchange(ref previous.Next, replacement, expected) == expected;
    }

    /// <summary>
    /// For a linked writer: true if no live node ahead of it overlaps. Such a node was inserted
    /// concurrently (the insert waited for the ones already there), and may be waiting for this writer.
    /// </summary>
    private bool ValidateBackward(Node node)
    {
        Debug.Assert(node.IsWrite && !node.IsReleased, "only a linked, live writer validates backward");
        restart:
        Node previous = _head;
        Touch(previous, write: false);
        Node? current = previous.Next;
        while (current != node)
        {
            Debug.Assert(current is not null && current.Start <= node.Start, "a live node is reachable from the head");
            Touch(current, write: false);
            var next = current.Next;
            if (next == current)
            {
                var frozen = current.FrozenNext;
                if (!TrySwing(previous, current, frozen, "list_range_lock_unlink_cas"))
                    goto restart;
                current = frozen;
                continue;
            }
            if (current.Overlaps(node))
                return false;
            previous = current;
            current = next;
        }
        return true;
    }

    /// <summary>First live later node that <paramref name="node"/> must wait for, scanning from <paramref name="from"/>.</summary>
    private Node? FirstLaterConflict(Node node, Node? from)
    {
        for (var current = from; current is not null && current.Start < node.End; current = current.Successor)
        {
            Touch(current, write: false);
            if (!current.IsReleased && current.ConflictsWith(node))
                return current;
        }
        return null;
    }

    /// <summary>The uncontended check after inserting: a writer validates backward; nobody may have to wait forward. On failure the node is released.</summary>
    private bool ValidateNow(Node node)
    {
        Touch(node, write: false);
        if ((!node.IsWrite || ValidateBackward(node)) && FirstLaterConflict(node, node.Successor) is null)
            return true;
        MarkReleased(node);
        return false;
    }

    /// <summary>Waits for every later conflicting node; on timeout or cancellation releases <paramref name="node"/> so nothing waits on a ghost.</summary>
    private async ValueTask<bool> WaitForwardAsync(Node node, LockRequest request, bool synchronous)
    {
        try
        {
            Touch(node, write: false);
            Node? blocker = FirstLaterConflict(node, node.Successor);
            while (blocker is not null)
            {
                if (!await WaitUntilCompatibleAsync(blocker, request, synchronous).ConfigureAwait(false))
                {
                    MarkReleased(node);
                    return false;
                }
                blocker = FirstLaterConflict(node, blocker);
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            MarkReleased(node);
            throw;
        }
    }

    /// <summary>
    /// Waits until <paramref name="blocker"/> no longer conflicts with <paramref name="request"/>:
    /// released, or downgraded when the request reads. Passing <see cref="_head"/> waits for whole-object
    /// holders to drain. Spins briefly, then parks on the blocker's signal. False on timeout.
    /// </summary>
    private async ValueTask<bool> WaitUntilCompatibleAsync(Node blocker, LockRequest request, bool synchronous)
    {
        if (IsCompatible(blocker, request))
            return true;
        if (Parking.Expired(request.Deadline))
            return false;
        if (Policy is not null)
            return WaitParked(blocker, request, Policy);
        if (SpinUntilCompatible(blocker, request))
            return true;
        while (true)
        {
            var signal = SignalOf(blocker);
            // Race: the blocker may have been released before the signal existed; the re-check after publishing it catches that.
            if (IsCompatible(blocker, request))
                return true;
            if (!await Parking.Park(signal.Task, request.Deadline, request.CancellationToken, synchronous).ConfigureAwait(false))
                return IsCompatible(blocker, request);
        }
    }

    /// <summary>Spins <see cref="SpinLimit"/> checks on the host; true once the blocker no longer conflicts.</summary>
    private bool SpinUntilCompatible(Node blocker, in LockRequest request)
    {
        var spinner = new SpinWait();
        for (int spin = 0; spin < SpinLimit; spin++)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (IsCompatible(blocker, request))
                return true;
        }
        return false;
    }

    /// <summary>
    /// <see cref="WaitUntilCompatibleAsync"/> under a policy: the spin phase yields to a cooperative
    /// scheduler (a spin without a scheduling point would never let the blocker's owner run), then
    /// the waiter parks on the blocker node, which <see cref="WakeWaiters"/> unparks.
    /// </summary>
    private bool WaitParked(Node blocker, in LockRequest request, IRangeLockParking policy)
    {
        if (!policy.IsCooperative)
        {
            if (SpinUntilCompatible(blocker, request))
                return true;
        }
        else
        {
            for (int spin = 0; spin < CooperativeSpinLimit; spin++)
            {
                policy.Yield("list_range_lock_spin");
                if (IsCompatible(blocker, request))
                    return true;
            }
        }
        while (true)
        {
            // No scheduling point between this check and Park: the releaser marks first and unparks after.
            if (IsCompatible(blocker, request))
                return true;
            policy.Park(blocker, "list_range_lock_wait", request.CancellationToken);
        }
    }

    // The wait condition of WaitUntilCompatibleAsync; the head stands for the whole-object holders.
    private bool IsCompatible(Node blocker, in LockRequest request)
    {
        if (ReferenceEquals(blocker, _head))
        {
            Touch(this, write: false);
            // Race: once the leftover is released it may be reissued and its range rewritten; it is
            // cleared first, so a range read after a non-null leftover is either the held one or moot,
            // and the re-check before parking reads the leftover again.
            var leftover = ((ListMode)Volatile.Read(ref _whole)!).Leftover;
            if (leftover is null)
                return true;
            Touch(leftover, write: false);
            return !leftover.ConflictsWith(request.Start, request.End, request.IsWrite);
        }
        Touch(blocker, write: false);
        return blocker.IsReleased || (!request.IsWrite && !blocker.IsWrite);
    }

    /// <summary>The blocker's signal, published with a full fence so that a releaser either sees it or is seen by the re-check.</summary>
    private static TaskCompletionSource SignalOf(Node blocker)
    {
        var fresh = Parking.NewSignal();
        return Interlocked.CompareExchange(ref blocker.Signal, fresh, null) ?? fresh;
    }

    /// <summary>
    /// Marks a linked node released: the successor is frozen in FrozenNext and Next points at the node
    /// itself, so no insert can land behind it. Context: the node's owner only, once (the token guarantees it).
    /// </summary>
    private void MarkReleased(Node node)
    {
        while (true)
        {
            Touch(node, write: false);
            var next = node.Next;
            // Race: two copies of one releaser disposed at once both pass the token check; the mark decides.
            if (next == node)
                throw new InvalidOperationException($"Cannot release {node}: it was already released (a copy of this RangeLockReleaser was disposed at the same time).");
            node.FrozenNext = next;
            Point("list_range_lock_release_cas");
            Touch(node, write: true);
            // Race: an insert behind us changes Next; retry with the new successor.
            if (Interlocked.CompareExchange(ref node.Next, node, next) == next)
                break;
        }
        Debug.Assert(node.IsReleased, "the mark is set");
        Point("list_range_lock_released");
        WakeWaiters(node);
    }

    /// <summary>Wakes whoever parked on <paramref name="node"/>; they re-check, and a writer still blocked parks again on a new signal.</summary>
    private void WakeWaiters(Node node)
    {
        if (Policy is not null)
        {
            // Waiters under a policy park on the node itself; an Unpark nobody waits for is harmless.
            Policy.Unpark(node);
            return;
        }
        // Race: a waiter publishes its signal with a full fence and then re-checks the node; our mark or
        // downgrade came before this read, so either we see the signal here or the waiter sees the change.
        if (node.Signal is null)
            return;
        var signal = Interlocked.Exchange(ref node.Signal, null);
        if (signal is not null)
            Parking.Wake(signal);
    }

    /// <summary>The scheduling point right after a node is linked, before validation: a concurrent insert ahead of it lands here.</summary>
    private void Inserted() => Point("list_range_lock_inserted");

    // A fresh list node; nodes are never reused, so a traversal never meets a recycled one.
    private static Node NewNode(in LockRequest request) =>
        new(request.Start, request.End, request.IsWrite);

    /// <summary>
    /// Whole-object mode: one CAS of <see cref="_whole"/> from null to this thread's hold. Returns null
    /// in list mode, and when somebody holds the word: that second request switches the lock to the
    /// list for good, with the present holder as the leftover.
    /// </summary>
    private WholeHold? TryAcquireWhole(long start, long end, bool isWrite)
    {
        WholeHold? hold = null;
        while (true)
        {
            Touch(this, write: false);
            object? whole = Volatile.Read(ref _whole);
            if (whole is null)
            {
                hold ??= WholeHold.Rent(start, end, isWrite, reuse: Policy is null);
                Touch(hold, write: true);
                Point("list_range_lock_whole_cas");
                Touch(this, write: true);
                if (Interlocked.CompareExchange(ref _whole, hold, null) is null)
                    return hold;
                continue;
            }
            if (whole is WholeHold holder)
            {
                Point("list_range_lock_switch_cas");
                Touch(this, write: true);
                // Race: the holder may leave (or this thread's hold come back) before the CAS; re-read then.
                if (Interlocked.CompareExchange(ref _whole, new ListMode(holder), holder) != holder)
                    continue;
            }
            hold?.GiveBack();
            return null;
        }
    }

    /// <summary>Drops a whole-object hold; if the lock switched to the list meanwhile, clears the leftover and wakes list requests waiting for it.</summary>
    private void ReleaseWhole(WholeHold hold)
    {
        Point("list_range_lock_whole_release");
        Touch(this, write: true);
        if (Interlocked.CompareExchange(ref _whole, null, hold) != hold)
        {
            var listMode = (ListMode)Volatile.Read(ref _whole)!;
            // A full fence: a waiter publishes its signal, then reads the leftover; we clear, then look for the signal.
            var cleared = Interlocked.Exchange(ref listMode.Leftover, null);
            Debug.Assert(cleared == hold, "only the hold present at the switch is released after it");
            WakeWaiters(_head);
        }
        hold.MarkFree();
    }
}
