using System.Diagnostics;
using DaxLab.Io.Backends;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// The same generated command lists through the real xfs_io 6.1 (on an ext4 file) and through
/// `daxlab io`; after _filter_xfs_io (and masks for addresses, inode numbers and block counts) the
/// combined output and the exit status must be identical. A failure names the seed and the list.
/// </summary>
public sealed class DifferentialTests
{
    /// <summary>How many lists CI runs per backend.</summary>
    const int ListCount = 500;

    /// <summary>The in-memory device for the engine run: 64 MiB holds any 1 MiB file the generator makes.</summary>
    const long InMemoryDeviceSize = 64L << 20;

    [XfsIoFact]
    public void HostBackendMatchesXfsIo()
    {
        string directory = XfsIo.NewScratchDirectory();
        AssertNotTmpfs(directory);
        var failures = new List<string>();
        for (int seed = 1; seed <= ListCount && failures.Count < 3; seed++)
        {
            IReadOnlyList<string> commands = new CommandListGenerator(seed, withBmap: true).Generate();
            XfsIo.Remove(directory);
            RunResult expected = XfsIo.RunReal(directory, commands);
            XfsIo.Remove(directory);
            RunResult actual = XfsIo.RunOursOnHost(directory, commands);
            if (expected.Comparable != actual.Comparable)
                failures.Add(XfsIo.Describe($"seed {seed} (rerun: new CommandListGenerator({seed}, withBmap: true))", commands, expected, actual));
        }
        Directory.Delete(directory, recursive: true);
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>
    /// The product path: the interpreter over the DaxLab engine on an in-memory device. Without
    /// xfs_io installed it compares with the interpreter on a host file instead (itself checked
    /// against xfs_io above). Two file systems are compared, so extent listings are compared as
    /// layouts of allocated ranges and holes, and come before any fzero or falloc -k (CommandListGenerator).
    /// </summary>
    [Fact]
    public void DaxBackendMatchesXfsIo()
    {
        string directory = XfsIo.NewScratchDirectory();
        var failures = new List<string>();
        for (int seed = 1; seed <= ListCount && failures.Count < 3; seed++)
        {
            IReadOnlyList<string> commands = new CommandListGenerator(seed, listExtentsAfterKnownDifferences: false).Generate();
            XfsIo.Remove(directory);
            RunResult expected = XfsIo.ExecutablePath is null
                ? XfsIo.RunOursOnHost(directory, commands)
                : XfsIo.RunReal(directory, commands);
            using var backend = new DaxBackend(DaxFileSystem.CreateInMemory(InMemoryDeviceSize), ownsFileSystem: true);
            RunResult actual = XfsIo.RunOurs(backend, commands);
            if (expected.ComparableAcrossFileSystems != actual.ComparableAcrossFileSystems)
                failures.Add(XfsIo.Describe($"seed {seed} on the DaxLab engine (rerun: new CommandListGenerator({seed}, listExtentsAfterKnownDifferences: false))", commands, expected, actual, acrossFileSystems: true));
        }
        Directory.Delete(directory, recursive: true);
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>The reference behaviour is xfs_io on ext4; tmpfs differs (no real fallocate modes, other sizes).</summary>
    static void AssertNotTmpfs(string directory)
    {
        var start = new ProcessStartInfo("stat", ["-f", "-c", "%T", directory]) { RedirectStandardOutput = true };
        using Process process = Process.Start(start)!;
        string type = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.True(type != "tmpfs", $"{directory} is on tmpfs; set TMPDIR to a directory on ext4 (for example /var/tmp)");
    }
}
