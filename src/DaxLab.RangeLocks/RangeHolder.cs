using System.Diagnostics;

namespace DaxLab.RangeLocks;

/// <summary>
/// One acquisition as both algorithms see it: the range, its mode, and the token that makes stale
/// releasers detectable. List nodes and fair requests are never reused; the list lock's whole-object
/// holds are (<see cref="Reissue"/>), so a token names one acquisition of a holder: tokens of one
/// holder grow by two per acquisition, and the odd one after each is its downgraded read releaser.
/// </summary>
/// <remarks>
/// The token check is a plain compare and store on the releasing thread, not an atomic: it catches a
/// copy disposed after the first release (or a write releaser used after its downgrade). Two threads
/// disposing copies of one releaser at the same moment race in the caller; the list lock's mark
/// compare-and-swap still lets only one of them release a list node.
/// </remarks>
internal abstract class RangeHolder
{
    /// <summary>Token value once released; no releaser ever carries it.</summary>
    private const int RetiredToken = -1;

    // Fixed for list nodes and fair requests; rewritten by Reissue for a reused whole-object hold.
    internal long Start;
    internal long End;

    // Written only by the holder itself (downgrade), read by waiters deciding whether they may pass.
    private volatile bool _isWrite;

    // The current releaser's token, or RetiredToken. Written by the owner of the acquisition only.
    private int _token;

    // The token the current acquisition started with: even, and never negative.
    private int _issued;

    protected RangeHolder(long start, long end, bool isWrite)
    {
        Start = start;
        End = end;
        _isWrite = isWrite;
    }

    /// <summary>The token for the releaser of the current acquisition.</summary>
    internal int Token => _token;

    internal bool IsWrite => _isWrite;

    /// <summary>Half-open ranges overlap when each starts before the other ends.</summary>
    internal bool Overlaps(RangeHolder other) => Start < other.End && other.Start < End;

    /// <summary>Two holders conflict when they overlap and at least one writes.</summary>
    internal bool ConflictsWith(RangeHolder other) => ConflictsWith(other.Start, other.End, other.IsWrite);

    /// <summary>Whether a request for <c>[start, end)</c> in the given mode conflicts with this holder.</summary>
    internal bool ConflictsWith(long start, long end, bool isWrite) => (IsWrite || isWrite) && Start < end && start < End;

    /// <summary>
    /// Marks the acquisition released if <paramref name="token"/> is current; throws otherwise, so a
    /// copied releaser disposed twice fails loudly instead of releasing someone else's hold.
    /// </summary>
    internal void RetireToken(int token)
    {
        int seen = _token;
        if (seen != token)
            throw StaleReleaser(seen, token, "release");
        _token = RetiredToken;
    }

    /// <summary>
    /// Makes the write releaser stale and returns the token for the read releaser replacing it.
    /// Context: the lock then switches the mode with <see cref="SwitchToRead"/> under its own rules.
    /// </summary>
    internal int AdvanceTokenForDowngrade(int token)
    {
        int seen = _token;
        if (seen != token)
            throw StaleReleaser(seen, token, "downgrade");
        Debug.Assert(_isWrite && (token & 1) == 0, "only a write hold has a current token that a downgrade can advance");
        _token = token + 1;
        return token + 1;
    }

    /// <summary>
    /// Starts a new acquisition of a released holder: new range and mode, and a token no earlier
    /// releaser of this holder carries. Context: the holder is released and owned by the caller.
    /// </summary>
    private protected void Reissue(long start, long end, bool isWrite)
    {
        Debug.Assert(_token == RetiredToken, "only a released holder is reissued");
        Start = start;
        End = end;
        _isWrite = isWrite;
        // Past both the previous write token and its downgraded read token; wraps after 2^30 reuses.
        _issued = (_issued + 2) & int.MaxValue;
        _token = _issued;
    }

    /// <summary>
    /// Write to read. Context: the fair lock calls it under its gate, because waiters count
    /// conflicts by mode there; the list lock calls it just before waking waiters.
    /// </summary>
    internal void SwitchToRead()
    {
        Debug.Assert(_isWrite, "a hold is downgraded once");
        _isWrite = false;
    }

    /// <summary>Mode and range, as a policy's reports name a wait object: <c>write [0, 4096)</c>.</summary>
    public override string ToString() => $"{(IsWrite ? "write" : "read")} [{Start}, {End})";

    // Says which of the two misuses happened, so the caller can find the extra Dispose.
    private InvalidOperationException StaleReleaser(int seen, int token, string operation) =>
        new(seen != token + 1 || (token & 1) != 0
            ? $"Cannot {operation} [{Start}, {End}): it was already released (a copy of this RangeLockReleaser was disposed before)."
            : $"Cannot {operation} [{Start}, {End}) through this releaser: the hold was downgraded to read; dispose the releaser returned by Downgrade instead.");
}
