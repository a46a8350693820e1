using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

/// <summary>`daxlab check` shows a live progress line on a terminal's stderr, and nothing elsewhere.</summary>
public class ProgressLineTests
{
    private static readonly string[] OneCell = ["--design", "v4.12", "--scenario", "fsync-vs-store", "--seconds", "30"];

    [Fact]
    public void On_a_terminal_a_cell_shows_its_search_and_wipes_the_line_when_done()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        CheckCommand.Run(OneCell, stdout, stderr, stderrIsTerminal: true);
        string shown = stderr.ToString();
        Assert.StartsWith("\r1 schedules, ", shown);
        Assert.Contains(" 0 failed, bound 0 ~0%: fsync-vs-store on v4.12", shown);
        Assert.EndsWith("\r", shown);
        Assert.DoesNotContain("schedules, ", shown.Split('\r')[^2]);
        Assert.Contains("pass (proven", stdout.ToString());
    }

    [Fact]
    public void Elsewhere_stderr_gets_nothing()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        CheckCommand.Run(OneCell, stdout, stderr);
        Assert.Equal("", stderr.ToString());
    }
}
