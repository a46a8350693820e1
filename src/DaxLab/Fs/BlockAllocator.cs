using System.Diagnostics;
using System.Numerics;
using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>What an allocation wants (xfs_alloc_arg, reduced).</summary>
/// <param name="FileBlock">The first file block to map; its position in its 2 MiB file region decides the congruent device block.</param>
/// <param name="Want">Blocks wanted; fewer may be given, at least one.</param>
/// <param name="Goal">Device block continuing an extent of the same 2 MiB file region, or -1.</param>
/// <param name="NearGoal">Device block continuing the file's previous extent elsewhere, or -1.</param>
internal readonly record struct AllocRequest(long FileBlock, long Want, long Goal, long NearGoal);

/// <summary>
/// The block allocator: a bitmap of 4 KiB blocks (set = in use) plus, per 2 MiB region, the
/// count of free blocks, so "a fully free region" and "any free block" are found without
/// scanning the bitmap.
/// </summary>
/// <remarks>
/// Policy (see docs/fs.md): continue the file's extent in the same 2 MiB file region; else
/// start a fully free region at the block congruent to the file block (device block ≡ file
/// block mod 512), so files written 4 KiB at a time still fill whole PMD-mappable regions;
/// else continue the file's previous extent; else take any free block.
/// </remarks>
internal sealed class BlockAllocator
{
    private const int BlocksPerRegion = Geometry.PagesPerPmd;
    private const int BitsPerWord = 64;

    /// <summary>
    /// allocator lock (xfs's AGF buffer lock, one AG). Guards every field below; the free-block
    /// count is written under it but also read without it, as a hint (ENOSPC pre-checks). A leaf:
    /// nothing is taken under it.
    /// </summary>
    private readonly DaxLab.Sync.Spinlock allocLock;
    private readonly Seam seam;
    private readonly ulong[] bitmap;
    private readonly int[] regionFree;
    private readonly long totalBlocks;
    private long freeBlocks;
    private long fullyFreeRegions;
    private int cursorRegion;

    /// <summary>
    /// Runs freed by records that may not be durable yet, each with the count of completed log
    /// forces it waits to exceed (xfs's busy extents). A crash could still bring back the
    /// extent that freed them, so writing them before a log force would show one file another's
    /// data. Pruned on each allocation; bounded by the runs freed between two log forces.
    /// </summary>
    private readonly List<(BlockRun Run, long Force)> busy = [];

    /// <summary>A device of <paramref name="totalBlocks"/> blocks whose first <paramref name="reservedBlocks"/> hold metadata.</summary>
    public BlockAllocator(Seam seam, long totalBlocks, long reservedBlocks)
    {
        Invariant.Holds(totalBlocks % BlocksPerRegion == 0, "the device is whole 2 MiB regions");
        Invariant.Holds(reservedBlocks > 0 && reservedBlocks < totalBlocks, "metadata leaves room for data");
        this.seam = seam;
        this.totalBlocks = totalBlocks;
        allocLock = seam.NewSpinLock("allocator");
        bitmap = new ulong[totalBlocks / BitsPerWord];
        regionFree = new int[totalBlocks / BlocksPerRegion];
        Array.Fill(regionFree, BlocksPerRegion);
        freeBlocks = totalBlocks;
        fullyFreeRegions = regionFree.Length;
        using (allocLock.Hold())
            MarkUsed(0, reservedBlocks);
        DataBlocks = totalBlocks - reservedBlocks;
    }

    /// <summary>Blocks that can ever hold file data.</summary>
    public long DataBlocks { get; }

    /// <summary>The free count, read without the allocator lock (fallocate's ENOSPC check, statfs): declared for the checker.</summary>
    public long FreeBlocks
    {
        get
        {
            seam.Access(this, write: false);
            return Volatile.Read(ref freeBlocks);
        }
    }

    /// <summary>
    /// xfs_alloc_vextent: one contiguous run of 1..Want blocks, or null when the device is full.
    /// <paramref name="reusesBusy"/> says the run holds a block freed by a record not yet durable
    /// (xfs_extent_busy): the caller must force the log before writing the block, or a crash
    /// could give the block to both files. <paramref name="forcesDone"/> is the file system's
    /// count of completed log forces, which retires busy runs.
    /// </summary>
    public BlockRun? Allocate(in AllocRequest request, long forcesDone, out bool reusesBusy)
    {
        Invariant.Holds(request.Want > 0, "allocation of nothing");
        seam.Point("xfs_alloc_vextent");
        reusesBusy = false;
        using (allocLock.Hold())
        {
            long start = PickStart(request);
            if (start < 0)
                return null;
            long count = FreeRunLength(start, request.Want);
            Invariant.Holds(count > 0, "the picked start is free");
            MarkUsed(start, count);
            var run = new BlockRun(start, count);
            busy.RemoveAll(b => b.Force < forcesDone);
            reusesBusy = busy.Exists(b => b.Run.Start < run.End && run.Start < b.Run.End);
            return run;
        }
    }

    /// <summary>Reserves a run that log replay found in an extent (mount). False when any block is already used.</summary>
    public bool Claim(BlockRun run)
    {
        using (allocLock.Hold())
        {
            if (run.Start < 0 || run.End > totalBlocks || FreeRunLength(run.Start, run.Count) != run.Count)
                return false;
            MarkUsed(run.Start, run.Count);
            return true;
        }
    }

    /// <summary>Returns a run to the free space (xfs_free_extent).</summary>
    public void Free(BlockRun run) => Free(run, busyUntil: -1);

