using DaxLab.Base;

namespace DaxLab.Device;

/// <summary>Where a crash may strike: just before a flush (<c>clwb</c>) or a fence (<c>sfence</c>) takes effect.</summary>
public enum CrashPointKind
{
    Flush,
    Fence,
}

/// <summary>
/// One cache line a crash may keep or lose: its device offset and the values it may hold after
/// the crash besides its durable one (its value when last flushed, if that was not fenced yet
/// and differs from now, and its value now).
/// </summary>
public sealed record CrashLine(long Offset, IReadOnlyList<byte[]> Versions);

/// <summary>
/// The power-fail model of persistent memory (issue #11; Yat, Vinter and Chipmunk model the same
/// rules): stores sit in the CPU cache, one 64-byte line at a time, until written back. A flush
/// (<see cref="Writeback"/>, <c>clwb</c>/<c>clflushopt</c>) starts the write-back of a range of
/// lines; a fence (<see cref="Fence"/>, <c>sfence</c>) waits for every flush before it, so those
/// lines are durable before any store after the fence can be. A line not yet made durable by a
/// fence may still reach the persistence domain on its own (eviction) at any time, so a crash
/// keeps any subset of those lines, each with its durable value, its value when flushed, or its
/// value now.
/// </summary>
/// <remarks>
/// The device's memory is what the CPUs see; this model keeps beside it the image the
/// persistence domain holds (<see cref="durable"/>) and the lines flushed since the last fence
/// with the value each had when flushed. The lines a crash may change are found by comparing
/// the two images, so stores need no hook: the engine stores through plain pointers as ever.
/// Not modelled: a value a line held between two crash points and overwrote before the second
/// (each line offers its durable value, its value at its last flush and its current value).
/// Context: single-threaded use (the crash-state explorer runs one workload on one thread).
/// </remarks>
public sealed unsafe class PowerFailModel
{
    /// <summary>The unit the CPU writes back and a power failure keeps or loses (x86's cache line).</summary>
    public const int LineBytes = 64;

    /// <summary>The largest device the model shadows: the explorer compares the whole image at each crash point.</summary>
    public const long MaxDeviceBytes = 64L << 20;

    private readonly PmemDevice device;

    /// <summary>What the persistence domain holds: the image a crash starts from.</summary>
    private readonly byte[] durable;

    /// <summary>Lines flushed since the last fence (line offset → value when flushed), waiting for a fence.</summary>
    private Dictionary<long, byte[]> flushed = [];

    /// <summary>With fences removed: the lines of the previous fence's window, drained only at the next fence.</summary>
    private Dictionary<long, byte[]> lagging = [];

    internal PowerFailModel(PmemDevice device, bool fencesOrder)
    {
        this.device = device;
        FencesOrder = fencesOrder;
        durable = new byte[device.Size];
        new ReadOnlySpan<byte>(device.Base, checked((int)device.Size)).CopyTo(durable);
    }

    /// <summary>
    /// False models a file system with its fences removed: a fence then drains only the lines
    /// flushed before the previous fence, so lines flushed on either side of a fence may reach
    /// persistence in either order (the weak spot the explorer must find).
    /// </summary>
    public bool FencesOrder { get; }

    /// <summary>Called before each flush and each fence takes effect: the explorer's crash points.</summary>
    public Action<CrashPointKind>? CrashPoint { get; set; }

    /// <summary>Flushes so far (crash points of kind Flush).</summary>
    public long Flushes { get; private set; }

    /// <summary>Fences so far: the fence epoch the next flush belongs to.</summary>
    public long Fences { get; private set; }

    /// <summary>clwb of every line touching [addr, addr + length): each line's current value is on its way to persistence.</summary>
    internal void Writeback(long addr, long length)
    {
        if (length == 0)
            return;
        CrashPoint?.Invoke(CrashPointKind.Flush);
        Flushes++;
        for (long line = addr & ~(LineBytes - 1L); line < addr + length; line += LineBytes)
            flushed[line] = new ReadOnlySpan<byte>(device.Base + line, LineBytes).ToArray();
    }

    /// <summary>sfence: every line flushed before it is durable before any later store can be.</summary>
    internal void Fence()
    {
        CrashPoint?.Invoke(CrashPointKind.Fence);
        Fences++;
        if (FencesOrder)
        {
            Drain(flushed);
            flushed = [];
            return;
        }
        Drain(lagging);
        lagging = flushed;
        flushed = [];
    }

    /// <summary>Makes the given lines' flushed values durable.</summary>
    private void Drain(Dictionary<long, byte[]> lines)
    {
        foreach ((long line, byte[] value) in lines)
            value.CopyTo(durable, line);
    }

    /// <summary>
    /// The lines a crash now may keep or lose, in device order: every line whose value now, or
    /// whose value at a flush not yet fenced, differs from its durable value.
    /// </summary>
    public IReadOnlyList<CrashLine> UncertainLines()
    {
        var lines = new SortedDictionary<long, List<byte[]>>();
        var now = new ReadOnlySpan<byte>(device.Base, checked((int)device.Size));
        const int Page = Geometry.PageSize;
        for (int page = 0; page < durable.Length; page += Page)
        {
            if (now.Slice(page, Page).SequenceEqual(durable.AsSpan(page, Page)))
                continue;
            for (int line = page; line < page + Page; line += LineBytes)
            {
                if (!now.Slice(line, LineBytes).SequenceEqual(durable.AsSpan(line, LineBytes)))
                    lines[line] = [now.Slice(line, LineBytes).ToArray()];
            }
        }
        foreach (Dictionary<long, byte[]> window in (Dictionary<long, byte[]>[])[lagging, flushed])
            AddFlushedValues(lines, window);
        return lines.Select(l => new CrashLine(l.Key, l.Value)).ToList();
    }

    /// <summary>A flushed value not yet fenced is one more a crash may leave, unless it is the durable or an already listed value.</summary>
    private void AddFlushedValues(SortedDictionary<long, List<byte[]>> lines, Dictionary<long, byte[]> window)
    {
        foreach ((long line, byte[] value) in window)
        {
            if (value.AsSpan().SequenceEqual(durable.AsSpan((int)line, LineBytes)))
                continue;
            if (!lines.TryGetValue(line, out List<byte[]>? versions))
                lines[line] = versions = [];
            if (!versions.Any(v => v.AsSpan().SequenceEqual(value)))
                versions.Add(value);
        }
    }

    /// <summary>Copies the durable image into <paramref name="target"/> (a device of the same size): the crash that keeps no uncertain line.</summary>
    public void CopyDurableTo(PmemDevice target)
    {
        Invariant.Holds(target.Size == durable.Length, "a crash image has the device's size");
        durable.CopyTo(target.Span(0, durable.Length));
    }

    /// <summary>Puts line <paramref name="offset"/>'s durable value back into <paramref name="target"/>.</summary>
    public void RestoreLine(PmemDevice target, long offset) =>
        durable.AsSpan((int)offset, LineBytes).CopyTo(target.Span(offset, LineBytes));
}
