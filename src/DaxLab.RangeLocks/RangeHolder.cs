using System.Diagnostics;

namespace DaxLab.RangeLocks;

/// <summary>
/// One acquisition as both algorithms see it: the range, its mode, and the token that makes stale
/// releasers detectable. Nodes are never reused, so the token only has to tell apart the write
/// releaser, the read releaser a downgrade produced, and "released".
/// </summary>
internal abstract class RangeHolder
{
    /// <summary>Token value once released; no releaser ever carries it.</summary>
    private const int RetiredToken = -1;

    internal readonly long Start;
    internal readonly long End;

    // Written only by the holder itself (downgrade), read by waiters deciding whether they may pass.
    private volatile bool _isWrite;

    // Changed only by compare-exchange, so two copies of a releaser racing to release cannot both win.
    private int _token;

    protected RangeHolder(long start, long end, bool isWrite)
    {
        Start = start;
        End = end;
        _isWrite = isWrite;
    }

    internal bool IsWrite => _isWrite;

    /// <summary>Half-open ranges overlap when each starts before the other ends.</summary>
    internal bool Overlaps(RangeHolder other) => Start < other.End && other.Start < End;

    /// <summary>Two holders conflict when they overlap and at least one writes.</summary>
    internal bool ConflictsWith(RangeHolder other) => (IsWrite || other.IsWrite) && Overlaps(other);

    /// <summary>
    /// Marks the acquisition released if <paramref name="token"/> is current; throws otherwise, so a
    /// copied releaser disposed twice fails loudly instead of releasing someone else's hold.
    /// </summary>
    internal void RetireToken(int token)
    {
        int seen = Interlocked.CompareExchange(ref _token, RetiredToken, token);
        if (seen != token)
            throw StaleReleaser(seen, "release");
        Debug.Assert(Volatile.Read(ref _token) == RetiredToken, "a retired token never comes back");
    }

    /// <summary>
    /// Makes the write releaser stale and returns the token for the read releaser replacing it.
    /// Context: the lock then switches the mode with <see cref="SwitchToRead"/> under its own rules.
    /// </summary>
    internal int AdvanceTokenForDowngrade(int token)
    {
        int seen = Interlocked.CompareExchange(ref _token, token + 1, token);
        if (seen != token)
            throw StaleReleaser(seen, "downgrade");
        Debug.Assert(_isWrite, "only a write hold has a current token that a downgrade can advance");
        return token + 1;
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
    private InvalidOperationException StaleReleaser(int seen, string operation) =>
        new(seen == RetiredToken
            ? $"Cannot {operation} [{Start}, {End}): it was already released (a copy of this RangeLockReleaser was disposed before)."
            : $"Cannot {operation} [{Start}, {End}) through this releaser: the hold was downgraded to read; dispose the releaser returned by Downgrade instead.");
}
