using DaxLab.Base;

namespace DaxLab.Fs;

/// <summary>->iomap_begin / ->iomap_end and block allocation (xfs_iomap.c, xfs_bmap.c).</summary>
public sealed partial class FileSystem : IIomapOps
{
    /// <summary>->iomap_begin: see docs/fs.md.</summary>
    public Iomap IomapBegin(Inode inode, long pos, long length, IomapOp op)
    {
        ArgumentNullException.ThrowIfNull(inode);
        CheckRange(pos, length);
        bool write = (op & IomapOp.Write) != 0;
        // Before any lookup: a write to written blocks would otherwise reach the device unlogged.
        if (write)
            ThrowIfReadOnly();
        if (write && pos + length > Geometry.MaxFileSize)
            throw new ErrnoException(Errno.EFBIG, $"write to [{pos}, {pos + length}) past the largest file");
        long first = pos / BlockSize;
        long end = Math.Min((pos + length + BlockSize - 1) / BlockSize, Metadata.MaxFileBlocks);
        if (first >= end)
            return new Iomap(IomapType.Hole, first * BlockSize, BlockSize, Iomap.NoAddr, IomapFlags.None);
        seam.Point("xfs_file_iomap_begin");
        using (inode.Ilock.Read())
        {
            CheckLive(inode);
            Iomap found = LookupLocked(inode, first, end);
            // Reads, and writes over written blocks (the common case), share the ILOCK.
            if (!write || found.Type == IomapType.Mapped)
                return found;
        }
        // A hole or an unwritten extent: retake the ILOCK exclusive and look again, since
        // another writer may have filled it in between.
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            return WriteIomapLocked(inode, first, end);
        }
    }

    /// <summary>->iomap_end: written extents need nothing; the ILOCK was dropped in ->iomap_begin.</summary>
    public void IomapEnd(Inode inode, long pos, long length, long written, IomapOp op, in Iomap iomap)
    {
        ArgumentNullException.ThrowIfNull(inode);
        Invariant.Holds(iomap.Offset <= pos && pos < iomap.End, "->iomap_end for the extent ->iomap_begin returned");
        Invariant.Holds(written >= 0 && written <= length, "cannot write more than asked");
        Invariant.Holds((op & IomapOp.Write) == 0 || iomap.Type == IomapType.Mapped, "a write always gets written blocks");
    }

    /// <summary>Allocates unwritten extents over the holes of [offset, offset + length); ENOSPC leaves nothing half-done.</summary>
    public void Allocate(Inode inode, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(inode);
        CheckRange(offset, length);
        // Allocation zeroes blocks on the device before the record is committed.
        ThrowIfReadOnly();
        if (offset + length > Geometry.MaxFileSize)
            throw new ErrnoException(Errno.EFBIG, $"fallocate of [{offset}, {offset + length}) past the largest file");
        long first = offset / BlockSize;
        long end = (offset + length + BlockSize - 1) / BlockSize;
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            List<Extent> runs = AllocateHolesLocked(inode, first, end);
            var records = new LogRecord[runs.Count];
            for (int i = 0; i < runs.Count; i++)
                records[i] = LogRecord.Map(inode.Ino, runs[i]);
            try
            {
                Commit(records, null);
            }
            catch (ErrnoException)
            {
                FreeExtents(runs);
                throw;
            }
        }
    }

    /// <summary>The one extent (or hole) holding file block <paramref name="first"/>, cut at <paramref name="end"/>. Context: ILOCK held.</summary>
    private Iomap LookupLocked(Inode inode, long first, long end)
    {
        Invariant.Holds(inode.Ilock.IsLocked, "extent lookup needs the ILOCK");
        ExtentMap map = inode.Extents;
        int i = map.Search(first);
        if (i == map.Count || map[i].FileBlock > first)
        {
            long holeEnd = i == map.Count ? end : Math.Min(end, map[i].FileBlock);
            seam.Note($"ino {inode.Ino}: sees hole at blocks [{first}, {holeEnd})");
            return new Iomap(IomapType.Hole, first * BlockSize, (holeEnd - first) * BlockSize, Iomap.NoAddr, IomapFlags.None);
        }
        Extent e = map[i];
        long stop = Math.Min(e.FileEnd, end);
        IomapType type = e.Unwritten ? IomapType.Unwritten : IomapType.Mapped;
        seam.Note($"ino {inode.Ino}: sees {type} blocks [{first}, {stop}) at device block {e.DevOf(first)}");
        return new Iomap(type, first * BlockSize, (stop - first) * BlockSize, e.DevOf(first) * BlockSize, IomapFlags.None);
    }

    /// <summary>IOMAP_WRITE: allocate a hole or convert an unwritten extent at <paramref name="first"/>. Context: ILOCK exclusive.</summary>
    private Iomap WriteIomapLocked(Inode inode, long first, long end)
    {
        Invariant.Holds(inode.Ilock.IsWriteLocked, "allocation needs the ILOCK exclusive");
        Iomap found = LookupLocked(inode, first, end);
        long count = found.Length / BlockSize;
        switch (found.Type)
        {
            case IomapType.Mapped:
                return found;
            case IomapType.Unwritten:
                count = Math.Min(count, MaxAllocBlocks);
                long dev = found.Addr / BlockSize;
                ZeroBlocks(new BlockRun(dev, count));
                Commit([LogRecord.Convert(inode.Ino, first, count, unwritten: false)], null);
                seam.Note($"ino {inode.Ino}: converts unwritten blocks [{first}, {first + count}) to written");
                return found with { Type = IomapType.Mapped, Length = count * BlockSize, Flags = IomapFlags.New };
            default:
                return AllocateWriteLocked(inode, first, Math.Min(count, MaxAllocBlocks));
        }
    }

    /// <summary>xfs_bmapi_write for a hole: allocate, zero, log the mapping. Context: ILOCK exclusive.</summary>
    private Iomap AllocateWriteLocked(Inode inode, long first, long want)
    {
        seam.Point("xfs_bmapi_write");
        BlockRun run = allocator.Allocate(RequestFor(inode, first, want, pending: null), Volatile.Read(ref forcesDone), out bool reusesBusy)
            ?? throw new ErrnoException(Errno.ENOSPC, "no free block on the device");
        if (reusesBusy)
            ForceLogForBusy(run);
        // Zero before the mapping is logged: a mapped block never shows another file's old data,
        // even to a fault that maps it the moment the ILOCK is dropped.
        ZeroBlocks(run);
        try
        {
            Commit([LogRecord.Map(inode.Ino, new Extent(first, run.Start, run.Count, Unwritten: false))], null);
        }
        catch (ErrnoException)
        {
            allocator.Free(run);
            throw;
        }
        seam.Note($"ino {inode.Ino}: allocates blocks [{first}, {first + run.Count}) at device block {run.Start}");
        return new Iomap(IomapType.Mapped, first * BlockSize, run.Count * BlockSize, run.Start * BlockSize, IomapFlags.New);
    }

    /// <summary>
    /// fallocate's allocation: runs for every hole of [first, end), or none at all (ENOSPC frees
    /// what was taken). Not yet logged. Context: ILOCK exclusive.
    /// </summary>
    private List<Extent> AllocateHolesLocked(Inode inode, long first, long end)
    {
        Invariant.Holds(inode.Ilock.IsWriteLocked, "allocation needs the ILOCK exclusive");
        var holes = new List<(long First, long End)>();
        long total = 0;
        long cursor = first;
        ExtentMap map = inode.Extents;
        for (int i = map.Search(first); cursor < end; i++)
        {
            long next = i < map.Count ? Math.Min(map[i].FileBlock, end) : end;
            if (next > cursor)
            {
                holes.Add((cursor, next));
                total += next - cursor;
            }
            cursor = i < map.Count ? Math.Max(cursor, map[i].FileEnd) : end;
        }
        if (total > allocator.FreeBlocks)
            throw new ErrnoException(Errno.ENOSPC, $"fallocate needs {total} blocks, {allocator.FreeBlocks} free");
        var runs = new List<Extent>();
        bool reusesBusy = false;
        foreach ((long holeFirst, long holeEnd) in holes)
        {
            for (long b = holeFirst; b < holeEnd;)
            {
                Extent? pending = runs.Count > 0 ? runs[^1] : null;
                BlockRun? run = allocator.Allocate(RequestFor(inode, b, Math.Min(holeEnd - b, MaxAllocBlocks), pending), Volatile.Read(ref forcesDone), out bool busy);
                reusesBusy |= busy;
                if (run is null)
                {
                    FreeExtents(runs);
                    throw new ErrnoException(Errno.ENOSPC, $"fallocate ran out of blocks at file block {b}");
                }
                runs.Add(new Extent(b, run.Value.Start, run.Value.Count, Unwritten: true));
                b += run.Value.Count;
            }
        }
        if (reusesBusy)
            ForceLogForBusy(new BlockRun(runs[0].DevBlock, runs[0].Count));
        return runs;
    }

    /// <summary>
    /// The allocation goals for mapping file block <paramref name="first"/> (a hole): continue
    /// an extent of the same 2 MiB file region (or <paramref name="pending"/>, a run allocated
    /// but not yet mapped), else the previous extent wherever it is. Context: ILOCK exclusive.
    /// </summary>
    private static AllocRequest RequestFor(Inode inode, long first, long want, Extent? pending)
    {
        ExtentMap map = inode.Extents;
        int i = map.Search(first);
        Extent? prev = i > 0 ? map[i - 1] : null;
        if (pending is { } p && (prev is null || p.FileEnd > prev.Value.FileEnd) && p.FileEnd <= first)
            prev = p;
        Extent? next = i < map.Count ? map[i] : null;
        long regionStart = first - first % Geometry.PagesPerPmd;
        long goal = -1;
        if (prev is { } before && before.FileEnd > regionStart)
            goal = before.DevOf(first);
        else if (next is { } after && after.FileBlock < regionStart + Geometry.PagesPerPmd)
            goal = after.DevOf(first);
        long near = prev is { } last ? last.DevOf(first) : -1;
        return new AllocRequest(first, want, goal, near);
    }

    /// <summary>
    /// Zeroes new blocks on the device and makes the zeros durable (XFS_BMAPI_ZERO's
    /// xfs_zero_extent) before the record that maps them can be: a log record can reach
    /// persistence at any moment (a cache line evicted), and a mapping durable before its
    /// zeros would show the block's old contents, another file's data, after a power failure.
    /// Context: ILOCK exclusive.
    /// </summary>
    private unsafe void ZeroBlocks(BlockRun run)
    {
        Invariant.Holds(run.Count <= MaxAllocBlocks, "one allocation's worth of zeroing");
        // Device memory other CPUs may be loading through their mappings.
        var blocks = Device.Span(run.Start * BlockSize, checked((int)(run.Count * BlockSize)));
        seam.AccessMemory(blocks, write: true);
        blocks.Clear();
        Device.Flush(run.Start * BlockSize, run.Count * BlockSize);
        Device.Fence();
    }

    /// <summary>
    /// The allocation got blocks freed by a record a crash could still undo: force the log
    /// (xfs_extent_busy_reuse's log force) so the freeing is durable before the blocks are
    /// zeroed, written or mapped again. Context: ILOCK exclusive, allocator lock not held.
    /// </summary>
    private void ForceLogForBusy(BlockRun run)
    {
        seam.Note($"reuses busy blocks at device block {run.Start}: forces the log");
        SyncLog();
    }

    private void FreeExtents(List<Extent> extents)
    {
        foreach (Extent e in extents)
            allocator.Free(new BlockRun(e.DevBlock, e.Count));
    }
}
