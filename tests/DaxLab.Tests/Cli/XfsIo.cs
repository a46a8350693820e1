using System.Diagnostics;
using DaxLab.Io;
using DaxLab.Io.Backends;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// One run's stdout and stderr (each a pipe) and exit status. They are compared separately: where
/// stderr lands inside stdout depends on 4096-byte buffer boundaries, which move with the widths
/// of the timing numbers (see UnitTests.FullBufferingFlushesWholeBuffersOnly for the interleaving itself).
/// </summary>
public readonly record struct RunResult(string Output, string Errors, int ExitCode)
{
    /// <summary>Both streams after the comparison filter, with the status, for one-line asserts.</summary>
    public string Comparable => XfsIoFilter.ForComparison(Output) + $"\n--- stderr ---\n{Errors}[exit {ExitCode}]";

    /// <summary>As <see cref="Comparable"/> for runs on two file systems: unwritten extents count as allocated (XfsIoFilter.FilterFiemap).</summary>
    public string ComparableAcrossFileSystems => XfsIoFilter.ForComparison(Output, allocatedAlike: true) + $"\n--- stderr ---\n{Errors}[exit {ExitCode}]";
}

/// <summary>A fact that needs the real xfs_io; skipped, saying why, only when xfs_io is not installed.</summary>
public sealed class XfsIoFactAttribute : FactAttribute
{
    public XfsIoFactAttribute()
    {
        if (XfsIo.ExecutablePath is null)
            Skip = "xfs_io is not installed (apt-get install -y xfsprogs); CI installs it";
    }
}

/// <summary>Runs the real xfs_io and the in-process interpreter on the same command list.</summary>
public static class XfsIo
{
    /// <summary>xfs_io from Debian's xfsprogs, or null when absent.</summary>
    public static string? ExecutablePath { get; } =
        new[] { "/usr/sbin/xfs_io", "/sbin/xfs_io", "/usr/bin/xfs_io" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// A scratch directory for test files. Path.GetTempPath() is /tmp, which is ext4 on the
    /// project's machines (not tmpfs); the differential test asserts the file system type.
    /// </summary>
    public static string NewScratchDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "daxlab-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>xfs_io [-f] [-r] -c ... FILE in <paramref name="directory"/>, stdout and stderr on pipes.</summary>
    public static RunResult RunReal(string directory, IReadOnlyList<string> commands, string file = "f", bool create = true, bool readOnly = false)
    {
        var start = new ProcessStartInfo(ExecutablePath!)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (create)
            start.ArgumentList.Add("-f");
        if (readOnly)
            start.ArgumentList.Add("-r");
        foreach (string command in commands)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
        }
        start.ArgumentList.Add(file);
        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new RunResult(output, errors.Result, process.ExitCode);
    }

    /// <summary>The interpreter in-process on <paramref name="backend"/>.</summary>
    public static RunResult RunOurs(IIoBackend backend, IReadOnlyList<string> commands, string file = "f", bool create = true)
    {
        var arguments = new IoArguments(null, true, create, commands, [file], backend.ReadOnly);
        var output = new StringWriter();
        var errors = new StringWriter();
        int status = IoRunner.Run(arguments, backend, output, errors, CBuffering.Full, out _);
        return new RunResult(output.ToString(), errors.ToString(), status);
    }

    /// <summary>The interpreter on a host file in <paramref name="directory"/>.</summary>
    public static RunResult RunOursOnHost(string directory, IReadOnlyList<string> commands, string file = "f", bool create = true)
    {
        using var backend = new HostBackend(directory);
        return RunOurs(backend, commands, file, create);
    }

    /// <summary>A readable account of a mismatch: the list that reruns it and the first lines that differ.</summary>
    public static string Describe(string what, IReadOnlyList<string> commands, RunResult expected, RunResult actual, bool acrossFileSystems = false)
    {
        string[] want = (acrossFileSystems ? expected.ComparableAcrossFileSystems : expected.Comparable).Split('\n');
        string[] got = (acrossFileSystems ? actual.ComparableAcrossFileSystems : actual.Comparable).Split('\n');
        int first = 0;
        while (first < want.Length && first < got.Length && want[first] == got[first])
            first++;
        string Around(string[] lines) => string.Join("\n", lines.Skip(Math.Max(0, first - 3)).Take(7));
        return $"{what}\ncommands: {string.Join(" ", commands.Select(c => $"-c \"{c}\""))}\n"
            + $"first difference at output line {first + 1}\n--- xfs_io ---\n{Around(want)}\n--- daxlab ---\n{Around(got)}";
    }

    /// <summary>Removes a test file between runs so both tools start from the same state.</summary>
    public static void Remove(string directory, string file = "f")
    {
        File.Delete(Path.Combine(directory, file));
    }
}
