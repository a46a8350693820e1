using System.Text.Json;
using DaxLab.Cli;
using DaxLab.Cli.Bench;
using DaxLab.Cli.Io;

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
    }

    [Fact]
    public void NarrowingFlagsAreParsed()
    {
        var arguments = BenchArguments.Parse(["--workload", "fault-storm,single", "--design", "v4.12,range-lock", "--threads", "4,1,2",
            "--seconds", "0.25", "--out", "x", "--no-host", "--no-plots"]);
        Assert.Equal(["fault-storm", "single"], arguments.Workloads);
        Assert.Equal(["v4.12", "range-lock"], arguments.Designs.Select(d => d.Name));
        Assert.Equal([1, 2, 4], arguments.Threads);
        Assert.Equal(0.25, arguments.Seconds);
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
    public void BadArgumentsGiveOneClearLineAndStatusOne(string flag, string? value, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args = value is null ? ["bench", flag] : ["bench", flag, value];
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        Assert.Equal(1, status);
        Assert.Contains(expected, stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }

    [Fact]
    public void CsvHasAHeaderAndOneLinePerRunWithTheSameColumns()
    {
        BenchRun[] runs =
        [
            new("fault-storm", "v4.12", "read fault", 2, 0.5, 1000, 2000, 1000, SpeedVsHost: 0.5),
            new("single", "host-tmpfs", "pwrite 4 KiB", 1, 0, 0, 1e6, 1000, "memcpy 4 KiB", 500, 2),
        ];
        var lines = BenchReport.ToCsv(runs).TrimEnd('\n').Split('\n');
        Assert.Equal(string.Join(',', BenchReport.CsvColumns), lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Equal(BenchReport.CsvColumns.Length, line.Split(',').Length));
        Assert.StartsWith("fault-storm,v4.12,read fault,2,", lines[1]);
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
            var machine = json.RootElement.GetProperty("machine");
            foreach (var field in (string[])["cpu", "cores", "dot_net", "git_commit", "load_average_before", "seam"])
                Assert.True(machine.TryGetProperty(field, out _), field);
            var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
            var ours = runs.Single(r => r.GetProperty("target").GetString() == "v4.12");
            Assert.Equal(1, ours.GetProperty("threads").GetInt32());
            Assert.True(ours.GetProperty("ops").GetInt64() > 0);
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
            var run = BenchRunner.RunPoint(workload, BenchTarget.Engine(Designs.DesignCatalog.Default), threads: 2, seconds: 0.05);
            Assert.True(run.Ops > 0, workload.Name);
        }
    }
}
