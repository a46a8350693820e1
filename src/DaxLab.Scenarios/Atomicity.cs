namespace DaxLab.Scenarios;

/// <summary>
/// One run's reads and writes (<see cref="ScenarioWorld.Log"/>) and the file's content before
/// them, as the atomicity checks question it. Order comes from the logical start and end times:
/// an operation that ended before another began is ordered before it; two that overlap in time
/// may be ordered either way.
/// </summary>
/// <remarks>
/// The log is taken CPU by CPU, each in its own order, not in the order operations ended: runs
/// the checker treats as equivalent may end operations of different CPUs in either order (see
/// <see cref="OperationClock"/>), and must be judged alike, down to the order of the messages.
/// </remarks>
internal sealed class OpHistory(IReadOnlyList<LoggedOp> log, byte[] initial)
{
    public IReadOnlyList<LoggedOp> Reads { get; } = [.. InCpuOrder(log).Where(o => !o.IsWrite)];

    public IReadOnlyList<LoggedOp> Writes { get; } = [.. InCpuOrder(log).Where(o => o.IsWrite)];

    // A stable sort: each CPU's operations keep the order the CPU logged them in.
    private static IEnumerable<LoggedOp> InCpuOrder(IReadOnlyList<LoggedOp> log) => log.OrderBy(o => o.Cpu);

    /// <summary>
    /// The per-byte rule: whether <paramref name="read"/> may return <paramref name="value"/> at
    /// byte <paramref name="at"/>, as the value before it (that of the latest writes that ended
    /// before it began, or the initial one) or that of a write overlapping it in time, with
    /// <paramref name="without"/> taken as never having run (what "the read came first" allows).
    /// Loops instead of queries: it runs for every byte of every read of every run.
    /// </summary>
    public bool Allows(LoggedOp read, long at, byte value, LoggedOp? without = null)
    {
        bool anyBefore = false;
        foreach (var write in Writes)
        {
            if (ReferenceEquals(write, without) || !write.Covers(at) || write.Start > read.End)
                continue;
            if (write.End < read.Start)
            {
                anyBefore = true;
                if (IsLatestBefore(write, read, at) && write.At(at) == value)
                    return true;
            }
            else if (write.At(at) == value)
            {
                return true;
            }
        }
        return !anyBefore && (at < initial.Length ? initial[at] : (byte)0) == value;
    }

    // A write that ended before the read began but was followed, at that byte, by another such write
    // that began after it ended cannot be what the read sees there.
    private bool IsLatestBefore(LoggedOp write, LoggedOp read, long at) =>
        !Writes.Any(later => later.Covers(at) && later.End < read.Start && later.Start > write.End);

    /// <summary>
    /// The first maximal run of bytes in [<paramref name="from"/>, <paramref name="to"/>) where
    /// <paramref name="holds"/> is true, or null: a violation is reported as a byte range, not
    /// byte by byte.
    /// </summary>
    public static (long Start, long End)? FirstRun(long from, long to, Func<long, bool> holds)
    {
        long start = from;
        while (start < to && !holds(start))
            start++;
        if (start == to)
            return null;
        long end = start + 1;
        while (end < to && holds(end))
            end++;
        return (start, end);
    }
}

/// <summary>
/// Read atomicity byte by byte, for every read (pread and mread alike): each byte a read returned
/// was the value before the read (the last write that ended before it began, or the setup's
/// value) or was written by a write that overlapped it in time.
/// </summary>
internal static class ReadAtomicity
{
    /// <summary>One message per read, at its first byte no write explains: the rest of it adds little.</summary>
    public static IEnumerable<string> Violations(OpHistory history)
    {
        foreach (var read in history.Reads)
        {
            if (OpHistory.FirstRun(read.Offset, read.EndOffset, at => !history.Allows(read, at, read.At(at))) is { } run)
                yield return $"{read.Label} returned 0x{read.At(run.Start):x2} at byte {run.Start}, a value no write there could have left";
        }
    }
}

