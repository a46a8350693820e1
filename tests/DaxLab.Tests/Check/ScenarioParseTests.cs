using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

public class ScenarioParseTests
{
    [Fact]
    public void A_scenario_parses_into_setup_cpus_and_checks()
    {
        var scenario = Scenario.Parse("""
            # a comment
            scenario demo
            title a demo
            setup:
                truncate 8k   # trailing comment
            cpu write(2):
                pwrite 0 4k
            cpu read fault:
                mmap -r 0 8k
                mread 0 1
            check:
                size 8k
            """, "demo.scn");
        Assert.Equal("demo", scenario.Name);
        Assert.Equal("a demo", scenario.Title);
        Assert.Equal(["truncate 8k"], scenario.Setup);
        Assert.Equal(["write(2)", "read fault"], scenario.Cpus.Select(c => c.Label));
        Assert.Equal(["mmap -r 0 8k", "mread 0 1"], scenario.Cpus[1].Commands);
        Assert.Equal(["size 8k"], scenario.Checks);
    }

    [Theory]
    [InlineData("setup:\n    truncate 1\ncpu a:\n    fsync\ncpu b:\n    fsync\n", "no 'scenario NAME' line")]
    [InlineData("scenario x\ncpu a:\n    fsync\n", "(expected 2 to 4")]
    [InlineData("scenario x\n    fsync\n", "x.scn:2: a command outside any section")]
    [InlineData("scenario x\nwhat is this\n", "x.scn:2: found 'what is this' (expected")]
    [InlineData("scenario x\ncpu a:\ncpu b:\n    fsync\n", "cpu 'a' has no commands")]
    public void Bad_scenarios_are_refused_with_the_line_and_the_reason(string text, string expected)
    {
        var error = Assert.Throws<ScenarioFileException>(() => Scenario.Parse(text, "x.scn"));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("setup:\n    pwrite 0 zz\n", "", "", "x.scn:3: setup: bad number 'zz'")]
    [InlineData("", "    frobnicate 1\n", "", "x.scn:6: cpu b: 'frobnicate' is not a scenario command")]
    [InlineData("", "", "check:\n    sise 4k\n", "x.scn:7: check: check 'sise 4k' is none of")]
    public void A_command_that_cannot_parse_is_refused_at_its_line(string setup, string cpuB, string check, string expected)
    {
        string text = $"scenario x\n{setup}cpu a:\n    pwrite 0 4k\ncpu b:\n    pread 0 4k\n{cpuB}{check}";
        var error = Assert.Throws<ScenarioFileException>(() => Scenario.Parse(text, "x.scn"));
        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void A_command_only_a_run_shows_wrong_is_refused_at_its_line_before_any_design_is_blamed()
    {
        var scenario = Scenario.Parse("scenario x\ncpu a:\n    pwrite 0 4k\ncpu b:\n    pread 0 4k\n    mwrite 0 1\n", "x.scn");
        var error = Assert.Throws<ScenarioFileException>(() => ScenarioRunner.Validate(scenario, "x.scn"));
        Assert.StartsWith("x.scn:6: cpu b: no mapping", error.Message);
    }

    [Fact]
    public void Every_built_in_scenario_passes_validation()
    {
        foreach (var scenario in BuiltInScenarios.All)
            ScenarioRunner.Validate(scenario, scenario.Name);
    }

    [Fact]
    public void Every_built_in_scenario_loads()
    {
        Assert.True(BuiltInScenarios.All.Count >= 16);
        Assert.Equal(BuiltInScenarios.All.Count, BuiltInScenarios.All.Select(s => s.Name).Distinct().Count());
    }
}
