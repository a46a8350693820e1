using DaxLab.Base;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;
using DaxLab.Designs;
using DaxLab.Mm;

namespace DaxLab.Tests.Check;

/// <summary>`pwrite -M N [-B BOFF]` and `pread -M N [-B BOFF]`: a mapping as the system call's buffer.</summary>
public class MappedBufferTests
{
    [Theory]
    [InlineData("pwrite -M 3 0 4k", "no mapping 3 (there are 1)")]
    [InlineData("pwrite -M 0 -B 8k 0 4k", "file bytes [8192, 12288) are not inside mapping 0, which maps [0, 8192)")]
    [InlineData("pread -M 0 4k 8k", "file bytes [4096, 12288) are not inside mapping 0")]
    [InlineData("pwrite -B 0 0 4k", "-B names an offset inside the mapping that -M selects")]
    [InlineData("pwrite -M 0 -S 1 0 4k", "-S fills a buffer of its own")]
    [InlineData("pread -M x 0 4k", "-M takes a mapping number, not 'x'")]
    [InlineData("pread 0 4k -M", "-M needs a value")]
    public void A_mapped_buffer_that_cannot_be_had_is_the_scenarios_error(string command, string expected)
    {
        string text = $"scenario x\nsetup:\n    truncate 8k\n    mmap -rw 0 8k\ncpu a:\n    pread 0 4k\ncpu b:\n    {command}\n";
        var error = Assert.Throws<ScenarioFileException>(() => ScenarioRunner.Validate(Scenario.Parse(text, "x.scn"), "x.scn"));
        Assert.Contains("x.scn:8: cpu b: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    /// <summary>
    /// The mapping covers [4k, 12k) of an 8 KiB file, so each call's second page faults past EOF:
    /// the log holds the page each call really moved, once as the file I/O and once as the
    /// mapped bytes the copy loaded or stored.
    /// </summary>
    [Fact]
    public void A_mapped_buffer_logs_the_bytes_the_call_moved_both_ways()
    {
        using var world = new ScenarioWorld(new DaxOptions());
        var commands = new ScenarioCommands(world, cpu: 0);
        foreach (string command in new[] { "truncate 8k", "pwrite -S 0x41 4k 4k", "mmap -rw 4k 8k" })
            commands.Run(command);
        world.StartCpus();
        commands.Run("pwrite -M 0 -B 4k 0 8k");
        commands.Run("pread -M 0 -B 4k 0 8k");
        var page = Enumerable.Repeat((byte)0x41, Geometry.PageSize).ToArray();
        Assert.Equal(
            [(true, 0L), (false, 4096L), (false, 0L), (true, 4096L)],
            world.Log.Select(op => (op.IsWrite, op.Offset)));
        Assert.All(world.Log, op => Assert.Equal(page, op.Data));
        Assert.Equal(8192, world.File.Length);
    }

    /// <summary>A self-deadlock on real threads is reported, not waited on for ever.</summary>
    [Fact]
    public void Stress_reports_a_deadlock_on_real_threads_and_stops()
    {
        var mmapSem = DesignCatalog.Find("mmap-sem");
        using var runner = new ScenarioRunner(BuiltInScenarios.Find("pwrite-from-mapping-disjoint"), mmapSem);
        var failure = Assert.Single(runner.Stress(5, runTimeout: TimeSpan.FromSeconds(2)));
        Assert.Contains("run 0: no progress in 2 s", failure);
        Assert.Contains("CPU1 - write(2)", failure);
        Assert.Contains("still running: a deadlock on real threads", failure);
    }
}
