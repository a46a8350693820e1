namespace DaxLab.Tests.Cli;

/// <summary>
/// A seeded generator of short xfs_io command lists whose outcome is fully determined by the
/// commands: it tracks the file size and the mappings so that no load or store ever touches a
/// page past EOF (which would kill both tools with SIGBUS and hide everything else), no mapped
/// read or write leaves the real mapping, and no mapped store lands past EOF in the last page
/// (whose fate on a later truncate is file-system specific).
/// </summary>
/// <remarks>
/// fiemap lines (and, with <paramref name="withBmap"/>, bmap lines) are put in afterwards with a
/// generator of their own, so the lists of a seed stay the other commands they were before
/// fiemap existed. bmap is only for runs on a host file, where xfs_io refuses it on ext4 as
/// foreign; on the DaxLab device it answers as on XFS (docs/io.md), which ext4 cannot show.
/// Without <paramref name="listExtentsAfterKnownDifferences"/> no listing follows an fzero or a
/// falloc -k: the DaxLab file system's FALLOC_FL_ZERO_RANGE leaves holes as holes, and its
/// truncate to the same size keeps blocks preallocated past EOF, where ext4 and XFS preallocate
/// and free them (docs/io.md, differences).
/// </remarks>
public sealed class CommandListGenerator(int seed, bool withBmap = false, bool listExtentsAfterKnownDifferences = true)
{
    /// <summary>The unit of mapping and of SIGBUS.</summary>
    const long Page = 4096;

    /// <summary>Keeps files and lists small so 500 lists run in seconds: at most 1 MiB.</summary>
    const long MaxFileSize = 1 << 20;

    /// <summary>Keeps hex dumps readable: at most this many bytes per dumped read.</summary>
    const long MaxDumpLength = 2048;

    /// <summary>More than one mapping exercises the table; more than three adds nothing.</summary>
    const int MaxMappings = 3;

    readonly Random random = new(seed);
    readonly List<string> commands = new();
    readonly List<(long Offset, long Length, string Prot)> mappings = new();
    int current = -1;
    long size;

    /// <summary>Draws the extent listings, apart from <see cref="random"/> (see the remarks).</summary>
    readonly Random extentRandom = new(seed * 7919 + 17);

    /// <summary>Between 5 and 15 commands, then one or two extent listings among them; the file starts empty (created by -f).</summary>
    public IReadOnlyList<string> Generate()
    {
        int count = random.Next(5, 16);
        while (commands.Count < count)
            AddOne();
        int firstDifference = commands.FindIndex(c => c.StartsWith("fzero") || c.StartsWith("falloc -k"));
        int lastPlace = listExtentsAfterKnownDifferences || firstDifference < 0 ? commands.Count : firstDifference;
        for (int listings = 1 + extentRandom.Next(2); listings > 0; listings--)
            commands.Insert(extentRandom.Next(lastPlace + 1), ExtentListing());
        return commands;
    }

    /// <summary>
    /// fiemap in its forms (plain, -v, -l, a start, a range), or bmap when asked for. No -n: it
    /// counts lines, and ext4 may split an extent where the DaxLab file system does not.
    /// </summary>
    string ExtentListing()
    {
        if (withBmap && extentRandom.Next(4) == 0)
            return new[] { "bmap", "bmap -v", "bmap -vp" }[extentRandom.Next(3)];
        string flags = new[] { "", "-v ", "-l ", "-vl " }[extentRandom.Next(4)];
        long offset = extentRandom.NextInt64(MaxFileSize) / 512 * 512;
        long length = 1 + extentRandom.NextInt64(256 * 1024);
        string range = extentRandom.Next(3) switch
        {
            0 => "",
            1 => $" {offset}",
            _ => $" {offset} {length}",
        };
        return $"fiemap {flags}{range}".TrimEnd().Replace("  ", " ");
    }

