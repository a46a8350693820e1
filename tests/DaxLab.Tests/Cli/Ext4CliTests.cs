using DaxLab.Cli;
using DaxLab.Cli.Check;
using DaxLab.Io;

namespace DaxLab.Tests.Cli;

/// <summary>The ext4 designs and their scenario from the command line: listed, chosen by name, outside the default matrix.</summary>
public class Ext4CliTests
{
    [Fact]
    public void Designs_lists_the_ext4_designs_with_their_sources_and_how_to_run_them()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, TopLevel.Run(["designs"], stdout, TextWriter.Null, CBuffering.Full, out _));
        string text = stdout.ToString();
        Assert.Contains("ext4-v4.11-entry-first ", text);
        Assert.Contains("fb26a1cbed8c", text);
        Assert.Contains("outside the default matrix: daxlab check --design ext4-v4.12", text);
        Assert.DoesNotContain("outside the default matrix: daxlab check --design v4.12\n", text);
    }

    [Fact]
    public void Scenarios_lists_the_ext4_scenario()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, TopLevel.Run(["scenarios"], stdout, TextWriter.Null, CBuffering.Full, out _));
        Assert.Contains("ext4-pwrite-vs-write-fault-commit", stdout.ToString());
    }

    [Fact]
    public void Check_of_the_entry_lock_first_ext4_design_fails_with_lockdeps_report_and_exit_1()
    {
        var stdout = new StringWriter();
        int status = CheckCommand.Run(["--design", "ext4-v4.11-entry-first", "--scenario", "ext4-pwrite-vs-write-fault-commit", "--first-failure", "--seconds", "60"], stdout, TextWriter.Null);
        Assert.Equal(1, status);
        Assert.Contains("possible circular locking dependency detected: dax_entry_lock -> jbd2_handle -> dax_entry_lock", stdout.ToString());
        Assert.Contains("daxlab check --replay ext4-v4.11-entry-first:ext4-pwrite-vs-write-fault-commit:", stdout.ToString());
    }
}