/// <summary>
/// System-call atomicity (POSIX XSH 2.9.7; Linux gives it through i_rwsem): read(2) and write(2)
/// of a regular file take effect each at one instant with respect to one another. It covers
/// pread, pwrite and the zeroing operations logged as writes (truncate, fpunch, fzero), not
/// loads and stores through a mapping, which are atomic only as far as the hardware makes them.
/// Two rules, for system calls that overlapped in time and in bytes (those that did not are
/// already ordered, and <see cref="ReadAtomicity"/> checks them):
/// <list type="number">
/// <item>Torn read: a read R and a write W. Over their common bytes, R must be orderable wholly
/// after W (every byte is W's, or that of a write that may fall between them: one that ended after
/// W began and began before R ended) or wholly before W (every byte is one the per-byte rule allows
/// with W left out). A byte both explain (W wrote what was already there) counts for both.</item>
/// <item>Interleaved writes: two writes W1 and W2. Over their common bytes inside the final file
/// that no other write may have overwritten after them (none covers the byte and ended after the
/// earlier of their starts; mapped stores count), the final content must be wholly W1's or wholly
/// W2's (equal bytes count for both).</item>
/// </list>
/// Sound where writes are serialized and exclude reads (v4.12's i_rwsem): every run then has a
/// serial order consistent with the times, in which the read falls before or after each write and
/// the later of two writes wins every common byte no third write overwrote.
/// </summary>
internal static class SystemCallAtomicity
{
    /// <summary>One message per pair of calls that no order explains, each rule in turn.</summary>
    /// <param name="history">The run's log.</param>
    /// <param name="readFinal">The file's bytes at [offset, offset + length) after the run, fewer at EOF.</param>
    public static IEnumerable<string> Violations(OpHistory history, Func<long, int, byte[]> readFinal)
    {
        var writes = history.Writes.Where(w => w.IsSystemCall).ToList();
        foreach (var read in history.Reads.Where(r => r.IsSystemCall))
        {
            foreach (var write in writes.Where(w => Overlap(read, w)))
            {
                if (TornRead(history, read, write) is { } torn)
                    yield return torn;
            }
        }
        for (int i = 0; i < writes.Count; i++)
        {
            foreach (var second in writes.Skip(i + 1).Where(w => Overlap(writes[i], w)))
            {
                if (InterleavedWrites(history, writes[i], second, readFinal) is { } interleaved)
                    yield return interleaved;
            }
        }
    }

    // Only operations that overlapped both in time and in bytes can be ordered either way.
    private static bool Overlap(LoggedOp a, LoggedOp b) =>
        a.Start < b.End && b.Start < a.End && Math.Max(a.Offset, b.Offset) < Math.Min(a.EndOffset, b.EndOffset);

    /// <summary>Rule 1: a message when no order of <paramref name="read"/> and <paramref name="write"/> explains every common byte.</summary>
    private static string? TornRead(OpHistory history, LoggedOp read, LoggedOp write)
    {
        long from = Math.Max(read.Offset, write.Offset), to = Math.Min(read.EndOffset, write.EndOffset);
        var notBefore = OpHistory.FirstRun(from, to, at => !history.Allows(read, at, read.At(at), without: write));
        var notAfter = OpHistory.FirstRun(from, to, at => !CouldFollow(history, read, write, at));
        if (notBefore is not { } early || notAfter is not { } late)
            return null;
        return $"torn read: {read.Label} overlapped {write.Label}: bytes {Range(early)} cannot precede the write, bytes {Range(late)} cannot follow it";
    }

    // After W, byte `at` holds W's value or that of a write ordered between W and the read.
    private static bool CouldFollow(OpHistory history, LoggedOp read, LoggedOp write, long at)
    {
        byte value = read.At(at);
        return write.At(at) == value || history.Writes.Any(other =>
            !ReferenceEquals(other, write) && other.Covers(at) && other.End > write.Start && other.Start < read.End && other.At(at) == value);
    }

    /// <summary>Rule 2: a message when the final content over the pair's common bytes is neither write's alone.</summary>
    private static string? InterleavedWrites(OpHistory history, LoggedOp first, LoggedOp second, Func<long, int, byte[]> readFinal)
    {
        long from = Math.Max(first.Offset, second.Offset), to = Math.Min(first.EndOffset, second.EndOffset);
        var final = readFinal(from, checked((int)(to - from)));
        bool Judged(long at) => at - from < final.Length && !OverwrittenLater(history, first, second, at);
        var notFirst = OpHistory.FirstRun(from, to, at => Judged(at) && final[at - from] != first.At(at));
        var notSecond = OpHistory.FirstRun(from, to, at => Judged(at) && final[at - from] != second.At(at));
        if (notFirst is not { } a || notSecond is not { } b)
            return null;
        return $"interleaved writes: {first.Label} and {second.Label} overlapped: the file ends with bytes {Range(a)} not from the first, bytes {Range(b)} not from the second";
    }

    // A third write over the byte that may come after either of the pair leaves the pair nothing to say there.
    private static bool OverwrittenLater(OpHistory history, LoggedOp first, LoggedOp second, long at) =>
        history.Writes.Any(other => !ReferenceEquals(other, first) && !ReferenceEquals(other, second)
            && other.Covers(at) && other.End > Math.Min(first.Start, second.Start));

    // A byte range as the reports print it: half-open file offsets.
    private static string Range((long Start, long End) run) => $"[{run.Start}, {run.End})";
}
