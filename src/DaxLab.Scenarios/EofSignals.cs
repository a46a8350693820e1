using DaxLab.Base;

namespace DaxLab.Scenarios;

/// <summary>
/// A load or store through a mapping (`mread`, `mwrite`) over file bytes [Offset, Offset +
/// Length), between logical times Start and End; <paramref name="SigBusAt"/> is the file offset
/// whose fault raised SIGBUS, null when every byte was accessed.
/// </summary>
internal sealed record MappedAccess(int Cpu, string Command, long Offset, long Length, long Start, long End, long? SigBusAt)
{
    public string Label => $"CPU{Cpu + 1}'s '{Command}'";
}

/// <summary>
/// A call that set i_size between logical times Start and End: to exactly Size (truncate), or,
/// when <paramref name="Extends"/>, to Size only if that is larger (a write or fallocate past
/// EOF, which never shrinks the file).
/// </summary>
internal sealed record SizeChange(long Size, bool Extends, long Start, long End)
{
    public long Apply(long before) => Extends ? Math.Max(before, Size) : Size;
}

/// <summary>
/// What a mapped access past EOF must do (the kernel's rule: a fault on a page wholly past
/// i_size raises SIGBUS, and truncate unmaps what lies past the new size, so nothing can reach
/// such a page without a fault). Judged against the sizes the file may have had while the access
/// ran, as the logical times allow:
/// <list type="bullet">
/// <item>an access that went through touched no page that was wholly past EOF at every instant
/// of it (a fault raced by a shrinking truncate either saw the old size and was unmapped, or
/// raised SIGBUS);</item>
/// <item>a SIGBUS came from a page that was wholly past EOF at some instant of it.</item>
/// </list>
/// </summary>
/// <remarks>
/// Each size change takes effect at one instant inside its call, in an order the times allow
/// (one that ended before another began came first). The sizes possible during an access are
/// those after every prefix of such an order that holds all the changes ended before the access
/// began and none begun after it ended. Scenarios have a handful of such calls, so the orders
/// are enumerated; past <see cref="MaxChanges"/> the rule says nothing rather than guess.
/// </remarks>
internal static class EofSignals
{
    /// <summary>The most size changes whose orders are enumerated (7! = 5040).</summary>
    public const int MaxChanges = 7;

    public static IEnumerable<string> Violations(IReadOnlyList<MappedAccess> accesses, IReadOnlyList<SizeChange> changes, long initialSize)
    {
        if (changes.Count > MaxChanges)
            yield break;
        // CPU by CPU, not in the order the accesses ended, which equivalent runs may not share (see OpHistory).
        foreach (var access in accesses.OrderBy(a => a.Cpu))
        {
            var (least, most) = SizesDuring(access, changes, initialSize);
            long reached = access.SigBusAt ?? access.Offset + access.Length;
            long firstPastEof = Math.Max(access.Offset, Geometry.PageAlignUp(most));
            if (reached > firstPastEof)
                yield return $"{access.Label} reached file offset {firstPastEof}, wholly past EOF while it ran (i_size at most {most}), without SIGBUS";
            if (access.SigBusAt is long at && Geometry.PageAlignDown(at) < Geometry.PageAlignUp(least))
                yield return $"{access.Label} raised SIGBUS at file offset {at}, inside EOF while it ran (i_size at least {least})";
        }
    }

    /// <summary>The smallest and largest i_size the file may have had at some instant of <paramref name="access"/>.</summary>
    private static (long Least, long Most) SizesDuring(MappedAccess access, IReadOnlyList<SizeChange> changes, long initialSize)
    {
        long least = long.MaxValue, most = long.MinValue;
        foreach (var order in Orders(changes))
        {
            long size = initialSize;
            for (int applied = 0; applied <= order.Count; applied++)
            {
                if (applied > 0)
                    size = order[applied - 1].Apply(size);
                if (!PrefixFits(order, applied, access))
                    continue;
                least = Math.Min(least, size);
                most = Math.Max(most, size);
            }
        }
        Invariant.Holds(least <= most, "some prefix of some order fits every access: the changes ended before it, and none begun after it");
        return (least, most);
    }

    // The first `applied` changes of `order` may be exactly those in effect at an instant of the access.
    private static bool PrefixFits(List<SizeChange> order, int applied, MappedAccess access)
    {
        for (int i = 0; i < order.Count; i++)
        {
            if (i < applied && order[i].Start > access.End)
                return false;
            if (i >= applied && order[i].End < access.Start)
                return false;
        }
        return true;
    }

    /// <summary>Every order of <paramref name="changes"/> in which none comes before one that ended before it began.</summary>
    private static IEnumerable<List<SizeChange>> Orders(IReadOnlyList<SizeChange> changes)
    {
        var order = new List<SizeChange>(changes.Count);
        var used = new bool[changes.Count];
        return Extend();

        IEnumerable<List<SizeChange>> Extend()
        {
            if (order.Count == changes.Count)
            {
                yield return order;
                yield break;
            }
            for (int i = 0; i < changes.Count; i++)
            {
                if (used[i] || Enumerable.Range(0, changes.Count).Any(j => !used[j] && j != i && changes[j].End < changes[i].Start))
                    continue;
                used[i] = true;
                order.Add(changes[i]);
                foreach (var complete in Extend())
                    yield return complete;
                order.RemoveAt(order.Count - 1);
                used[i] = false;
            }
        }
    }
}
