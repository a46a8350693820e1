using System.Diagnostics;
using System.Text;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

/// <summary>`daxlab check` prints each cell as it finishes, and on SIGINT the partial matrix and exit 130.</summary>
public class CheckLiveOutputTests
{
    [Fact]
    public void Each_cell_prints_its_verdict_line_before_the_matrix()
    {
        var stdout = new StringWriter();
        string[] args = ["--design", "v4.10,v4.12", "--scenario", "fsync-vs-store", "--seconds", "30"];
        CheckCommand.Run(args, stdout, TextWriter.Null);
        var lines = stdout.ToString().Split('\n');
        Assert.StartsWith("v4.10 × fsync-vs-store: pass (", lines[0]);
        Assert.StartsWith("v4.12 × fsync-vs-store: pass (", lines[1]);
        Assert.StartsWith("DaxLab check: ", lines[2]);
    }

    [Fact]
    public void The_json_document_gets_no_verdict_lines()
    {
        var stdout = new StringWriter();
        CheckCommand.Run(["--design", "v4.12", "--scenario", "fsync-vs-store", "--seconds", "30", "--json"], stdout, TextWriter.Null);
        Assert.StartsWith("{", stdout.ToString());
    }

    /// <summary>The default run, interrupted once its first cell is done: the partial matrix, that cell's line, exit 130.</summary>
    [Fact]
    public void Sigint_prints_the_partial_matrix_and_exits_130()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "daxlab.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath!, [cli, "check"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using var child = Process.Start(start)!;
        string first = child.StandardOutput.ReadLine() ?? "";
        Assert.Contains(" × ", first);
        using (var kill = Process.Start("kill", ["-INT", child.Id.ToString()]))
            kill.WaitForExit();
        string rest = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        Assert.True(child.ExitCode == 130, $"exit {child.ExitCode}: {child.StandardError.ReadToEnd()}");
        Assert.Matches(@"(?m)^DaxLab check: .*; interrupted after [\d.]+ s$", rest);
        Assert.Matches(@"(?m)^scenario +v4\.10 ", rest);
        Assert.Contains(" not run", rest);
        Assert.Contains(first.Split(": ", 2)[1], rest);
    }
}
