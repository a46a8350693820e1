using System.Text.Json;
using DaxLab.Cli;
using DaxLab.Cli.Bench;
using DaxLab.Io;

namespace DaxLab.Tests.Bench;

/// <summary>
/// `daxlab bench` plumbing: argument parsing, the CSV and JSON shapes, and that a tiny run makes
/// rows. No speed is asserted here; the goals are printed figures (docs/bench.md).
/// </summary>
public class BenchTests
{
    /// <summary>A point this short still runs every worker through at least one operation.</summary>
    const string TinySeconds = "0.05";

    [Fact]
    public void DefaultsCoverEveryWorkloadDesignAndThreadCountUpToTwiceTheCores()
    {
        var arguments = BenchArguments.Parse([]);
        Assert.Equal(Workload.AllNames, arguments.Workloads);
        Assert.Equal(Designs.DesignCatalog.All.Count, arguments.Designs.Count);
        Assert.Equal(1, arguments.Threads[0]);
        Assert.True(arguments.Threads[^1] * 2 > 2 * Environment.ProcessorCount, "the largest power of two up to twice the cores");
        Assert.All(arguments.Threads, t => Assert.InRange(t, 1, 2 * Environment.ProcessorCount));
        Assert.Equal(BenchArguments.DefaultOut, arguments.OutDirectory);
        Assert.Equal(Estimate.MinTrials, arguments.Trials);
        Assert.Null(arguments.Compare);
    }

    [Fact]
    public void NarrowingFlagsAreParsed()
    {
        var arguments = BenchArguments.Parse(["--workload", "fault-storm,single", "--design", "v4.12,range-lock", "--threads", "4,1,2",
            "--seconds", "0.25", "--trials", "7", "--out", "x", "--no-host", "--no-plots"]);
        Assert.Equal(["fault-storm", "single"], arguments.Workloads);
        Assert.Equal(["v4.12", "range-lock"], arguments.Designs.Select(d => d.Name));
        Assert.Equal([1, 2, 4], arguments.Threads);
        Assert.Equal(0.25, arguments.Seconds);
        Assert.Equal(7, arguments.Trials);
        Assert.Equal("x", arguments.OutDirectory);
        Assert.False(arguments.Host);
        Assert.False(arguments.Plots);
    }

