using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// Bad input and edge cases, each checked two ways: against text read off xfs_io 6.1 (always runs),
/// and against the installed xfs_io itself (skipped only when it is missing).
/// </summary>
public sealed class ErrorPathTests
{
    /// <summary>Command lists with the exact stdout, stderr and exit status xfs_io 6.1 gives on a fresh file.</summary>
    public static TheoryData<string[], string, string, int> Cases => new()
    {
        { ["frobnicate 1"], "", "command \"frobnicate\" not found\n", 0 },
        { ["pwrite x 10"], "non-numeric offset argument -- x\n", "", 1 },
        { ["pwrite 0 1x"], "non-numeric length argument -- 1x\n", "", 1 },
        { ["pwrite 0"], "", "bad argument count 1 to pwrite, expected at least 2 arguments\n", 0 },
        { ["fpunch 0"], "", "bad argument count 1 to fpunch, expected 2 arguments\n", 0 },
        { ["fzero"], "", "bad argument count 0 to fzero, expected between 2 and 3 arguments\n", 0 },
        { ["fsync 1"], "", "bad argument count 1 to fsync, expected 0 arguments\n", 0 },
        { ["truncate -1"], "non-numeric truncate argument -- -1\n", "", 1 },
        { ["truncate 1kk"], "non-numeric truncate argument -- 1kk\n", "", 1 },
        { ["pwrite -b x 0 1"], "non-numeric bsize -- x\n", "", 1 },
        { ["pwrite -b 30g 0 1"], "", "memalign: Cannot allocate memory\n", 1 },
        { ["pwrite -S x 0 1"], "non-numeric seed -- x\n", "", 1 },
        { ["mread 0 10"], "", "no mapped regions, try 'help mmap'\n", 0 },
        { ["mmap"], "", "no mapped regions, try 'help mmap'\n", 1 },
        { ["munmap"], "", "no mapped regions, try 'help mmap'\n", 0 },
        { ["mmap 100 4k"], "", "mmap: Invalid argument\n", 1 },
        { ["pread x 1"], "", "pread: Invalid argument\n", 1 },
        { ["pwrite 1e 1"], "", "pwrite: File too large\n", 1 },
        { ["falloc 0 0"], "", "fallocate: Invalid argument\n", 1 },
        { ["fzero 0 0"], "", "fallocate: Invalid argument\n", 0 },
        { ["pwrite 0 4k", "mmap 4k 4k", "mread 0 10"], null!, "", 1 },
        { ["pwrite 0 8k", "mmap 0 8k", "mread -v 0 1", "mread -v 0 4097", "mwrite -S x 0 1"], null!, "", 0 },
        { ["stat -z"], "stat [-v|-r] -- statistics on the currently open file\n", "stat: invalid option -- 'z'\n", 1 },
        { ["close", "stat", "close"], "", "no files are open, try 'help open'\n", 0 },
        { ["help nosuch"], "command nosuch not found\n", "", 0 },
        { ["help close"], "close -- close the current open file\n", "", 0 },
        { ["quit", "frobnicate"], "", "", 0 },
        { ["bmap -v"], "", "foreign file active, bmap command is for XFS filesystems only\n", 0 },
        { ["fiemap -z"], "fiemap [-alv] [-n nx] [offset [len]] -- print block mapping for a file\n", "fiemap: invalid option -- 'z'\n", 1 },
        { ["fiemap x"], "non-numeric offset argument -- x\n", "", 1 },
        { ["fiemap 0 x"], "non-numeric len argument -- x\n", "", 1 },
        { ["fiemap 1e"], "f:\n", "xfs_io: ioctl(FS_IOC_FIEMAP) [\"f\"]: File too large\n", 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesRecordedXfsIoText(string[] commands, string? expectedOut, string expectedErr, int expectedStatus)
    {
        string directory = XfsIo.NewScratchDirectory();
        RunResult ours = XfsIo.RunOursOnHost(directory, commands);
        Directory.Delete(directory, recursive: true);
        if (expectedOut is not null)
            Assert.Equal(expectedOut, XfsIoFilter.FilterXfsIo(ours.Output));
        Assert.Equal(expectedErr, ours.Errors);
        Assert.Equal(expectedStatus, ours.ExitCode);
    }

    [XfsIoFact]
    public void MatchesInstalledXfsIo()
    {
        var lists = Cases.Select(row => (string[])row[0]).Concat(ExtraLists);
        string[] failures = lists.Select(Mismatch).OfType<string>().ToArray();
        Assert.True(failures.Length == 0, string.Join("\n\n", failures));
    }

    /// <summary>Cases whose text is long or process-specific, so only the live comparison checks them.</summary>
    static readonly string[][] ExtraLists =
    [
        ["pwrite -z 0 1", "stat"],
        ["falloc -z 0 1", "stat"],
        ["fzero -z 0 1", "stat"],
        ["pwrite 0 16k", "mmap 4k 8k", "mread -v 4096 20", "mread -v 0 20", "mread -v 4090 30", "mread 4k 200k"],
        ["pwrite 0 16k", "mmap 0 12k", "mread -v 0 4095", "mread -rv 100 5000", "mread -f 4k 100", "mread -v"],
        ["pwrite 0 8k", "mmap 0 4k", "mmap -r 4k 4k", "mmap 0", "mmap 5", "munmap", "mmap", "munmap", "munmap"],
        ["pwrite 0 8k", "mmap 0 8k", "msync 100 10", "msync -as", "madvise -d 1 10", "madvise -z", "msync 0 1e"],
        ["open -f g", "pwrite 0 1", "print", "close", "pread 0 1", "close", "pread 0 1", "mmap 0 4k"],
        ["pwrite 0 8k", "pread 0 x", "pread -b 1k 100 x", "pread 0 -- -5", "pread -b 0 0 10", "pwrite -b 3 0 10"],
        ["w 0 1", "r 0 1", "t 8k", "s", "ds", "mm 0 4k", "mw 0 1", "mr -v 0 2", "ms", "ma -d", "mu"],
        ["pwrite 0 4k", "mmap 0 8k", "mread 4096 1"],
        ["pwrite 0 4k", "mmap -r 0 4k", "mwrite 0 1"],
    ];

    /// <summary>One list through both tools, compared after the filter; null when they agree.</summary>
    static string? Mismatch(string[] commands)
    {
        string directory = XfsIo.NewScratchDirectory();
        RunResult expected = XfsIo.RunReal(directory, commands);
        foreach (string file in Directory.GetFiles(directory))
            File.Delete(file);
        RunResult actual = XfsIo.RunOursOnHost(directory, commands);
        Directory.Delete(directory, recursive: true);
        return expected.Comparable == actual.Comparable ? null : XfsIo.Describe("error-path list", commands, expected, actual);
    }

    /// <summary>
    /// Offsets at the edge of loff_t and of the address space, as xfs_io 6.1 reports them on ext4:
    /// the kernel's range checks (rw_verify_area, do_mmap) answer before any file system does, so
    /// the DaxLab engine must give the same errno as ext4 there.
    /// </summary>
    public static TheoryData<string[], string, string, int> EdgeCases => new()
    {
        { ["pwrite 9223372036854775807 1"], "", "pwrite: Invalid argument\n", 1 },
        { ["pwrite 9223372036854771712 4096"], "", "pwrite: Invalid argument\n", 1 },
        { ["pwrite 9223372036854775806 4k"], "", "pwrite: Invalid argument\n", 1 },
        { ["pwrite 9223372036854771712 4095"], "", "pwrite: File too large\n", 1 },
        { ["pread 9223372036854775807 4k"], "", "pread: Invalid argument\n", 1 },
        { ["pread 9223372036854771712 4096"], "", "pread: Invalid argument\n", 1 },
        { ["mmap 9223372036854771712 4096"], "", "mmap: Value too large for defined data type\n", 1 },
        { ["mmap 0 9223372036854775807"], "", "mmap: Cannot allocate memory\n", 1 },
        { ["mmap 9223372036854775807 1"], "", "mmap: Invalid argument\n", 1 },
        { ["mmap -r 0 0"], "", "mmap: Invalid argument\n", 1 },
    };

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void DaxBackendMatchesRecordedXfsIoTextAtTheEdges(string[] commands, string expectedOut, string expectedErr, int expectedStatus)
    {
        RunResult ours = RunOnDax(commands);
        Assert.Equal(expectedOut, XfsIoFilter.FilterXfsIo(ours.Output));
        Assert.Equal(expectedErr, ours.Errors);
        Assert.Equal(expectedStatus, ours.ExitCode);
    }

    [XfsIoFact]
    public void DaxBackendMatchesInstalledXfsIoAtTheEdges()
    {
        var failures = EdgeCases.Select(row => (string[])row[0]).Select(commands =>
        {
            string directory = XfsIo.NewScratchDirectory();
            RunResult expected = XfsIo.RunReal(directory, commands);
            Directory.Delete(directory, recursive: true);
            RunResult actual = RunOnDax(commands);
            return expected.Comparable == actual.Comparable ? null : XfsIo.Describe("edge list on the DaxLab engine", commands, expected, actual);
        }).OfType<string>().ToArray();
        Assert.True(failures.Length == 0, string.Join("\n\n", failures));
    }

    /// <summary>The interpreter over the engine, on a fresh in-memory device (the product path).</summary>
    static RunResult RunOnDax(string[] commands)
    {
        using var backend = new DaxLab.Io.Backends.DaxBackend(DaxFileSystem.CreateInMemory(16L << 20), ownsFileSystem: true);
        return XfsIo.RunOurs(backend, commands);
    }

    [XfsIoFact]
    public void MissingFileWithoutCreateMatchesXfsIo()
    {
        string directory = XfsIo.NewScratchDirectory();
        RunResult expected = XfsIo.RunReal(directory, ["pread 0 1"], "nonexist", create: false);
        RunResult actual = XfsIo.RunOursOnHost(directory, ["pread 0 1"], "nonexist", create: false);
        Directory.Delete(directory, recursive: true);
        Assert.Equal("nonexist: No such file or directory\n", actual.Errors);
        Assert.Equal(expected.Comparable, actual.Comparable);
    }
}
