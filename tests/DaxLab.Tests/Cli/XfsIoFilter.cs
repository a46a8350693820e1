using System.Text.RegularExpressions;

namespace DaxLab.Tests.Cli;

/// <summary>
/// fstests' _filter_xfs_io (common/filter) in C#, plus the few masks the differential test needs
/// for values that differ between any two runs of the real tool.
/// </summary>
public static partial class XfsIoFilter
{
    /// <summary>
    /// The sed expression of _filter_xfs_io, as a .NET regex: the timing line
    /// "S, N ops; T sec (R/sec and Q ops/sec)" becomes a fixed text. sed replaces the first match
    /// on each line, and so does this.
    /// </summary>
    [GeneratedRegex(@"[0-9/.]* [GMKiBbytes]*, [0-9]* ops; [0-9/:. sec]* \([infa0-9/.-]* [EPGMKiBbytes]*/sec and [infa0-9/.-]* ops/sec\)")]
    private static partial Regex TimingLine();

    const string TimingReplacement = "XXX Bytes, X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)";

    /// <summary>Addresses of mappings (mmap listings, msync/madvise alignment errors) depend on the process.</summary>
    [GeneratedRegex(@"0x[0-9a-f]+")]
    private static partial Regex Address();

    /// <summary>Inode numbers and block counts depend on the file system, not on the commands.</summary>
    [GeneratedRegex(@"^stat\.(ino|blocks) = \d+$", RegexOptions.Multiline)]
    private static partial Regex FileSystemDependentStat();

    /// <summary>A fiemap (or bmap) line, plain or verbose: its index, file range, and blocks or "hole", and the verbose flags.</summary>
    [GeneratedRegex(@"^\s*\d+: \[(\d+)\.\.(\d+)\]:\s+(\d+\.\.\d+|hole)(?: \d+ blocks|\s+\d+(?:\s+(0x[0-9a-f]+))?)?$")]
    private static partial Regex ExtentLine();

    /// <summary>fiemap -v's header, whose spacing follows the widths of the block numbers.</summary>
    [GeneratedRegex(@"^ EXT: FILE-OFFSET\s+BLOCK-RANGE\s+TOTAL FLAGS$")]
    private static partial Regex FiemapHeader();

    /// <summary>FIEMAP_EXTENT_UNWRITTEN.</summary>
    const int UnwrittenFlag = 0x800;

    /// <summary>
    /// fstests' _filter_fiemap with _coalesce_extents, for plain and verbose listings alike:
    /// each line becomes "[first..last]: data|unwritten|hole" ("extent" where the plain form
    /// shows no flags), neighbours of one kind merge, and the device blocks, the indexes and the
    /// column spacing go. What is left is the layout of the file, which is the commands' doing;
    /// where the blocks lie and where ext4 splits a run is the file system's. With
    /// <paramref name="allocatedAlike"/> unwritten extents count as data too: ext4 writes zeros
    /// around a small write into an unwritten extent (its zeroout) where XFS and DaxLab split it.
    /// </summary>
    public static string FilterFiemap(string output, bool allocatedAlike = false)
    {
        var lines = new List<string>();
        (long First, long Last, string Kind)? run = null;
        foreach (string line in output.Split('\n'))
        {
            var match = ExtentLine().Match(line);
            if (!match.Success)
            {
                if (run is { } ended)
                    lines.Add($"[{ended.First}..{ended.Last}]: {ended.Kind}");
                run = null;
                lines.Add(FiemapHeader().IsMatch(line) ? " EXT: FILE-OFFSET BLOCK-RANGE TOTAL FLAGS" : line);
                continue;
            }
            long first = long.Parse(match.Groups[1].Value), last = long.Parse(match.Groups[2].Value);
            string kind = ExtentKind(match, allocatedAlike);
            if (run is { } open && open.Kind == kind && open.Last + 1 == first)
            {
                run = open with { Last = last };
                continue;
            }
            if (run is { } previous)
                lines.Add($"[{previous.First}..{previous.Last}]: {previous.Kind}");
            run = (first, last, kind);
        }
        if (run is { } final)
            lines.Add($"[{final.First}..{final.Last}]: {final.Kind}");
        return string.Join('\n', lines);
    }

    static string ExtentKind(Match match, bool allocatedAlike)
    {
        if (match.Groups[3].Value == "hole")
            return "hole";
        if (!match.Groups[4].Success || allocatedAlike)
            return "extent";
        return (Convert.ToInt32(match.Groups[4].Value, 16) & UnwrittenFlag) != 0 ? "unwritten" : "data";
    }

    /// <summary>_filter_xfs_io exactly.</summary>
    public static string FilterXfsIo(string output)
    {
        string[] lines = output.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            lines[i] = TimingLine().Replace(lines[i], TimingReplacement, 1);
        return string.Join('\n', lines);
    }

    /// <summary>
    /// _filter_xfs_io and _filter_fiemap, then masks for mapping addresses and stat.ino / stat.blocks;
    /// <paramref name="allocatedAlike"/> for comparing two file systems (see <see cref="FilterFiemap"/>).
    /// </summary>
    public static string ForComparison(string output, bool allocatedAlike = false)
    {
        string filtered = FilterFiemap(FilterXfsIo(output), allocatedAlike);
        filtered = Address().Replace(filtered, "0xADDR");
        return FileSystemDependentStat().Replace(filtered, "stat.$1 = N");
    }
}