    [Theory]
    [InlineData("--workload", "nope", "no workload named 'nope'")]
    [InlineData("--design", "v9", "no design named 'v9'")]
    [InlineData("--threads", "0", "bad thread count '0'")]
    [InlineData("--threads", "two", "bad thread count 'two'")]
    [InlineData("--seconds", "-1", "bad --seconds '-1'")]
    [InlineData("--frobnicate", null, "unexpected argument '--frobnicate'")]
    [InlineData("--seconds", null, "--seconds needs a value")]
    [InlineData("--trials", "4", "bad --trials '4'")]
    [InlineData("--compare", "a.json", "--compare needs a value")]
    public void BadArgumentsGiveOneClearLineAndTheUsageStatus(string flag, string? value, string expected)
    {
        var stderr = new StringWriter();
        string[] args = value is null ? ["bench", flag] : ["bench", flag, value];
        int status = TopLevel.Run(args, new StringWriter(), stderr, CBuffering.Full, out _);
        Assert.Equal(BenchCommand.UsageStatus, status);
        Assert.Contains(expected, stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }

    [Fact]
    public void CompareTakesNoOtherOption()
    {
        var stderr = new StringWriter();
        int status = TopLevel.Run(["bench", "--compare", "a.json", "b.json", "--seconds", "1"], new StringWriter(), stderr, CBuffering.Full, out _);
        Assert.Equal(BenchCommand.UsageStatus, status);
        Assert.Contains("--compare takes two results.json files and no other option", stderr.ToString());
    }

    [Fact]
    public void CompareOfAMissingOrOldFileSaysWhichAndWhy()
    {
        string old = Path.Combine(Path.GetTempPath(), $"daxlab-old-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(old, """{ "machine": { "git_commit": "8aa8a008aa9a" }, "runs": [] }""");
            var stderr = new StringWriter();
            Assert.Equal(1, TopLevel.Run(["bench", "--compare", old, "/nonexistent/b.json"], new StringWriter(), stderr, CBuffering.Full, out _));
            Assert.Contains("schema version 1", stderr.ToString());
            Assert.Contains(old, stderr.ToString());
            stderr = new StringWriter();
            Assert.Equal(1, TopLevel.Run(["bench", "--compare", "/nonexistent/a.json", old], new StringWriter(), stderr, CBuffering.Full, out _));
            Assert.Contains("/nonexistent/a.json: no such file", stderr.ToString());
            Assert.DoesNotContain("   at ", stderr.ToString());
        }
        finally
        {
            File.Delete(old);
        }
    }

    [Fact]
    public void CompareOfTwoWrittenRunsPrintsEachPointsChange()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"daxlab-compare-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            string before = Path.Combine(directory, "before.json"), after = Path.Combine(directory, "after.json");
            File.WriteAllText(before, BenchReport.ToJson(StatisticsTests.Result(StatisticsTests.SingleRow("v4.12", "pwrite 4 KiB", [1.4, 1.42, 1.45, 1.47, 1.5]))));
            File.WriteAllText(after, BenchReport.ToJson(StatisticsTests.Result(StatisticsTests.SingleRow("v4.12", "pwrite 4 KiB", [1.1, 1.12, 1.15, 1.17, 1.2]))));
            var stdout = new StringWriter();
            Assert.Equal(0, TopLevel.Run(["bench", "--compare", before, after], stdout, new StringWriter(), CBuffering.Full, out _));
            var line = stdout.ToString().Split('\n').Single(l => l.StartsWith("single", StringComparison.Ordinal));
            Assert.Contains("1.450 [1.400, 1.500]", line);
            Assert.Contains("-20.7%", line);
            Assert.EndsWith("faster", line.TrimEnd());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void CsvHasAHeaderAndOneLinePerRunWithTheSameColumnsAndPlainNumbers()
    {
        var rate = Estimate.Of([1343220.0, 1343221, 1343222, 1343223, 1e21]);
        BenchRun[] runs =
        [
            new("fault-storm", "v4.12", "read fault", 2, 0.5, 1_343_220_000, rate, rate.Map(r => 2e9 / r), SpeedVsHost: Estimate.Of([0.5, 0.5, 0.5, 0.5, 0.5])),
            StatisticsTests.SingleRow("host-tmpfs", "pwrite 4 KiB", [1.5e-7, 2, 2, 2, 2]),
        ];
        var lines = BenchReport.ToCsv(runs).TrimEnd('\n').Split('\n');
        Assert.Equal(string.Join(',', BenchReport.CsvColumns), lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Equal(BenchReport.CsvColumns.Length, line.Split(',').Length));
        Assert.StartsWith("fault-storm,v4.12,read fault,2,5,0.5,1343220000,1343222,1343220,1000000000000000000000,", lines[1]);
        Assert.All(lines, line => Assert.DoesNotContain("E", line.Replace("KiB", "")));
        Assert.EndsWith(",yes", lines[1]);
    }

    [Theory]
    [InlineData(1343220.0, "1343220")]
    [InlineData(1e21, "1000000000000000000000")]
    [InlineData(-2.5e20, "-250000000000000000000")]
    [InlineData(1.5e-7, "0.00000015")]
    [InlineData(0.1, "0.1")]
    [InlineData(706.3459812345678, "706.3459812345678")]
    [InlineData(double.NaN, "NaN")]
    public void PlainNumbersHaveNoExponentAndReadBackExactly(double value, string expected)
    {
        string text = PlainNumber.Format(value);
        Assert.Equal(expected, text);
        Assert.Equal(value, double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("1.0.0+f91a2d92d84c", "f91a2d92d84c")]
    [InlineData("1.0.0+f91a2d92d84c-dirty", "f91a2d92d84c-dirty")]
    [InlineData("1.0.0+no-git", "not recorded: built without git")]
    [InlineData("1.0.0", "not recorded by the build")]
    public void TheCommitIsTheInformationalVersionsSourceRevision(string version, string expected) =>
        Assert.Equal(expected, BuildProvenance.CommitOf(version));

    [Fact]
    public void ThisBuildRecordedItsSourceRevisionAndConfiguration()
    {
        // Directory.Build.targets always appends +<git describe> or +no-git.
        Assert.Contains("+", BuildProvenance.InformationalVersion);
        Assert.DoesNotContain("unknown", BuildProvenance.Commit);
        Assert.NotEqual("not recorded", BuildProvenance.Configuration);
    }

    [Fact]
    public void ATinyRunMakesRowsAndJsonWithTheMachine()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"daxlab-bench-test-{Guid.NewGuid():N}");
        try
        {
            var stdout = new StringWriter();
            int status = BenchCommand.Run(["--workload", "disjoint-writers", "--design", "v4.12", "--threads", "1",
                "--seconds", TinySeconds, "--out", directory, "--no-plots"], stdout, new StringWriter());
            Assert.Equal(0, status);
            Assert.Contains("disjoint-writers", stdout.ToString());

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "results.json")));
            Assert.Equal(BenchResult.CurrentSchemaVersion, json.RootElement.GetProperty("schemaVersion").GetInt32());
            var machine = json.RootElement.GetProperty("machine");
            foreach (var field in (string[])["cpu", "cores", "dotNet", "version", "commit", "buildConfiguration", "loadAverageBefore", "seam", "trials"])
                Assert.True(machine.TryGetProperty(field, out _), field);
            var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
            var ours = runs.Single(r => r.GetProperty("target").GetString() == "v4.12");
            Assert.Equal(1, ours.GetProperty("threads").GetInt32());
            Assert.True(ours.GetProperty("ops").GetInt64() > 0);
            var cost = ours.GetProperty("nsPerOp");
            Assert.Equal(Estimate.MinTrials, cost.GetProperty("trials").GetArrayLength());
            Assert.InRange(cost.GetProperty("median").GetDouble(), cost.GetProperty("low").GetDouble(), cost.GetProperty("high").GetDouble());
            Assert.Contains("median of 5 trials", stdout.ToString());
            Assert.Equal(runs.Count, File.ReadAllLines(Path.Combine(directory, "results.csv")).Count(l => l.StartsWith("disjoint-writers,", StringComparison.Ordinal)));
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void EveryWorkloadRunsOnePointOnTheEngine()
    {
        foreach (var workload in Workload.All)
        {
            var trial = BenchRunner.RunTrial(workload, BenchTarget.Engine(Designs.DesignCatalog.Default), threads: 2, seconds: 0.05);
            Assert.True(trial.Ops > 0, workload.Name);
        }
    }
}
