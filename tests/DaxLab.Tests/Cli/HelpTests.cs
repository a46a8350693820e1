using DaxLab.Cli;
using DaxLab.Io;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>`daxlab VERB --help` prints that verb's usage on stdout and succeeds; an unknown verb, or a listing verb given arguments, fails.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("io", "--help", "usage: daxlab io")]
    [InlineData("check", "--help", "usage: daxlab check")]
    [InlineData("bench", "-h", "usage: daxlab bench")]
    [InlineData("mkfs", "--help", "mkfs DEVICE")]
    [InlineData("torture", "-h", "torture DEVICE")]
    public void EveryVerbAnswersHelp(string verb, string flag, string expected)
    {
        var (status, stdout, stderr) = Run(verb, flag);
        Assert.Equal(0, status);
        Assert.Contains(expected, stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void AnUnknownVerbWithHelpStillFails()
    {
        var (status, _, stderr) = Run("frobnicate", "--help");
        Assert.Equal(1, status);
        Assert.Contains("unknown command 'frobnicate'", stderr);
    }

    [Theory]
    [InlineData("designs")]
    [InlineData("scenarios")]
    public void ListingVerbsRefuseArguments(string verb)
    {
        var (status, stdout, stderr) = Run(verb, "extra");
        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        Assert.Contains($"{verb} takes no arguments, not 'extra'", stderr);
    }

    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
