using DaxLab.Cli;
using DaxLab.Cli.CrashCheck;
using DaxLab.Device;
using DaxLab.Io;
using DaxLab.Io.Backends;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// `daxlab crashcheck` (issue #11): 0 violations on the file system as written, the known weak
/// spot found with its fences removed, MAP_SYNC's promise broken without MAP_SYNC, bad usage
/// exit 2; and `daxlab io`'s `mmap -S` forcing the log on a write fault.
/// </summary>
public sealed class CrashCheckTests
{
    /// <summary>A small budget per crash point keeps the suite fast; exhaustive points stay exhaustive up to it.</summary>
    private static readonly string[] Small = ["--max-exhaustive", "256", "--samples", "32"];

    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        return (status, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Every_crash_state_of_every_workload_mounts_clean_and_keeps_its_promises()
    {
        var (status, stdout, stderr) = Run(["crashcheck", .. Small]);
        Assert.True(status == 0, stdout + stderr);
        foreach (CrashWorkload w in CrashWorkloads.All)
            Assert.Matches($@"(?m)^{w.Name} +\d+ crash points +[1-9]\d* states .* 0 violations$", stdout);
        Assert.EndsWith("no violations\n", stdout);
    }

    [Fact]
    public void With_fences_removed_it_finds_the_tail_promising_lost_log_records()
    {
        var (status, stdout, _) = Run(["crashcheck", "--without-fences", "--workload", "create-write-fsync", .. Small]);
        Assert.Equal(1, status);
        Assert.Matches(@"(?m)^create-write-fsync .* [1-9]\d* violations$", stdout);
        Assert.Contains("during 'fsync a'", stdout);
        Assert.Contains("lines kept: tail copy", stdout);
        Assert.Contains("mount refused the image: Structure needs cleaning: log is damaged at offset 0", stdout);
    }

    [Fact]
    public void Without_MAP_SYNC_a_flushed_mapped_store_can_be_lost()
    {
        var (status, stdout, _) = Run(["crashcheck", "--without-map-sync", "--workload", "map-sync"]);
        Assert.Equal(1, status);
        Assert.Contains("but a flushed MAP_SYNC store returned for it", stdout);
        (status, stdout, _) = Run(["crashcheck", "--workload", "map-sync"]);
        Assert.True(status == 0, stdout);
        Assert.Matches(@"(?m)^map-sync +\d+ crash points +\d+ states \(exhaustive\) +0 violations$", stdout);
    }

    [Fact]
    public void A_crash_point_past_the_exhaustive_budget_is_sampled_and_said_so()
    {
        var (status, stdout, _) = Run("crashcheck", "--workload", "log-wrap", "--max-exhaustive", "4", "--samples", "8", "--seed", "3");
        Assert.Equal(0, status);
        Assert.Matches(@"(?m)^log-wrap .* \(sampled at [1-9]\d* of \d+ points, exhaustive elsewhere\) +0 violations$", stdout);
        Assert.Contains("else 8 sampled (seed 3)", stdout);
    }

    [Theory]
    [InlineData("--workload", "nope")]
    [InlineData("--samples", "0")]
    [InlineData("--seed")]
    [InlineData("--bogus")]
    public void Bad_usage_is_exit_2_with_the_usage(params string[] args)
    {
        var (status, stdout, stderr) = Run(["crashcheck", .. args]);
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.StartsWith("daxlab crashcheck: ", stderr);
        Assert.Contains("usage: daxlab crashcheck", stderr);
    }

    [Fact]
    public void Help_names_the_verb_and_its_workloads()
    {
        Assert.Contains("crashcheck [options]", Run("help").Stdout);
        var (status, stdout, _) = Run("crashcheck", "--help");
        Assert.Equal(0, status);
        Assert.Contains("--without-fences", stdout);
        Assert.Contains("map-sync", stdout);
    }

    /// <summary>
    /// `mmap -S` in `daxlab io`: the write fault of `mwrite` forces the log before the store
    /// lands, so no log line is left uncertain (the store itself is, until flushed); a plain
    /// `mmap` leaves the allocation's records in the unflushed log.
    /// </summary>
    [Theory]
    [InlineData("mmap -S 0 8192", false)]
    [InlineData("mmap 0 8192", true)]
    public void Io_mmap_S_write_fault_makes_the_log_durable(string mmap, bool logUncertain)
    {
        using var dfs = DaxFileSystem.Format(PmemDevice.CreateAnonymous(8L << 20), logBytes: null);
        var fs = dfs.Fs;
        var model = fs.Device.EnablePowerFailModel();
        using var backend = new DaxBackend(dfs, ownsFileSystem: false);
        var result = XfsIo.RunOurs(backend, ["truncate 8192", mmap, "mwrite 4096 64", "mmap"]);
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Contains(mmap.Contains("-S") ? "rwx S" : "rwx ", result.Output);
        var lines = model.UncertainLines().Select(l => l.Offset).ToList();
        bool inLog = lines.Exists(o => o >= fs.Layout.LogOffset && o < fs.Layout.LogOffset + fs.Layout.LogBytes);
        Assert.Equal(logUncertain, inLog);
        Assert.Contains(lines, o => o >= fs.Layout.FirstDataBlock * 4096);
    }
}
