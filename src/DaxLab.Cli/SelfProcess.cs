using System.Diagnostics;

namespace DaxLab.Cli;

/// <summary>Starting this program again as a child process: the kill runs and the two-process runs need real OS processes.</summary>
internal static class SelfProcess
{
    /// <summary>`daxlab ARGS`, as the apphost or as `dotnet daxlab.dll`, whichever started this process; stdout and stderr redirected.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program to start for the child");
        List<string> args = [.. arguments];
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            args.Insert(0, typeof(SelfProcess).Assembly.Location);
        return new ProcessStartInfo(host, args) { RedirectStandardOutput = true, RedirectStandardError = true };
    }
}
