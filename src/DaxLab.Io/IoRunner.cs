using DaxLab.Io.Backends;
using DaxLab.Io.Commands;
using DaxLab.Mm;

namespace DaxLab.Io;

/// <summary>How a run of `daxlab io` ended.</summary>
public enum IoDeath
{
    /// <summary>Exited normally, with the status in the exit code.</summary>
    None,
    /// <summary>xfs_io would have been killed by SIGBUS (a mapped page past EOF).</summary>
    SigBus,
    /// <summary>xfs_io would have been killed by SIGSEGV (a store without PROT_WRITE, or outside the mapping).</summary>
    SigSegv,
}

/// <summary>The parsed command line of `daxlab io`.</summary>
/// <param name="ReadOnly">-r: files open O_RDONLY; the device is mounted read-only and never written.</param>
public sealed record IoArguments(string? DevicePath, bool Host, bool Create, IReadOnlyList<string> Commands, IReadOnlyList<string> Files, bool ReadOnly = false);

/// <summary>
/// `daxlab io [--device PATH] [--host] [-f] -c CMD ... FILE ...`: opens the files, then runs the
/// commands as xfs_io does. In-process and writer-based so tests can run thousands of command lists.
/// </summary>
public static class IoRunner
{
    /// <summary>The shell's exit status for a process killed by SIGBUS (128 + 7).</summary>
    public const int SigBusExitCode = 135;

    /// <summary>The shell's exit status for a process killed by SIGSEGV (128 + 11).</summary>
    public const int SigSegvExitCode = 139;

    /// <summary>
    /// The status for bad `daxlab io` options (daxlab's usage rule); the xfs_io commands a run
    /// gives with -c keep xfs_io's own statuses.
    /// </summary>
    public const int UsageExitCode = 2;

    public const string Usage =
        "usage: daxlab io [--device PATH] [--host] [-f] [-r] [-c CMD]... FILE...\n"
        + "  --device PATH  the DaxLab device image (default: $DAXLAB_DEVICE, else "
        + "$XDG_DATA_HOME/daxlab/pmem0.img or ~/.local/share/daxlab/pmem0.img; created, 1 GiB sparse, if missing)\n"
        + "  --host         run on a file of the host file system instead of the device\n"
        + "  -f             create FILE if it does not exist\n"
        + "  -r             open read-only; the device is mounted read-only (log replayed in memory, nothing written)\n"
        + "  -c CMD         an xfs_io command (see 'daxlab io -c help FILE')\n";

    /// <summary>Runs with the backend the arguments choose (the device, or the host with --host), also telling whether xfs_io would have died by a signal.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CBuffering buffering, out IoDeath death)
    {
        death = IoDeath.None;
        if (!TryParse(args, stderr, out IoArguments? parsed))
            return UsageExitCode;
        using IIoBackend backend = parsed.Host
            ? new HostBackend(Directory.GetCurrentDirectory(), parsed.ReadOnly)
            : new DaxBackend(MountDevice(parsed, stderr), ownsFileSystem: true, parsed.ReadOnly);
        return Run(parsed, backend, stdout, stderr, buffering, out death);
    }

    /// <summary>
    /// Mounts the device: read-only with -r (which never creates or writes it), else read-write,
    /// created on first use. Mount's warning about a dropped torn log tail goes to stderr, as
    /// the kernel logs XFS's torn-write warning.
    /// </summary>
    static DaxFileSystem MountDevice(IoArguments parsed, TextWriter stderr)
    {
        string path = DevicePaths.Resolve(parsed.DevicePath);
        DaxFileSystem fileSystem = parsed.ReadOnly ? DaxFileSystem.OpenReadOnly(path) : DaxFileSystem.OpenOrCreate(path, DevicePaths.DefaultSize);
        if (fileSystem.RecoveryWarning is { } warning)
            stderr.Write($"daxlab io: warning: {warning}\n");
        return fileSystem;
    }

    /// <summary>Runs parsed arguments against a given backend (tests use this with a host directory or an in-memory device).</summary>
    public static int Run(IoArguments arguments, IIoBackend backend, TextWriter stdout, TextWriter stderr, CBuffering buffering, out IoDeath death)
    {
        var output = new CStdout(stdout, buffering);
        var session = new IoSession(backend, output, stderr);
        death = IoDeath.None;
        try
        {
            if (!OpenFiles(session, arguments))
                return 1;
            session.RunLines(arguments.Commands);
        }
        catch (SigBusException)
        {
            death = IoDeath.SigBus;
        }
        catch (SigSegvException)
        {
            death = IoDeath.SigSegv;
        }
        return Finish(session, output, death);
    }

    /// <summary>Normal exit flushes stdout; death by a signal loses whatever stdout still buffered.</summary>
    static int Finish(IoSession session, CStdout output, IoDeath death)
    {
        if (death != IoDeath.None)
        {
            output.Discard();
            return death == IoDeath.SigBus ? SigBusExitCode : SigSegvExitCode;
        }
        output.Flush();
        session.CloseAll();
        return session.ExitCode;
    }

    /// <summary>Opens the FILE arguments in order; the last becomes current. A failure ends the run with status 1.</summary>
    static bool OpenFiles(IoSession session, IoArguments arguments)
    {
        foreach (string path in arguments.Files)
        {
            if (SessionCommands.TryOpen(session, path, arguments.Create) is not { } file)
                return false;
            session.AddFile(file);
        }
        return true;
    }

    /// <summary>Parses the options of `daxlab io`; prints what is wrong and the usage otherwise.</summary>
    public static bool TryParse(string[] args, TextWriter stderr, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IoArguments? parsed)
    {
        parsed = null;
        string? device = null;
        bool host = false, create = false, readOnly = false;
        var commands = new List<string>();
        var files = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "--device" or "-c" && i + 1 >= args.Length)
                return Fail(stderr, $"option {arg} needs a value");
            switch (arg)
            {
                case "--device": device = args[++i]; break;
                case "--host": host = true; break;
                case "-f": create = true; break;
                case "-r": readOnly = true; break;
                case "-c": commands.Add(args[++i]); break;
                default:
                    if (arg.StartsWith('-') && arg != "-")
                        return Fail(stderr, $"unknown option '{arg}'");
                    files.Add(arg);
                    break;
            }
        }
        if (files.Count == 0)
            return Fail(stderr, "no FILE given");
        if (host && device is not null)
            return Fail(stderr, "--host and --device exclude each other");
        parsed = new IoArguments(device, host, create, commands, files, readOnly);
        return true;
    }

    /// <summary>A top-level usage error: what is wrong, then how to call it.</summary>
    static bool Fail(TextWriter stderr, string problem)
    {
        stderr.Write($"daxlab io: {problem}\n{Usage}");
        return false;
    }
}
