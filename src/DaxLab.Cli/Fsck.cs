using System.Text.Encodings.Web;
using System.Text.Json;
using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;

namespace DaxLab.Cli;

/// <summary>How far fsck got through an image, and what it found there.</summary>
/// <param name="SchemaVersion">The version of this report's JSON shape (<see cref="Fsck.SchemaVersion"/>).</param>
/// <param name="Status">"clean", "errors" (exit 4) or "operational-error" (exit 8).</param>
/// <param name="FormatVersion">The on-device format version, when the image mounted.</param>
/// <param name="Log">What log recovery found, when mount got that far.</param>
public sealed record FsckReport(
    int SchemaVersion,
    string Device,
    string Status,
    int ExitCode,
    uint? FormatVersion,
    FsckLog? Log,
    int? Files,
    long? Extents,
    long? TotalBlocks,
    long? FreeBlocks,
    IReadOnlyList<string> Errors,
    IReadOnlyList<string> Warnings);

/// <summary>Log recovery as fsck saw it: the checkpoint generation, how far replay went, how far fsync had made the log durable, and the bytes of a torn or unacknowledged tail.</summary>
public sealed record FsckLog(long Generation, long ReplayedRecords, long ReplayedBytes, long DurableBytes, long DroppedBytes);

/// <summary>
/// `daxlab fsck [-n] [--json] DEVICE`, the xfs_repair -n of DaxLab: opens the image read-only,
/// replays the log into memory, runs the consistency check and reports. Nothing is ever written
/// (there is no repair), so -n is the only mode and is accepted for habit. Exit codes are
/// fsck(8)'s: 0 clean, 4 errors left uncorrected (damage mount refuses, or inconsistencies the
/// check finds), 8 operational error (the image cannot be examined: missing, busy, unreadable,
/// not a DaxLab image or of another format version), 16 usage error.
/// </summary>
public static class Fsck
{
    public const int ExitClean = 0;
    public const int ExitErrorsLeft = 4;
    public const int ExitOperationalError = 8;
    public const int ExitUsage = 16;

    /// <summary>Bumped when a field of <see cref="FsckReport"/> changes meaning or goes away.</summary>
    public const int SchemaVersion = 1;

    public const string Usage =
        "usage: daxlab fsck [-n] [--json] DEVICE\n"
        + "  check a DaxLab device image without changing it (read-only; -n is the only mode)\n"
        + "  --json  a machine-readable report\n"
        + "  exit status: 0 clean, 4 errors left uncorrected, 8 operational error, 16 usage error\n";

    /// <summary>camelCase names, and no escaping of the characters a message commonly holds ('->', quotes are still escaped).</summary>
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? device = null;
        bool json = false;
        foreach (string arg in args)
        {
            if (arg == "-n")
                continue;
            if (arg == "--json")
                json = true;
            else if (device is null && (!arg.StartsWith('-') || arg == "-"))
                device = arg;
            else
                return UsageError(stderr, device is null ? $"unknown option '{arg}'" : $"unexpected argument '{arg}'");
        }
        if (device is null)
            return UsageError(stderr, "no DEVICE given");
        FsckReport report = Examine(device);
        if (json)
            stdout.Write(JsonSerializer.Serialize(report, Json) + "\n");
        else
            WriteText(report, stdout, stderr);
        return report.ExitCode;
    }

    /// <summary>Examines the image at <paramref name="path"/> without writing it.</summary>
    public static FsckReport Examine(string path)
    {
        PmemDevice device;
        try
        {
            device = PmemDevice.OpenFileReadOnly(path);
        }
        catch (ErrnoException e)
        {
            return Failed(path, ExitOperationalError, e);
        }
        using (device)
        {
            FileSystem fs;
            try
            {
                fs = FileSystem.MountReadOnly(device, Seam.RealThreads);
            }
            catch (ErrnoException e)
            {
                // EUCLEAN is damage the format detects: an error found. Anything else (EINVAL:
                // not a DaxLab image, another version) means the image could not be examined.
                return Failed(path, e.Errno == Errno.EUCLEAN ? ExitErrorsLeft : ExitOperationalError, e);
            }
            using (fs)
                return Checked(path, fs);
        }
    }

    /// <summary>The report of an image that mounted: the consistency check decides clean or errors.</summary>
    private static FsckReport Checked(string path, FileSystem fs)
    {
        IReadOnlyList<string> errors = fs.Check();
        LogRecovery r = fs.Recovery;
        int exit = errors.Count == 0 ? ExitClean : ExitErrorsLeft;
        return new FsckReport(SchemaVersion, path, StatusOf(exit), exit, FileSystem.FormatVersion,
            new FsckLog(r.Generation, r.ReplayedRecords, r.ReplayedBytes, r.DurableBytes, r.DroppedBytes),
            fs.Inodes.Count, fs.ExtentCount, fs.Space.TotalBlocks, fs.Space.FreeBlocks,
            errors, r.Warning is { } w ? [w] : []);
    }

    /// <summary>The report of an image that could not be mounted, naming the errno and why.</summary>
    private static FsckReport Failed(string path, int exit, ErrnoException e) =>
        new(SchemaVersion, path, StatusOf(exit), exit, null, null, null, null, null, null,
            [$"{ErrnoException.StrError(e.Errno)}: {e.Message}"], []);

    private static string StatusOf(int exit) => exit switch
    {
        ExitClean => "clean",
        ExitErrorsLeft => "errors",
        _ => "operational-error",
    };

    /// <summary>The human report: findings on stdout, an operational error on stderr (the image was not examined).</summary>
    private static void WriteText(FsckReport report, TextWriter stdout, TextWriter stderr)
    {
        if (report.ExitCode == ExitOperationalError)
        {
            stderr.Write($"daxlab fsck: {report.Errors[0]}\n");
            return;
        }
        stdout.Write(report.FormatVersion is { } version
            ? $"{report.Device}: DaxLab format version {version}, checked read-only\n"
            : $"{report.Device}: does not mount, checked read-only\n");
        if (report.Log is { } log)
            stdout.Write($"log: checkpoint generation {log.Generation}, {log.ReplayedRecords} records ({log.ReplayedBytes} bytes) replayed, durable to offset {log.DurableBytes}\n"
                + $"{report.Files} files, {report.Extents} extents, {report.FreeBlocks} of {report.TotalBlocks} blocks free\n");
        foreach (string warning in report.Warnings)
            stdout.Write($"warning: {warning}\n");
        foreach (string error in report.Errors)
            stdout.Write($"error: {error}\n");
        stdout.Write(report.Errors.Count == 0 ? "clean\n"
            : $"{report.Errors.Count} error(s) left uncorrected (daxlab has no repair)\n");
    }

    /// <summary>A usage error: the problem, then the usage, status 16 as fsck(8) has it.</summary>
    private static int UsageError(TextWriter stderr, string problem)
    {
        stderr.Write($"daxlab fsck: {problem}\n{Usage}");
        return ExitUsage;
    }
}
