using System.Numerics;
using DaxLab.Base;

namespace DaxLab.Fs;

/// <summary>fsck (xfs_repair -n): rebuild block ownership from the extent maps and compare.</summary>
public sealed partial class FileSystem
{
    /// <summary>Reports kept per check: a wrecked image would otherwise produce one line per block.</summary>
    private const int MaxCheckReports = 100;

    /// <summary>fsck: every inconsistency found (blocks lost or doubly owned, extents past the device, ...). Empty when consistent.</summary>
    /// <remarks>Context: no operation in flight (a write between allocating and logging its blocks would show them as lost).</remarks>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        // Snapshot the allocator before taking the log lock: the allocator lock is a leaf and
        // is never held together with the log lock.
        ulong[] used = allocator.SnapshotBitmap();
        using (logLock.Write())
        {
            ulong[] owned = new ulong[layout.TotalBlocks / 64];
            long extents = 0;
            foreach (Inode inode in md.ByIno.Values.OrderBy(i => i.Ino))
            {
                CheckInode(inode, owned, problems);
                extents += inode.Extents.Count;
            }
            if (extents != md.ExtentTotal || extents > layout.MaxExtents)
                Report(problems, $"extent total: counted {extents}, recorded {md.ExtentTotal}, limit {layout.MaxExtents}");
            if (md.ByIno.Count > layout.MaxInodes || md.ByName.Count != md.ByIno.Count)
                Report(problems, $"inode table: {md.ByIno.Count} inodes, {md.ByName.Count} names, limit {layout.MaxInodes}");
            CompareWithAllocator(used, owned, problems);
        }
        foreach (string problem in allocator.CheckSummaries())
            Report(problems, problem);
        return problems;
    }

    /// <summary>Adds a finding while fewer than <see cref="MaxCheckReports"/> are listed: a wrecked image must not list every block.</summary>
    private static void Report(List<string> problems, string problem)
    {
        if (problems.Count < MaxCheckReports)
            problems.Add(problem);
    }

    /// <summary>One inode: size, extent order and bounds; marks its blocks in <paramref name="owned"/>. Context: log lock.</summary>
    private void CheckInode(Inode inode, ulong[] owned, List<string> problems)
    {
        string who = $"inode {inode.Ino} '{inode.Name}'";
        if (inode.Size < 0 || inode.Size > Geometry.MaxFileSize)
            Report(problems, $"{who}: size {inode.Size} out of range");
        if (!ReferenceEquals(md.ByName.GetValueOrDefault(inode.Name), inode))
            Report(problems, $"{who}: name does not lead back to the inode");
        Extent? prev = null;
        foreach (Extent e in inode.Extents.All)
        {
            if (prev is { } p && p.FileEnd > e.FileBlock)
                Report(problems, $"{who}: extents at file blocks {p.FileBlock} and {e.FileBlock} overlap");
            prev = e;
            if (e.Count <= 0 || e.FileBlock < 0 || e.FileEnd > Metadata.MaxFileBlocks)
                Report(problems, $"{who}: extent at file block {e.FileBlock} has bad bounds (count {e.Count})");
            if (e.DevBlock < layout.FirstDataBlock || e.DevEnd > layout.TotalBlocks)
            {
                Report(problems, $"{who}: extent at file block {e.FileBlock} maps device blocks [{e.DevBlock}, {e.DevEnd}) outside the data area");
                continue;
            }
            for (long b = e.DevBlock; b < e.DevEnd; b++)
            {
                ulong bit = 1UL << (int)(b % 64);
                if ((owned[b / 64] & bit) != 0)
                    Report(problems, $"{who}: device block {b} is owned twice");
                owned[b / 64] |= bit;
            }
        }
    }

    /// <summary>Blocks the allocator holds that nobody owns are lost; owned blocks it thinks free would be handed out twice.</summary>
    private void CompareWithAllocator(ulong[] used, ulong[] owned, List<string> problems)
    {
        for (long b = 0; b < layout.FirstDataBlock; b++)
        {
            if ((used[b / 64] & (1UL << (int)(b % 64))) == 0)
                Report(problems, $"metadata block {b} is free in the allocator");
        }
        for (long w = layout.FirstDataBlock / 64; w < used.Length; w++)
        {
            ulong mask = w == layout.FirstDataBlock / 64 ? ~0UL << (int)(layout.FirstDataBlock % 64) : ~0UL;
            ulong differ = (used[w] ^ owned[w]) & mask;
            while (differ != 0 && problems.Count < MaxCheckReports)
            {
                int bit = BitOperations.TrailingZeroCount(differ);
                differ &= differ - 1;
                long b = w * 64 + bit;
                Report(problems, (owned[w] & (1UL << bit)) != 0
                    ? $"device block {b} is owned by a file but free in the allocator"
                    : $"device block {b} is lost: allocated but owned by no file");
            }
        }
    }
}