    /// <summary>Picks a command kind by weight; kinds that need a mapping fall back to mmap without one.</summary>
    void AddOne()
    {
        int pick = random.Next(100);
        switch (pick)
        {
            case < 18: Pwrite(); break;
            case < 28: Pread(); break;
            case < 38: Mmap(); break;
            case < 50: Mread(); break;
            case < 60: Mwrite(); break;
            case < 64: Msync(); break;
            case < 67: Madvise(); break;
            case < 70: Munmap(); break;
            case < 76: Truncate(); break;
            case < 80: SizingRange("falloc"); break;
            case < 83: Fpunch(); break;
            case < 87: SizingRange("fzero"); break;
            case < 90: commands.Add(random.Next(2) == 0 ? "fsync" : "fdatasync"); break;
            case < 95: commands.Add("stat"); break;
            default: BadInput(); break;
        }
    }

    /// <summary>An offset that is page-aligned, sector-aligned or arbitrary, below <paramref name="limit"/>.</summary>
    long Offset(long limit)
    {
        long value = random.NextInt64(Math.Max(limit, 1));
        return random.Next(3) switch
        {
            0 => value / Page * Page,
            1 => value / 512 * 512,
            _ => value,
        };
    }

    /// <summary>A length from 1 to <paramref name="limit"/>, often a round number.</summary>
    long Length(long limit)
    {
        limit = Math.Max(limit, 1);
        long value = 1 + random.NextInt64(limit);
        return random.Next(3) == 0 && value >= Page ? value / Page * Page : value;
    }

    /// <summary>A number in one of xfs_io's spellings: decimal, hex, or with a k suffix when exact.</summary>
    string Number(long value) => random.Next(4) switch
    {
        0 when value % 1024 == 0 && value > 0 => $"{value / 1024}k",
        1 => $"0x{value:x}",
        _ => value.ToString(),
    };

    string SeedOption() => random.Next(2) == 0 ? "" : $"-S 0x{random.Next(256):x} ";

    string BlockSizeOption() => random.Next(3) == 0 ? $"-b {Number(512 * (1 + random.Next(16)))} " : "";

    void Pwrite()
    {
        long offset = Offset(MaxFileSize - 64 * 1024);
        long length = random.Next(8) == 0 ? 0 : Length(64 * 1024);
        commands.Add($"pwrite {SeedOption()}{BlockSizeOption()}{Number(offset)} {Number(length)}");
        if (length > 0)
            size = Math.Max(size, offset + length);
    }

    void Pread()
    {
        bool verbose = random.Next(2) == 0;
        long offset = Offset(size + 2 * Page);
        long length = Length(verbose ? MaxDumpLength : 128 * 1024);
        commands.Add($"pread {(verbose ? "-v " : "")}{BlockSizeOption()}{Number(offset)} {Number(length)}");
    }

    void Mmap()
    {
        if (mappings.Count >= MaxMappings)
        {
            SelectMapping();
            return;
        }
        string prot = new[] { "", "", "-r ", "-rw ", "-w ", "-x ", "-wx " }[random.Next(7)];
        long offset = Offset(MaxFileSize / 2) / Page * Page;
        long length = Length(256 * 1024);
        commands.Add($"mmap {prot}{Number(offset)} {Number(length)}");
        mappings.Add((offset, length, prot.Length == 0 ? "rwx" : prot));
        current = mappings.Count - 1;
    }

    /// <summary>mmap N: selection by number, which lists the mappings.</summary>
    void SelectMapping()
    {
        current = random.Next(mappings.Count);
        commands.Add($"mmap {current}");
    }

    /// <summary>The bytes of the current mapping that may be touched: inside it and before the end of EOF's page.</summary>
    (long Start, long End) Touchable(long fileLimit)
    {
        var m = mappings[current];
        long end = Math.Min(m.Offset + m.Length, fileLimit);
        return (m.Offset, end);
    }

