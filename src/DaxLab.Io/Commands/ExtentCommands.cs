using DaxLab.Base;
using DaxLab.Io.Backends;

namespace DaxLab.Io.Commands;

/// <summary>
/// fiemap and bmap: a file's extents and holes in 512-byte units, in xfs_io 6.1's layouts (what
/// fstests' _filter_fiemap and _filter_bmap read). fiemap asks FS_IOC_FIEMAP in batches of 32 as
/// xfs_io does; bmap builds XFS_IOC_GETBMAPX's answer from the whole file's extents, as XFS's
/// xfs_getbmap would for a file system of one allocation group.
/// </summary>
public static class ExtentCommands
{
    /// <summary>xfs_io asks FS_IOC_FIEMAP for this many extents at a time (EXTENT_BATCH); its column widths come from the first batch.</summary>
    const int FiemapBatch = 32;

    /// <summary>BBSHIFT: both commands print 512-byte units.</summary>
    const int SectorShift = 9;

    /// <summary>The 4 KiB block both file systems allocate in: bmap's trailing hole ends at EOF rounded up to it.</summary>
    const long BlockSize = 4096;

    /// <summary>Column minima of both verbose tables (xfs_io's 16 for ranges, 5 for totals and flags).</summary>
    const int MinRangeWidth = 16, MinTotalWidth = 5, MinFlagsWidth = 5;

