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

    /// <summary>_filter_xfs_io exactly.</summary>
    public static string FilterXfsIo(string output)
    {
        string[] lines = output.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            lines[i] = TimingLine().Replace(lines[i], TimingReplacement, 1);
        return string.Join('\n', lines);
    }

    /// <summary>_filter_xfs_io, then masks for mapping addresses and stat.ino / stat.blocks.</summary>
    public static string ForComparison(string output)
    {
        string filtered = FilterXfsIo(output);
        filtered = Address().Replace(filtered, "0xADDR");
        return FileSystemDependentStat().Replace(filtered, "stat.$1 = N");
    }
}