    /// <summary>
    /// Returns a run freed by a logged record: busy (xfs_extent_busy_insert) until the log force
    /// numbered <paramref name="busyUntil"/> completes, so that reusing it first forces the log.
    /// </summary>
    public void Free(BlockRun run, long busyUntil)
    {
        using (allocLock.Hold())
        {
            if (busyUntil >= 0)
                busy.Add((run, busyUntil));
            for (long b = run.Start; b < run.End; b++)
            {
                ulong bit = 1UL << (int)(b % BitsPerWord);
                Invariant.Holds((bitmap[b / BitsPerWord] & bit) != 0, "free of a free block");
                bitmap[b / BitsPerWord] &= ~bit;
                int region = (int)(b / BlocksPerRegion);
                if (++regionFree[region] == BlocksPerRegion)
                    fullyFreeRegions++;
            }
            seam.Access(this, write: true);
            freeBlocks += run.Count;
        }
    }

    /// <summary>A copy of the bitmap (bit set = block in use), for fsck.</summary>
    public ulong[] SnapshotBitmap()
    {
        using (allocLock.Hold())
            return (ulong[])bitmap.Clone();
    }

    /// <summary>fsck of the allocator's own summaries: region counts and the free total against the bitmap.</summary>
    public IEnumerable<string> CheckSummaries()
    {
        var problems = new List<string>();
        using (allocLock.Hold())
        {
            long free = 0;
            for (int r = 0; r < regionFree.Length; r++)
            {
                int used = 0;
                for (int w = r * BlocksPerRegion / BitsPerWord; w < (r + 1) * BlocksPerRegion / BitsPerWord; w++)
                    used += BitOperations.PopCount(bitmap[w]);
                if (BlocksPerRegion - used != regionFree[r])
                    problems.Add($"allocator: region {r} counts {regionFree[r]} free blocks, bitmap has {BlocksPerRegion - used}");
                free += BlocksPerRegion - used;
            }
            if (free != freeBlocks)
                problems.Add($"allocator: free total {freeBlocks}, bitmap has {free}");
        }
        return problems;
    }

    /// <summary>The allocation policy; -1 when nothing is free. Context: allocator lock.</summary>
    private long PickStart(in AllocRequest request)
    {
        Invariant.Holds(allocLock.IsHeld, "PickStart needs the allocator lock");
        if (freeBlocks == 0)
            return -1;
        if (IsFree(request.Goal))
            return request.Goal;
        // Crossing into a new file region: continuing the previous extent keeps the file
        // contiguous, and if that region is entirely free it is just as PMD-friendly.
        if (IsFree(request.NearGoal) && regionFree[request.NearGoal / BlocksPerRegion] == BlocksPerRegion
            && request.NearGoal % BlocksPerRegion == request.FileBlock % BlocksPerRegion)
            return request.NearGoal;
        if (fullyFreeRegions > 0)
            return (long)FindRegion(BlocksPerRegion) * BlocksPerRegion + request.FileBlock % BlocksPerRegion;
        if (IsFree(request.NearGoal))
            return request.NearGoal;
        int region = FindRegion(1);
        return FirstFreeIn(region);
    }

    /// <summary>A region with at least <paramref name="minFree"/> free blocks, searched round-robin from the cursor. Context: allocator lock; one exists.</summary>
    private int FindRegion(int minFree)
    {
        for (int i = 0; i < regionFree.Length; i++)
        {
            int r = (cursorRegion + i) % regionFree.Length;
            if (regionFree[r] >= minFree)
            {
                cursorRegion = r;
                return r;
            }
        }
        throw new UnreachableException("the free counts promised a region");
    }

    private long FirstFreeIn(int region)
    {
        for (int w = region * BlocksPerRegion / BitsPerWord; w < (region + 1) * BlocksPerRegion / BitsPerWord; w++)
        {
            if (bitmap[w] != ulong.MaxValue)
                return (long)w * BitsPerWord + BitOperations.TrailingZeroCount(~bitmap[w]);
        }
        throw new UnreachableException("region count says free, bitmap says full");
    }

    /// <summary>
    /// Whether every block of <paramref name="run"/> is in use. Read without the allocator lock:
    /// the caller owns the run, so its bits cannot change, and each word is read whole.
    /// </summary>
    public bool IsAllocated(BlockRun run)
    {
        for (long b = run.Start; b < run.Start + run.Count; b++)
        {
            if ((Volatile.Read(ref bitmap[b / BitsPerWord]) & (1UL << (int)(b % BitsPerWord))) == 0)
                return false;
        }
        return true;
    }

    private bool IsFree(long block) =>
        block >= 0 && block < totalBlocks && (bitmap[block / BitsPerWord] & (1UL << (int)(block % BitsPerWord))) == 0;

    /// <summary>Length of the free run at <paramref name="start"/>, at most <paramref name="max"/>, a word at a time.</summary>
    private long FreeRunLength(long start, long max)
    {
        long b = start;
        while (b < totalBlocks && b - start < max)
        {
            int shift = (int)(b % BitsPerWord);
            ulong used = bitmap[b / BitsPerWord] >> shift;
            if (used == 0)
            {
                b += BitsPerWord - shift;
                continue;
            }
            b += BitOperations.TrailingZeroCount(used);
            break;
        }
        return Math.Min(Math.Min(b, totalBlocks) - start, max);
    }

    private void MarkUsed(long start, long count)
    {
        Invariant.Holds(allocLock.IsHeld, "MarkUsed needs the allocator lock");
        for (long b = start; b < start + count; b++)
        {
            ulong bit = 1UL << (int)(b % BitsPerWord);
            Invariant.Holds((bitmap[b / BitsPerWord] & bit) == 0, "allocation of a used block");
            bitmap[b / BitsPerWord] |= bit;
            int region = (int)(b / BlocksPerRegion);
            if (regionFree[region]-- == BlocksPerRegion)
                fullyFreeRegions--;
        }
        seam.Access(this, write: true);
        freeBlocks -= count;
    }
}
