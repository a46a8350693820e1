using System.Text.Json;
using System.Text.RegularExpressions;
using DaxLab.Checker;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;
using DaxLab.Scenarios.Report;
using DaxLab.Designs;

namespace DaxLab.Tests.Check;

/// <summary>The HTML report's data: the world after each step of a replayed failure, and the page that carries it.</summary>
public class HtmlReportTests
{
    /// <summary>The 2017 race (v4.10, write-vs-read-fault-4k) as the search finds it, with the report's cell.</summary>
    internal static HtmlReport.Cell Race2017()
    {
        var scenario = BuiltInScenarios.Find("write-vs-read-fault-4k");
        var design = DesignCatalog.Find("v4.10");
        using var runner = new ScenarioRunner(scenario, design);
        var result = Explorer.Explore(runner.Build, new ExploreOptions(StrategyKind.Dfs, StopOnFailure: true));
        Assert.Single(result.Failures);
        return new HtmlReport.Cell(scenario, design, result);
    }

    [Fact]
    public void The_2017_race_ends_with_a_hole_page_indexed_and_mapped_over_allocated_blocks()
    {
        var cell = Race2017();
        var failure = cell.Result.Failures[0];
        var traced = SteppedTrace.Replay(cell.Scenario, cell.Design, failure.ReplayToken);

        Assert.Equal(failure.Trace, traced.Run.Trace);
        Assert.Equal(failure.Trace.Count + 1, traced.States.Count);
        var before = traced.States[0];
        var end = traced.States[^1];
        // The setup: an 8 KiB file of holes, page 1 mapped read-only, nothing faulted in.
        Assert.Equal(8192, before.Size);
        Assert.Equal([new IndexRun(0, 2, "none", null, false, false, false)], before.Index);
        Assert.Equal([new ExtentRun(0, 2, "hole", null)], before.Extents);
        Assert.Empty(before.Mappings.Single().Entries);
        // The end: write(2) allocated block 1, yet the index keeps the hole page the read fault
        // inserted and the mapping still shows it: the bug.
        var written = Assert.Single(end.Extents, x => x.State == "written");
        Assert.Equal((1, 1), (written.FirstBlock, written.Blocks));
        var hole = Assert.Single(end.Index, r => r.Kind != "none");
        Assert.Equal((1L, "hole page", false, false), (hole.FirstPage, hole.Kind, hole.Locked, hole.Dirty));
        var pte = Assert.Single(end.Mappings.Single().Entries);
        Assert.Equal((4096L, "hole page", false, false), (pte.FileOffset, pte.Target, pte.Huge, pte.Writable));
        Assert.Equal(8192, end.Size);
    }

    /// <summary>The step that writes "hole page replaces empty entry" is where the index changes to the hole page, locked.</summary>
    [Fact]
    public void Each_state_is_the_one_after_its_step()
    {
        var cell = Race2017();
        var traced = SteppedTrace.Replay(cell.Scenario, cell.Design, cell.Result.Failures[0].ReplayToken);
        int insert = traced.Run.Trace.ToList().FindIndex(s => s.Notes.Any(n => n.Contains("hole page replaces empty entry")));
        int empty = traced.Run.Trace.ToList().FindIndex(s => s.Notes.Any(n => n.Contains("adds empty entry")));

        Assert.True(empty >= 0 && insert > empty);
        Assert.DoesNotContain(traced.States[empty].Index, r => r.Kind == "EMPTY");
        Assert.Contains(traced.States[empty + 1].Index, r => r is { Kind: "EMPTY", Locked: true, FirstPage: 1 });
        Assert.Contains(traced.States[insert + 1].Index, r => r is { Kind: "hole page", Locked: true, FirstPage: 1 });
    }

    [Fact]
    public void The_page_embeds_the_verdicts_and_each_failure_with_its_states_and_replay_command()
    {
        var cell = Race2017();
        string page = HtmlReport.Render(HtmlReport.Collect([cell], "test"));

        Assert.DoesNotContain("__DAXLAB_REPORT_DATA__", page);
        Assert.DoesNotMatch(new Regex(@"(src|href)=""(https?:)?//"), page);
        string json = Regex.Match(page, @"<script id=""report-data"" type=""application/json"">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        using var data = JsonDocument.Parse(json);
        var failure = data.RootElement.GetProperty("failures")[0];
        Assert.Equal("v4.10", failure.GetProperty("design").GetString());
        Assert.StartsWith("daxlab check --replay v4.10:write-vs-read-fault-4k:", failure.GetProperty("replay").GetString());
        Assert.Equal(failure.GetProperty("steps").GetArrayLength() + 1, failure.GetProperty("states").GetArrayLength());
        var verdict = data.RootElement.GetProperty("cells")[0];
        Assert.Equal(0, verdict.GetProperty("failures")[0].GetInt32());
    }

    [Fact]
    public void Check_html_writes_the_page_beside_the_usual_output()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("daxlab-html-").FullName, "report.html");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = CheckCommand.Run(["--design", "v4.10", "--scenario", "write-vs-read-fault-4k", "--first-failure", "--seconds", "30", "--html", path], stdout, stderr);

        Assert.Equal(1, status);
        Assert.Contains("== v4.10 fails write-vs-read-fault-4k", stdout.ToString());
        Assert.Equal("", stderr.ToString());
        string page = File.ReadAllText(path);
        Assert.Contains("\"design\":\"v4.10\"", page);
        Assert.Contains("hole page", page);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public void Check_html_into_a_missing_folder_is_refused_before_the_search()
    {
        var stderr = new StringWriter();

        int status = CheckCommand.Run(["--html", "/nonexistent-daxlab/report.html"], new StringWriter(), stderr);

        Assert.NotEqual(0, status);
        Assert.Contains("--html /nonexistent-daxlab/report.html: no folder /nonexistent-daxlab", stderr.ToString());
    }
}
