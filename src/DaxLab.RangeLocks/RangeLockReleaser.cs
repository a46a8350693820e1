namespace DaxLab.RangeLocks;

/// <summary>
/// Proof of one acquisition. Dispose it exactly once to release the range. Copies share the
/// acquisition: disposing a second copy throws <see cref="InvalidOperationException"/> instead of
/// releasing twice, because the holder carries a token that the first release retires.
/// </summary>
public readonly struct RangeLockReleaser : IDisposable
{
    private readonly RangeLock? _owner;
    private readonly RangeHolder? _holder;
    private readonly int _token;

    internal RangeLockReleaser(RangeLock owner, RangeHolder holder, int token, bool isWrite)
    {
        _owner = owner;
        _holder = holder;
        _token = token;
        IsWrite = isWrite;
    }

    /// <summary>Inclusive start of the held range.</summary>
    public long Start => _holder?.Start ?? 0;

    /// <summary>Exclusive end of the held range.</summary>
    public long End => _holder?.End ?? 0;

    /// <summary>True for a write hold, false for a read hold (including one produced by <see cref="Downgrade"/>).</summary>
    public bool IsWrite { get; }

    /// <summary>
    /// True if this value came from a successful acquisition. It stays true after disposal, since a
    /// struct cannot see what happened to its copies; disposal itself detects a second release.
    /// </summary>
    public bool IsAcquired => _holder is not null;

    /// <summary>Releases the range. Throws <see cref="InvalidOperationException"/> if it was already released or downgraded.</summary>
    public void Dispose()
    {
        RequireAcquired("release");
        _owner!.Release(_holder!, _token);
    }

    /// <summary>
    /// Turns this write hold into a read hold on the same range without letting a writer in between,
    /// and wakes readers waiting on the range. This releaser becomes stale: dispose the returned one.
    /// </summary>
    public RangeLockReleaser Downgrade()
    {
        RequireAcquired("downgrade");
        if (!IsWrite)
            throw new InvalidOperationException(
                $"Cannot downgrade [{Start}, {End}): it is held for reading already; only a write hold can be downgraded.");
        return _owner!.Downgrade(_holder!, _token);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsAcquired ? $"{(IsWrite ? "write" : "read")} [{Start}, {End})" : "not acquired";

    // A default value (or the out value of a failed TryAcquire) holds nothing; using it is a caller bug.
    private void RequireAcquired(string operation)
    {
        if (_holder is null)
            throw new InvalidOperationException(
                $"Cannot {operation}: this RangeLockReleaser holds no range (it is a default value or came from a failed TryAcquire).");
    }
}
