using DaxLab.Base;
using DaxLab.Io.Backends;
using DaxLab.Mm;

namespace DaxLab.Io.Commands;

/// <summary>mmap, mread, mwrite, msync, madvise and munmap over the session's mapping table.</summary>
public static class MappingCommands
{
    /// <summary>mwrite's default fill byte, 'X'.</summary>
    const int DefaultMwriteSeed = 'X';

    /// <summary>mmap: no words lists the mappings, one word selects one, else [-rwxS] [-s size] off len maps.</summary>
    public static bool Mmap(IoSession s, string[] argv)
    {
        if (argv.Length <= 2 || s.CurrentFile is null)
            return ListOrSelect(s, argv);
        var options = new Getopt(argv, "rwxSs:", ReadWriteCommands.ErrorsOf(s));
        var protection = MapProtection.None;
        bool mapSync = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'r': protection |= MapProtection.Read; break;
                case 'w': protection |= MapProtection.Write; break;
                case 'x': protection |= MapProtection.Exec; break;
                case 'S': mapSync = true; break;
                // -s only reserves free address space for a later mremap, which daxlab does not have.
                case 's': break;
                default: return s.UsageFailure(CommandTable.Mmap);
            }
        }
        if (protection == MapProtection.None)
            protection = MapProtection.Read | MapProtection.Write | MapProtection.Exec;
        if (!ReadWriteCommands.TryRange(s, options, CommandTable.Mmap, out long offset, out long length))
            return false;
        return MapRange(s, offset, length, protection, mapSync);
    }

    /// <summary>mmap with zero or one word, or with no file open: xfs_io's listing, selection and complaints.</summary>
    static bool ListOrSelect(IoSession s, string[] argv)
    {
        if (argv.Length <= 2 && s.CurrentMapping is not null)
            return argv.Length == 1 ? ListMappings(s) : SelectMapping(s, argv[1]);
        s.Err(s.CurrentFile is not null && argv.Length <= 2
            ? "no mapped regions, try 'help mmap'\n"
            : "no files are open, try 'help open'\n");
        s.ExitCode = 1;
        return false;
    }

    /// <summary>mmap N: makes mapping N current (atoi, so a non-number is 0) and lists them all.</summary>
    static bool SelectMapping(IoSession s, string text)
    {
        long chosen = CNumbers.StrToLL(text, out _);
        int index = chosen is < int.MinValue or > int.MaxValue ? -1 : (int)chosen;
        if (index < 0 || index >= s.Mappings.Count)
            return s.Fail($"value {index} is out of range (0-{s.Mappings.Count})\n");
        s.CurrentMappingIndex = index;
        return ListMappings(s);
    }

    /// <summary>Maps the range and makes it the current mapping.</summary>
    static bool MapRange(IoSession s, long offset, long length, MapProtection protection, bool mapSync)
    {
        if (!s.TryCall("mmap", () => s.CurrentFile!.Map(offset, length, protection, mapSync), out IIoMapping mapping))
            return false;
        s.AddMapping(new MappingEntry(mapping, s.CurrentFile!.Path, protection, mapSync));
        return false;
    }

    /// <summary>maplist_f: one line per mapping, the current one in brackets.</summary>
    public static bool ListMappings(IoSession s)
    {
        for (int i = 0; i < s.Mappings.Count; i++)
            s.Out(MappingLine(s.Mappings[i], i, i == s.CurrentMappingIndex));
        return false;
    }

    /// <summary>print_mapping's "[NNN] 0xSTART - 0xEND rwx  NAME (offset : length)".</summary>
    static string MappingLine(MappingEntry entry, int index, bool current)
    {
        IIoMapping m = entry.Mapping;
        string prot = (entry.Protection.HasFlag(MapProtection.Read) ? "r" : "-")
                    + (entry.Protection.HasFlag(MapProtection.Write) ? "w" : "-")
                    + (entry.Protection.HasFlag(MapProtection.Exec) ? "x" : "-")
                    + (entry.MapSync ? " S" : "");
        string tag = current ? $"[{index:000}]" : $" {index:000} ";
        return $"{tag} 0x{m.Address:x} - 0x{m.Address + (ulong)m.Length:x} {prot}  {entry.FileName,14} ({m.FileOffset} : {m.Length})\n";
    }

    /// <summary>
    /// check_mapping_range, messages and all. Note the last test compares the mapping-relative end
    /// with the mapping's file end, as xfs_io 6.1 does; the backend then refuses (SIGSEGV) any access
    /// this lets through past the real end of the mapping.
    /// </summary>
    static bool RangeFits(IoSession s, long offset, long length, bool pageAligned, out long relative)
    {
        IIoMapping m = s.CurrentMapping!.Mapping;
        relative = offset - m.FileOffset;
        if (offset < m.FileOffset)
            s.Out($"offset ({offset}) is before start of mapping ({m.FileOffset})\n");
        else if (relative > m.Length)
            s.Out($"offset ({relative}) is beyond end of mapping ({m.FileOffset})\n");
        else if (unchecked((ulong)relative + (ulong)length) > (ulong)(m.FileOffset + m.Length))
            s.Out($"range ({offset}:{relative}) is beyond mapping ({m.FileOffset}:{m.Length})\n");
        else if (pageAligned && (m.Address + (ulong)relative) % Geometry.PageSize != 0)
            s.Out($"offset address (0x{m.Address + (ulong)relative:x}) is not page aligned\n");
        else
            return true;
        return false;
    }

    /// <summary>The optional "off len" of the mapping commands: the whole mapping when absent.</summary>
    static bool TryMappingRange(IoSession s, IReadOnlyList<string> operands, out long offset, out long length)
    {
        IIoMapping m = s.CurrentMapping!.Mapping;
        offset = m.FileOffset;
        length = m.Length;
        if (operands.Count == 0)
            return true;
        return ReadWriteCommands.TryOffsetLength(s, operands[0], operands[1], exitOnError: true, out offset, out length);
    }

    /// <summary>mread [-f|-v] [-r] [off len]: loads every byte of the range, optionally dumping it.</summary>
    public static bool Mread(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "frv", ReadWriteCommands.ErrorsOf(s));
        int dump = 0;
        bool reverse = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'f': dump = 2; break;
                case 'r': reverse = true; break;
                case 'v': dump = 1; break;
                default: return s.UsageFailure(CommandTable.Mread);
            }
        }
        if (options.Operands.Count is not (0 or 2))
            return s.Usage(CommandTable.Mread);
        if (!TryCurrentRange(s, options.Operands, pageAligned: false, out long offset, out long relative, out long length))
            return false;
        var reader = new MappingReader(s.CurrentMapping!.Mapping, relative, length, Geometry.PageSize);
        var dumper = new MreadDumper(s, dump, dump == 2 ? offset : relative, length, Geometry.PageSize);
        if (reverse)
            dumper.RunBackward(reader);
        else
            dumper.RunForward(reader);
        return false;
    }

    /// <summary>mwrite [-r] [-S seed] [off len]: stores the seed byte over the range.</summary>
    public static bool Mwrite(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "rS:", ReadWriteCommands.ErrorsOf(s));
        int seed = DefaultMwriteSeed;
        bool reverse = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'r': reverse = true; break;
                case 'S':
                    seed = unchecked((int)CNumbers.StrToLL(option.Argument!, out int end));
                    if (end == 0)
                    {
                        s.Out($"non-numeric seed -- {option.Argument}\n");
                        return false;
                    }
                    break;
                default: return s.UsageFailure(CommandTable.Mwrite);
            }
        }
        if (options.Operands.Count is not (0 or 2))
            return s.UsageFailure(CommandTable.Mwrite);
        if (!TryCurrentRange(s, options.Operands, pageAligned: false, out long offset, out long relative, out long length))
            return false;
        StorePages(s.CurrentMapping!.Mapping, relative, length, (byte)seed, reverse);
        return false;
    }

    /// <summary>Stores page by page, in the order xfs_io's byte loop touches the pages.</summary>
    static void StorePages(IIoMapping mapping, long start, long length, byte seed, bool reverse)
    {
        long end = start + length;
        var pieces = new List<(long At, long Count)>();
        for (long at = start; at < end; at = (at / Geometry.PageSize + 1) * Geometry.PageSize)
            pieces.Add((at, Math.Min(end, (at / Geometry.PageSize + 1) * Geometry.PageSize) - at));
        if (reverse)
            pieces.Reverse();
        byte[] fill = new byte[Geometry.PageSize];
        Array.Fill(fill, seed);
        foreach (var (at, count) in pieces)
            mapping.Store(at, fill.AsSpan(0, (int)count));
    }

    /// <summary>msync [-a] [-i] [-s] [off len].</summary>
    public static bool Msync(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "ais", ReadWriteCommands.ErrorsOf(s));
        MsyncFlags flags = 0;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'a': flags |= MsyncFlags.Async; break;
                case 'i': flags |= MsyncFlags.Invalidate; break;
                case 's': flags |= MsyncFlags.Sync; break;
                default: return s.UsageFailure(CommandTable.Msync);
            }
        }
        if (options.Operands.Count is not (0 or 2))
            return s.UsageFailure(CommandTable.Msync);
        return RangeCall(s, options.Operands, "msync", (m, at, length) => m.Sync(at, length, flags));
    }

    /// <summary>madvise [-d|-r|-s|-w] [off len]; without a flag the advice is MADV_NORMAL.</summary>
    public static bool Madvise(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "drsw", ReadWriteCommands.ErrorsOf(s));
        var advice = IoAdvice.Normal;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'd': advice = IoAdvice.DontNeed; break;
                case 'r': advice = IoAdvice.Random; break;
                case 's': advice = IoAdvice.Sequential; break;
                case 'w': advice = IoAdvice.WillNeed; break;
                default: return s.UsageFailure(CommandTable.Madvise);
            }
        }
        if (options.Operands.Count is not (0 or 2))
            return s.UsageFailure(CommandTable.Madvise);
        return RangeCall(s, options.Operands, "madvise", (m, at, length) => m.Advise(at, length, advice));
    }

    /// <summary>
    /// The range a mapping command names (the whole mapping without operands), checked against
    /// the current mapping as xfs_io checks it; a range that does not fit fails the run.
    /// </summary>
    static bool TryCurrentRange(IoSession s, IReadOnlyList<string> operands, bool pageAligned, out long offset, out long relative, out long length)
    {
        relative = 0;
        if (!TryMappingRange(s, operands, out offset, out length))
            return false;
        if (RangeFits(s, offset, length, pageAligned, out relative))
            return true;
        s.ExitCode = 1;
        return false;
    }

    /// <summary>msync and madvise: a page-aligned range of the current mapping, then one system call.</summary>
    static bool RangeCall(IoSession s, IReadOnlyList<string> operands, string call, Action<IIoMapping, long, long> action)
    {
        if (!TryCurrentRange(s, operands, pageAligned: true, out _, out long relative, out long length))
            return false;
        s.TryCall(call, () => action(s.CurrentMapping!.Mapping, relative, length), setsExitCode: true);
        return false;
    }

    /// <summary>munmap: removes the current mapping; the one after it (or the new last) becomes current.</summary>
    public static bool Munmap(IoSession s, string[] argv)
    {
        if (!s.TryCall("munmap", s.CurrentMapping!.Mapping.Dispose, setsExitCode: true))
            return false;
        s.RemoveCurrentMapping();
        return ListMappings(s);
    }
}