    static long RoundUp(long value) => (value + Page - 1) / Page * Page;

    void Mread()
    {
        if (current < 0 || !mappings[current].Prot.Contains('r') && mappings[current].Prot != "rwx")
        {
            Mmap();
            return;
        }
        var (start, end) = Touchable(RoundUp(size));
        if (end <= start)
        {
            Truncate();
            return;
        }
        bool verbose = random.Next(3) > 0;
        long offset = start + random.NextInt64(end - start);
        long length = Length(Math.Min(end - offset, verbose ? MaxDumpLength : 64 * 1024));
        commands.Add($"mread {(verbose ? "-v " : "")}{(random.Next(6) == 0 ? "-r " : "")}{Number(offset)} {Number(length)}");
    }

    void Mwrite()
    {
        if (current < 0 || !mappings[current].Prot.Contains('w'))
        {
            Mmap();
            return;
        }
        var (start, end) = Touchable(size);
        if (end <= start)
        {
            Pwrite();
            return;
        }
        long offset = start + random.NextInt64(end - start);
        long length = Length(Math.Min(end - offset, 32 * 1024));
        commands.Add($"mwrite {SeedOption()}{Number(offset)} {Number(length)}");
    }

    /// <summary>A page-aligned range inside the current mapping, or no range (the whole mapping).</summary>
    string PageRange()
    {
        var m = mappings[current];
        if (random.Next(3) == 0)
            return "";
        long pages = Math.Max(1, m.Length / Page);
        long first = random.NextInt64(pages);
        long length = Math.Min(m.Length - first * Page, Page * (1 + random.NextInt64(pages - first)));
        return $" {Number(m.Offset + first * Page)} {Number(length)}";
    }

    void Msync()
    {
        if (current < 0)
        {
            Mmap();
            return;
        }
        string flags = new[] { "", "-a ", "-s ", "-i ", "-as ", "-is " }[random.Next(6)];
        commands.Add($"msync {flags}{PageRange()}".TrimEnd());
    }

    void Madvise()
    {
        if (current < 0)
        {
            Mmap();
            return;
        }
        commands.Add($"madvise -d{PageRange()}");
    }

    void Munmap()
    {
        if (current < 0)
        {
            Mmap();
            return;
        }
        commands.Add("munmap");
        mappings.RemoveAt(current);
        current = mappings.Count == 0 ? -1 : Math.Min(current, mappings.Count - 1);
    }

    /// <summary>Both ways: shrinking under a live mapping is allowed; later accesses respect the new size.</summary>
    void Truncate()
    {
        long newSize = random.Next(2) == 0 ? Offset(size + 1) : Offset(MaxFileSize);
        commands.Add($"truncate {Number(newSize)}");
        size = newSize;
    }

    // falloc and fzero: both take -k (keep size), and without it grow the file to the range's end.
    void SizingRange(string verb)
    {
        bool keep = random.Next(2) == 0;
        long offset = Offset(MaxFileSize - 64 * 1024);
        long length = Length(64 * 1024);
        commands.Add($"{verb} {(keep ? "-k " : "")}{Number(offset)} {Number(length)}");
        if (!keep)
            size = Math.Max(size, offset + length);
    }

    void Fpunch()
    {
        commands.Add($"fpunch {Number(Offset(size + Page))} {Number(Length(64 * 1024))}");
    }


    /// <summary>Input xfs_io rejects: its messages and exit status must match too.</summary>
    void BadInput()
    {
        string[] bad =
        [
            "pwrite 0x 10", "pread 1kk 1", "truncate -1", "frobnicate 1", "pwrite 0", "pwrite -z 0 1",
            "fpunch 1", "fzero 1 x", "falloc -z 0 1", "mmap 1 2 3", "pread -b x 0 1", "pwrite -S q 0 1",
            "fsync now", "munmap 1",
        ];
        commands.Add(bad[random.Next(bad.Length)]);
    }
}