    /// <summary>fiemap [-alv] [-n nx] [offset [len]].</summary>
    public static bool Fiemap(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "aln:v", ReadWriteCommands.ErrorsOf(s));
        bool attributeFork = false, lengths = false, verbose = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'a': attributeFork = true; break;
                case 'l': lengths = true; break;
                case 'n': s.FiemapMaxExtents = Atoi(option.Argument!); break;
                case 'v': verbose = true; break;
                default: return s.UsageFailure(CommandTable.Fiemap);
            }
        }
        if (!TryFiemapRange(s, options.Operands, out long start, out long rangeEnd))
            return false;
        s.Out($"{s.CurrentFile!.Path}:\n");
        var table = new FiemapTable(s, verbose, lengths, (ulong)start);
        if (!table.PrintExtents(rangeEnd, attributeFork) || table.Printed == s.FiemapMaxExtents)
            return false;
        table.PrintTrailingHole(rangeEnd, s.CurrentFile.Stat().Size);
        return false;
    }

    /// <summary>The optional offset and length; -1 as the range's end means "to the end" (xfs_io's u64 -1).</summary>
    static bool TryFiemapRange(IoSession s, IReadOnlyList<string> operands, out long start, out long rangeEnd)
    {
        start = 0;
        rangeEnd = -1;
        if (operands.Count > 0 && (start = CNumbers.Cvtnum(operands[0])) < 0)
            return s.Fail($"non-numeric offset argument -- {operands[0]}\n");
        if (operands.Count < 2)
            return true;
        long length = CNumbers.Cvtnum(operands[1]);
        if (length < 0)
            return s.Fail($"non-numeric len argument -- {operands[1]}\n");
        rangeEnd = unchecked(start + length);
        return true;
    }

    /// <summary>
    /// One fiemap listing: where it has got to (the end of the last extent printed, the number
    /// of lines), and the verbose table's column widths.
    /// </summary>
    sealed class FiemapTable(IoSession s, bool verbose, bool lengths, ulong start)
    {
        int offsetWidth = MinRangeWidth, blockWidth = MinRangeWidth, totalWidth = MinTotalWidth, flagsWidth = MinFlagsWidth;

        public ulong LastLogical { get; private set; } = start;

        /// <summary>Lines printed so far, holes included: xfs_io's cur_extent, which -n limits.</summary>
        public int Printed { get; private set; }

        /// <summary>Asks for batches until the kernel says LAST, the range is done, or -n is reached; false when the ioctl failed.</summary>
        public bool PrintExtents(long rangeEnd, bool attributeFork)
        {
            while (true)
            {
                ulong length = unchecked((ulong)rangeEnd - LastLogical);
                if (!TryFiemap(LastLogical, length, attributeFork, out var extents))
                    return false;
                if (extents.Count == 0)
                    return true;
                foreach (IoExtent extent in extents)
                {
                    if (verbose && Printed == 0)
                        MeasureColumns(extents);
                    Printed += verbose ? PrintVerbose(extent) : PrintPlain(extent);
                    LastLogical = extent.Logical + extent.Length;
                    if ((extent.Flags & IoExtent.Last) != 0 || LastLogical >= (ulong)rangeEnd || Printed == s.FiemapMaxExtents)
                        return true;
                }
            }
        }

        /// <summary>The ioctl; on an errno xfs_io's message with its progname and the run fails.</summary>
        bool TryFiemap(ulong from, ulong length, bool attributeFork, out IReadOnlyList<IoExtent> extents)
        {
            try
            {
                extents = s.CurrentFile!.Fiemap(from, length, FiemapBatch, attributeFork);
                return true;
            }
            catch (ErrnoException error)
            {
                s.Err($"{IoSession.ProgramName}: ioctl(FS_IOC_FIEMAP) [\"{s.CurrentFile!.Path}\"]: {IoSession.ErrnoText(error.Errno)}\n");
                s.ExitCode = 1;
                extents = [];
                return false;
            }
        }

        /// <summary>calc_print_format: widths from the first batch, up to its LAST extent (the offsets measured without their colon).</summary>
        void MeasureColumns(IReadOnlyList<IoExtent> extents)
        {
            foreach (IoExtent e in extents)
            {
                ulong logical = e.Logical >> SectorShift, length = e.Length >> SectorShift, block = e.Physical >> SectorShift;
                offsetWidth = Math.Max(offsetWidth, $"[{logical}..{unchecked(logical + length - 1)}]".Length);
                blockWidth = Math.Max(blockWidth, $"{block}..{unchecked(block + length - 1)}".Length);
                totalWidth = Math.Max(totalWidth, length.ToString().Length);
                flagsWidth = Math.Max(flagsWidth, e.Flags.ToString("x").Length);
                if ((e.Flags & IoExtent.Last) != 0)
                    break;
            }
        }

        /// <summary>One verbose line, after the header (first line) and the hole before the extent, if any.</summary>
        int PrintVerbose(IoExtent e)
        {
            var (first, length, block, holeFirst) = Sectors(e);
            if (Printed == 0)
                s.Out($"{"EXT",4}: {Left("FILE-OFFSET", offsetWidth)} {Left("BLOCK-RANGE", blockWidth)} {Right("TOTAL", totalWidth)} {Right("FLAGS", flagsWidth)}\n");
            int printed = PrintHoleBefore(holeFirst, first);
            if (Printed + printed == s.FiemapMaxExtents)
                return printed;
            string range = $"[{first}..{unchecked(first + length - 1)}]:", blocks = $"{block}..{unchecked(block + length - 1)}";
            s.Out($"{Printed + printed,4}: {Left(range, offsetWidth)} {Left(blocks, blockWidth)} {Right(length.ToString(), totalWidth)} {Right($"0x{e.Flags:x}", flagsWidth)}\n");
            return printed + 1;
        }

        /// <summary>One plain line ("\tN: [a..b]: c..d"), after the hole before the extent, if any.</summary>
        int PrintPlain(IoExtent e)
        {
            var (first, length, block, holeFirst) = Sectors(e);
            int printed = PrintHoleBefore(holeFirst, first);
            if (Printed + printed == s.FiemapMaxExtents)
                return printed;
            s.Out($"\t{Printed + printed}: [{first}..{unchecked(first + length - 1)}]: {block}..{unchecked(block + length - 1)}{Blocks(length)}\n");
            return printed + 1;
        }

        /// <summary>The extent in sectors, and where the hole before it would start.</summary>
        (ulong First, ulong Length, ulong Block, ulong HoleFirst) Sectors(IoExtent e) =>
            (e.Logical >> SectorShift, e.Length >> SectorShift, e.Physical >> SectorShift, LastLogical >> SectorShift);

        int PrintHoleBefore(ulong holeFirst, ulong first)
        {
            if (first <= holeFirst)
                return 0;
            PrintHole(Printed, holeFirst, first, plain: !verbose, withLength: lengths);
            return 1;
        }

        /// <summary>The hole from the last extent to EOF, or to the end of the range asked for if that is sooner.</summary>
        public void PrintTrailingHole(long rangeEnd, long size)
        {
            ulong end = Math.Min((ulong)rangeEnd, (ulong)size);
            if (Printed > 0 && LastLogical < end)
                PrintHole(Printed, LastLogical >> SectorShift, end >> SectorShift, plain: !verbose, withLength: lengths);
        }

        /// <summary>print_hole: "[a..b]: hole", plain or in the verbose columns.</summary>
        void PrintHole(int index, ulong first, ulong end, bool plain, bool withLength)
        {
            string range = $"[{first}..{unchecked(end - 1)}]";
            if (plain)
                s.Out($"\t{index}: {range}: hole{(withLength ? $" {end - first} blocks" : "")}\n");
            else
                s.Out($"{index,4}: {Left(range + ":", offsetWidth)} {Left("hole", blockWidth)} {Right((end - first).ToString(), totalWidth)}\n");
        }

        string Blocks(ulong length) => lengths ? $" {length} blocks" : "";
    }

    /// <summary>XFS_IOC_GETBMAPX's iflags, as xfs_io passes and prints them.</summary>
    [Flags]
    enum BmapFlags
    {
        None = 0,
        AttributeFork = 0x1,
        NoDmapiRead = 0x2,
        Prealloc = 0x4,
        Delalloc = 0x8,
        CowFork = 0x20,
    }

    /// <summary>One getbmapx record in 512-byte units; Block -1 is a hole.</summary>
    readonly record struct BmapEntry(long Offset, long Block, long Length, bool Unwritten)
    {
        public const long Hole = -1;

        public long End => Offset + Length;
    }

    /// <summary>bmap [-acelpv] [-n nx].</summary>
    public static bool Bmap(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "acelpvn:", ReadWriteCommands.ErrorsOf(s));
        var flags = BmapFlags.None;
        bool lengths = false;
        int count = 0, verbose = 0;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'a': flags |= BmapFlags.AttributeFork; break;
                case 'c': flags |= BmapFlags.CowFork | BmapFlags.Delalloc; break;
                case 'e': flags |= BmapFlags.Delalloc; break;
                case 'l': lengths = true; break;
                case 'n': count = Atoi(option.Argument!); break;
                case 'p': flags |= BmapFlags.Prealloc; break;
                case 'v': verbose++; break;
                default: return s.Usage(CommandTable.Bmap);
            }
        }
        bool prealloc = flags.HasFlag(BmapFlags.Prealloc);
        if ((flags & (BmapFlags.AttributeFork | BmapFlags.CowFork)) != 0)
            flags &= ~(BmapFlags.Prealloc | BmapFlags.NoDmapiRead);
        if (!TryGetBmap(s, flags, count, out var entries))
            return false;
        string name = s.CurrentFile!.Path;
        if (count == 0 && entries.Count == 0)
        {
            s.Out($"{name}: no extents\n");
            return false;
        }
        int shown = count != 0 ? Math.Min(count, entries.Count) : entries.Count;
        s.Out($"{name}:\n");
        if (verbose == 0)
            PrintBmapPlain(s, entries.Take(shown).ToList(), lengths);
        else
            PrintBmapVerbose(s, entries.Take(shown).ToList(), prealloc, legend: verbose > 1);
        return false;
    }

    /// <summary>
    /// xfs_io's ioctl loop: room for nx + 2 records with -n, else 32 and, if that filled up, twice
    /// the extent count + 1; the kernel fills all but one. A CoW fork (no reflink here) and room
    /// for under 2 records are EINVAL, forgiven for an empty file as xfs_io forgives it.
    /// </summary>
    static bool TryGetBmap(IoSession s, BmapFlags flags, int count, out List<BmapEntry> entries)
    {
        entries = [];
        int room = count != 0 ? count + 2 : 32;
        var file = s.CurrentFile!;
        long size = file.Stat().Size;
        if (room < 2 || flags.HasFlag(BmapFlags.CowFork))
        {
            if (!flags.HasFlag(BmapFlags.AttributeFork) && size == 0)
                return true;
            s.Err($"{IoSession.ProgramName}: xfsctl(XFS_IOC_GETBMAPX) iflags=0x{(int)flags:x} [\"{file.Path}\"]: {IoSession.ErrnoText(Errno.EINVAL)}\n");
            s.ExitCode = 1;
            return false;
        }
        if (flags.HasFlag(BmapFlags.AttributeFork))
            return true;
        var extents = file.Fiemap(0, ulong.MaxValue, int.MaxValue, attributeFork: false);
        var all = BmapRecords(extents, size, flags);
        if (count == 0 && all.Count >= room - 1 && 2 * extents.Count > room)
            room = 2 * extents.Count + 1;
        entries = all.Take(room - 1).ToList();
        return true;
    }

    /// <summary>
    /// xfs_getbmap over the data fork: each extent (unwritten ones flagged only with -p), a hole
    /// before any extent that does not follow the last, and one from the last extent to EOF. A
    /// file without extents has no records, or with -e one hole over the whole file.
    /// </summary>
    static List<BmapEntry> BmapRecords(IReadOnlyList<IoExtent> extents, long size, BmapFlags flags)
    {
        var records = new List<BmapEntry>();
        long end = (size + BlockSize - 1) / BlockSize * BlockSize >> SectorShift;
        if (extents.Count == 0)
        {
            if (flags.HasFlag(BmapFlags.Delalloc))
                records.Add(new BmapEntry(0, BmapEntry.Hole, end, false));
            return records;
        }
        long next = 0;
        foreach (IoExtent e in extents)
        {
            long offset = (long)(e.Logical >> SectorShift), length = (long)(e.Length >> SectorShift);
            if (offset > next)
                records.Add(new BmapEntry(next, BmapEntry.Hole, offset - next, false));
            bool unwritten = (e.Flags & IoExtent.Unwritten) != 0 && flags.HasFlag(BmapFlags.Prealloc);
            records.Add(new BmapEntry(offset, (long)(e.Physical >> SectorShift), length, unwritten));
            next = offset + length;
        }
        if (next < end)
            records.Add(new BmapEntry(next, BmapEntry.Hole, end - next, false));
        return records;
    }

    /// <summary>"\tN: [a..b]: c..d" or "hole", with " N blocks" for -l.</summary>
    static void PrintBmapPlain(IoSession s, List<BmapEntry> entries, bool lengths)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            string where = e.Block == BmapEntry.Hole ? "hole" : $"{e.Block}..{e.Block + e.Length - 1}";
            s.Out($"\t{i}: [{e.Offset}..{e.End - 1}]: {where}{(lengths ? $" {e.Length} blocks" : "")}\n");
        }
    }

    /// <summary>bmap's flag for an unwritten extent in -v's octal FLAGS column (FLG_PRE).</summary>
    const int UnwrittenFlag = 0x1000;

    /// <summary>Digits of bmap -v's octal FLAGS column (NFLG).</summary>
    const int FlagDigits = 6;

    /// <summary>
    /// bmap -v: XFS's table with its allocation-group columns. The DaxLab file system is one
    /// allocation group over the whole device, so AG is 0 and AG-OFFSET repeats the block range;
    /// there is no stripe unit, so FLAGS shows only unwritten extents, with -p.
    /// </summary>
    static void PrintBmapVerbose(IoSession s, List<BmapEntry> entries, bool prealloc, bool legend)
    {
        int offsetWidth = MinRangeWidth, blockWidth = MinRangeWidth, agOffsetWidth = MinRangeWidth, totalWidth = MinTotalWidth;
        const int AgWidth = 2;
        foreach (var e in entries)
        {
            offsetWidth = Math.Max(offsetWidth, $"[{e.Offset}..{e.End - 1}]:".Length);
            totalWidth = Math.Max(totalWidth, e.Length.ToString().Length);
            if (e.Block == BmapEntry.Hole)
                continue;
            blockWidth = Math.Max(blockWidth, $"{e.Block}..{e.Block + e.Length - 1}".Length);
            agOffsetWidth = Math.Max(agOffsetWidth, $"({e.Block}..{e.Block + e.Length - 1})".Length);
        }
        s.Out($"{"EXT",4}: {Left("FILE-OFFSET", offsetWidth)} {Left("BLOCK-RANGE", blockWidth)} {Right("AG", AgWidth)} {Left("AG-OFFSET", agOffsetWidth)} {Right("TOTAL", totalWidth)}{(prealloc ? " FLAGS" : "")}\n");
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            string range = $"[{e.Offset}..{e.End - 1}]:";
            if (e.Block == BmapEntry.Hole)
            {
                s.Out($"{i,4}: {Left(range, offsetWidth)} {Left("hole", blockWidth)} {Right("", AgWidth)} {Left("", agOffsetWidth)} {Right(e.Length.ToString(), totalWidth)}\n");
                continue;
            }
            string blocks = $"{e.Block}..{e.Block + e.Length - 1}";
            string flags = prealloc ? " " + Convert.ToString(e.Unwritten ? UnwrittenFlag : 0, 8).PadLeft(FlagDigits, '0') : "";
            s.Out($"{i,4}: {Left(range, offsetWidth)} {Left(blocks, blockWidth)} {Right("0", AgWidth)} {Left($"({blocks})", agOffsetWidth)} {Right(e.Length.ToString(), totalWidth)}{flags}\n");
        }
        if (prealloc && legend)
            s.Out(BmapLegend);
    }

    /// <summary>bmap -vv's legend of the FLAGS column, as xfs_io prints it.</summary>
    const string BmapLegend =
        " FLAG Values:\n"
        + "    0100000 Shared extent\n"
        + "    0010000 Unwritten preallocated extent\n"
        + "    0001000 Doesn't begin on stripe unit\n"
        + "    0000100 Doesn't end   on stripe unit\n"
        + "    0000010 Doesn't begin on stripe width\n"
        + "    0000001 Doesn't end   on stripe width\n";

    /// <summary>printf's %-*s.</summary>
    static string Left(string text, int width) => text.PadRight(width);

    /// <summary>printf's %*s.</summary>
    static string Right(string text, int width) => text.PadLeft(width);

    /// <summary>atoi: strtol's number, 0 for none, truncated to an int as the C conversion does.</summary>
    static int Atoi(string text) => unchecked((int)CNumbers.StrToLL(text, out _));
}
