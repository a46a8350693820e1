using DaxLab.Cli;
using DaxLab.Io;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// `daxlab VERB --help` prints that verb's usage on stdout and succeeds, for every verb the
/// dispatch knows; `daxlab --version` names the commit; bad usage (an unknown verb or option, a
/// listing verb given arguments) says what is wrong and exits 2.
/// </summary>
public sealed class HelpTests
{
    public static TheoryData<string> Verbs => [.. TopLevel.Verbs];

    [Theory]
    [MemberData(nameof(Verbs))]
    public void EveryVerbAnswersHelp(string verb)
    {
        foreach (string flag in new[] { "--help", "-h" })
        {
            var (status, stdout, stderr) = Run(verb, flag);
            Assert.Equal(0, status);
            Assert.StartsWith($"usage: daxlab {verb}", stdout);
            Assert.Equal("", stderr);
        }
    }

    [Fact]
    public void TheGeneralUsageListsEveryVerb()
    {
        var (status, stdout, _) = Run("help");
        Assert.Equal(0, status);
        foreach (string verb in TopLevel.Verbs)
            Assert.Contains($"\n  {verb} ", stdout);
    }

    [Fact]
    public void VersionNamesTheCommitItWasBuiltFrom()
    {
        var (status, stdout, stderr) = Run("--version");
        Assert.Equal(0, status);
        Assert.Equal("", stderr);
        // git describe: the commit's short id, after the nearest tag's name and distance if there is a tag.
        Assert.Matches(@"^daxlab \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\+(\S+-g)?[0-9a-f]{7,}(-dirty)?\n$", stdout);
    }

    [Fact]
    public void AnUnknownVerbWithHelpStillFails()
    {
        var (status, _, stderr) = Run("frobnicate", "--help");
        Assert.Equal(TopLevel.UsageExitCode, status);
        Assert.Contains("unknown command 'frobnicate'", stderr);
    }

    [Fact]
    public void AnUnknownTopLevelOptionIsBadUsage()
    {
        var (status, stdout, stderr) = Run("--frobnicate");
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.StartsWith("daxlab: unknown option '--frobnicate'", stderr);
    }

    [Theory]
    [InlineData("check", "--frobnicate", "daxlab check: unknown argument '--frobnicate'")]
    [InlineData("check", "--preemptions", "daxlab check: --preemptions needs a value")]
    [InlineData("io", "--frobnicate", "daxlab io: unknown option '--frobnicate'")]
    [InlineData("mkfs", "--frobnicate", "daxlab: mkfs: unexpected argument '--frobnicate'")]
    [InlineData("torture", "--frobnicate", "daxlab: torture: unexpected or bad argument '--frobnicate'")]
    [InlineData("bench", "--frobnicate", "daxlab bench:")]
    [InlineData("help", "extra", "daxlab: help takes no arguments, not 'extra'")]
    public void AnUnknownOptionOfAVerbIsBadUsage(string verb, string option, string message)
    {
        var (status, stdout, stderr) = Run(verb, option);
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.StartsWith(message, stderr);
    }

    [Fact]
    public void FsckKeepsItsOwnUsageStatus()
    {
        var (status, _, stderr) = Run("fsck", "--frobnicate");
        Assert.Equal(Fsck.ExitUsage, status);
        Assert.Contains("usage: daxlab fsck", stderr);
    }

    [Theory]
    [InlineData("designs")]
    [InlineData("scenarios")]
    public void ListingVerbsRefuseArguments(string verb)
    {
        var (status, stdout, stderr) = Run(verb, "extra");
        Assert.Equal(2, status);
        Assert.Equal("", stdout);
        Assert.Contains($"{verb} takes no arguments, not 'extra'", stderr);
    }

    [Fact]
    public void AnExistingDeviceIsAFailedCommandNotBadUsage()
    {
        string existing = Path.GetTempFileName();
        try
        {
            var (status, _, stderr) = Run("mkfs", existing);
            Assert.Equal(1, status);
            Assert.Contains("already exists", stderr);
        }
        finally
        {
            File.Delete(existing);
        }
    }

    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
