using System.Text.RegularExpressions;
using DaxLab.Io.Backends;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// fiemap and bmap on the DaxLab device. The layouts expected here were read off xfs_io 6.1: fiemap
/// on ext4 and bmap on XFS, for the same commands. Device block numbers are the allocator's, so
/// the checks read layouts through _filter_fiemap and check the columns by their shape.
/// </summary>
public sealed class ExtentListingTests
{
    /// <summary>64 KiB written, 64 KiB preallocated, a hole, 8 KiB written, and a hole to the 2 MiB EOF.</summary>
    static readonly string[] Layout = ["pwrite 0 64k", "falloc 128k 64k", "pwrite 1m 8k", "truncate 2m"];

    [Fact]
    public void Fiemap_lists_extents_unwritten_extents_and_holes_to_eof()
    {
        RunResult run = RunOnDax([.. Layout, "fiemap -v"]);
        Assert.EndsWith("""
            f:
             EXT: FILE-OFFSET BLOCK-RANGE TOTAL FLAGS
            [0..127]: data
            [128..255]: hole
            [256..383]: unwritten
            [384..2047]: hole
            [2048..2063]: data
            [2064..4095]: hole

            """.ReplaceLineEndings("\n"), XfsIoFilter.FilterFiemap(run.Output));
        Assert.Matches(new Regex(@"^   0: \[0\.\.127\]: +\d+\.\.\d+ +128   0x0$", RegexOptions.Multiline), run.Output);
        Assert.Matches(new Regex(@"^   2: \[256\.\.383\]: +\d+\.\.\d+ +128 0x800$", RegexOptions.Multiline), run.Output);
        Assert.Matches(new Regex(@"^   4: \[2048\.\.2063\]: +\d+\.\.\d+ +16   0x1$", RegexOptions.Multiline), run.Output);
        Assert.Matches(new Regex(@"^   5: \[2064\.\.4095\]: +hole +2032$", RegexOptions.Multiline), run.Output);
    }

    [Fact]
    public void Fiemap_of_a_range_starts_at_its_block_and_stops_at_its_end()
    {
        RunResult run = RunOnDax([.. Layout, "fiemap 64k 128k", "fiemap -l 4k 1"]);
        Assert.Matches(new Regex(@"f:\n\t0: \[128\.\.255\]: hole\n\t1: \[256\.\.383\]: \d+\.\.\d+\nf:\n\t0: \[8\.\.15\]: \d+\.\.\d+ 8 blocks\n$"), run.Output);
    }

    [Fact]
    public void Fiemap_n_limits_this_and_every_later_fiemap_as_xfs_ios_static_does()
    {
        RunResult run = RunOnDax([.. Layout, "fiemap -n 2", "fiemap"]);
        Assert.Matches(new Regex(@"f:\n\t0: \[0\.\.127\]: \d+\.\.\d+\n\t1: \[128\.\.255\]: hole\nf:\n\t0: \[0\.\.127\]: \d+\.\.\d+\n\t1: \[128\.\.255\]: hole\n$"), run.Output);
    }

    [Theory]
    [InlineData("fiemap 1e", "xfs_io: ioctl(FS_IOC_FIEMAP) [\"f\"]: File too large\n")]
    [InlineData("fiemap 0 0", "xfs_io: ioctl(FS_IOC_FIEMAP) [\"f\"]: Invalid argument\n")]
    [InlineData("bmap -c", "xfs_io: xfsctl(XFS_IOC_GETBMAPX) iflags=0x28 [\"f\"]: Invalid argument\n")]
    [InlineData("bmap -n -1", "xfs_io: xfsctl(XFS_IOC_GETBMAPX) iflags=0x0 [\"f\"]: Invalid argument\n")]
    public void A_refused_ioctl_is_reported_as_xfs_io_reports_it(string command, string expected)
    {
        RunResult run = RunOnDax(["pwrite 0 4k", command]);
        Assert.Equal(expected, run.Errors);
        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public void Bmap_v_shows_xfs_columns_for_one_allocation_group()
    {
        RunResult run = RunOnDax([.. Layout, "bmap -vp"]);
        string[] lines = run.Output.Split('\n');
        int header = Array.IndexOf(lines, " EXT: FILE-OFFSET      BLOCK-RANGE      AG AG-OFFSET        TOTAL FLAGS");
        Assert.True(header > 0, run.Output);
        var extent = new Regex(@"^ +(\d+): \[(\d+)\.\.(\d+)\]: +(\d+\.\.\d+) +0 \((\d+\.\.\d+)\) +(\d+) (0[01]0000)$");
        var hole = new Regex(@"^ +(\d+): \[(\d+)\.\.(\d+)\]: +hole +(\d+)$");
        string[] table = lines[(header + 1)..^1];
        Assert.Equal(6, table.Length);
        Assert.All(new[] { 0, 2, 4 }, i => Assert.Matches(extent, table[i]));
        Assert.All(new[] { 1, 3, 5 }, i => Assert.Matches(hole, table[i]));
        Assert.Equal(extent.Match(table[0]).Groups[4].Value, extent.Match(table[0]).Groups[5].Value);
        Assert.Equal(["000000", "010000", "000000"], new[] { 0, 2, 4 }.Select(i => extent.Match(table[i]).Groups[7].Value));
        Assert.Equal("2032", hole.Match(table[5]).Groups[4].Value);
    }

    [Fact]
    public void Bmap_of_a_file_without_extents_says_so_and_e_shows_one_hole()
    {
        RunResult run = RunOnDax(["truncate 1m", "bmap", "bmap -v", "bmap -e", "bmap -n 2"]);
        Assert.Equal("f: no extents\nf: no extents\nf:\n\t0: [0..2047]: hole\nf:\n", run.Output);
    }

    [XfsIoFact]
    public void Fiemap_on_the_device_gives_ext4s_layout()
    {
        string[] commands = [.. Layout, "fiemap -v", "fiemap", "fiemap -v 4k", "fiemap 64k 128k", "fiemap -n 3 -l", "fiemap -v"];
        string directory = XfsIo.NewScratchDirectory();
        RunResult expected = XfsIo.RunReal(directory, commands);
        Directory.Delete(directory, recursive: true);
        RunResult actual = RunOnDax(commands);
        Assert.Equal(XfsIoFilter.FilterFiemap(XfsIoFilter.FilterXfsIo(expected.Output)), XfsIoFilter.FilterFiemap(XfsIoFilter.FilterXfsIo(actual.Output)));
        Assert.Equal(expected.Errors, actual.Errors);
    }

    static RunResult RunOnDax(string[] commands)
    {
        using var backend = new DaxBackend(DaxFileSystem.CreateInMemory(16L << 20), ownsFileSystem: true);
        return XfsIo.RunOurs(backend, commands);
    }
}
