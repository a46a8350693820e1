using DaxLab.Base;
using DaxLab.Io.Backends;
using DaxLab.Mm;

namespace DaxLab.Io;

/// <summary>A mapping in the interpreter's table, with what `mmap` with no arguments prints about it.</summary>
public sealed record MappingEntry(IIoMapping Mapping, string FileName, MapProtection Protection, bool MapSync);

/// <summary>
/// The interpreter's state, as xfs_io keeps it: a table of open files with a current one, a table
/// of mappings with a current one, and the exit status that failing commands set. Commands run in
/// order; the session owns the output streams so that every command writes through them.
/// </summary>
public sealed class IoSession(IIoBackend backend, CStdout stdout, TextWriter stderr)
{
    public IIoBackend Backend => backend;

    public List<IIoFile> Files { get; } = new();

    /// <summary>Index of the current file in <see cref="Files"/>, -1 when none is open.</summary>
    public int CurrentFileIndex { get; set; } = -1;

    public IIoFile? CurrentFile => CurrentFileIndex >= 0 ? Files[CurrentFileIndex] : null;

    public List<MappingEntry> Mappings { get; } = new();

    /// <summary>Index of the current mapping in <see cref="Mappings"/>, -1 when there is none.</summary>
    public int CurrentMappingIndex { get; set; } = -1;

    public MappingEntry? CurrentMapping => CurrentMappingIndex >= 0 ? Mappings[CurrentMappingIndex] : null;

    /// <summary>open and the command line's files: the new file joins the table and becomes current.</summary>
    public void AddFile(IIoFile file)
    {
        Files.Add(file);
        CurrentFileIndex = Files.Count - 1;
    }

    /// <summary>mmap: the new mapping joins the table and becomes current.</summary>
    public void AddMapping(MappingEntry mapping)
    {
        Mappings.Add(mapping);
        CurrentMappingIndex = Mappings.Count - 1;
    }

    /// <summary>close: drops the current file; the one after it (or the new last) becomes current.</summary>
    public void RemoveCurrentFile() => CurrentFileIndex = RemoveCurrent(Files, CurrentFileIndex);

    /// <summary>munmap: drops the current mapping; the one after it (or the new last) becomes current.</summary>
    public void RemoveCurrentMapping() => CurrentMappingIndex = RemoveCurrent(Mappings, CurrentMappingIndex);

    private static int RemoveCurrent<T>(List<T> table, int current)
    {
        table.RemoveAt(current);
        return table.Count == 0 ? -1 : Math.Min(current, table.Count - 1);
    }

    /// <summary>
    /// fiemap -n: xfs_io keeps it in a static, so it holds for every later fiemap of the process
    /// too; -1 for no limit.
    /// </summary>
    public int FiemapMaxExtents { get; set; } = -1;

    /// <summary>xfs_io's progname, which a few of its messages start with; printed as xfs_io does so the text compares equal.</summary>
    public const string ProgramName = "xfs_io";

    /// <summary>xfs_io's exitcode: 0 unless a command that reports failure this way failed.</summary>
    public int ExitCode { get; set; }

    /// <summary>printf: to the C-buffered stdout.</summary>
    public void Out(string text) => stdout.Write(text);

    /// <summary>fprintf(stderr): unbuffered.</summary>
    public void Err(string text)
    {
        stderr.Write(text);
        stderr.Flush();
    }

    /// <summary>perror(call) for a failed system call, with the C library's text for its errno.</summary>
    public void Perror(string call, ErrnoException error) => Err($"{call}: {ErrnoText(error.Errno)}\n");

    /// <summary>Runs one system call; on an errno prints "call: text" as perror does. True when it succeeded.</summary>
    public bool TryCall(string call, Action action, bool setsExitCode)
    {
        try
        {
            action();
            return true;
        }
        catch (ErrnoException error)
        {
            Perror(call, error);
            if (setsExitCode)
                ExitCode = 1;
            return false;
        }
    }

    /// <summary>As <see cref="TryCall(string, Action, bool)"/> for a call with a result; the run fails on an errno.</summary>
    public bool TryCall<T>(string call, Func<T> function, out T result)
    {
        T value = default!;
        bool ok = TryCall(call, () => value = function(), setsExitCode: true);
        result = value;
        return ok;
    }

    /// <summary>strerror for any errno, named in the engine's enum or not.</summary>
    public static string ErrnoText(Errno errno) =>
        Enum.IsDefined(errno) ? ErrnoException.StrError(errno) : LibC.StrError((int)errno);

    /// <summary>Prints the usage line and, as most xfs_io commands do, marks the run failed.</summary>
    /// <summary>A command's complaint on stdout, as xfs_io prints it, failing the run (exit status 1).</summary>
    public bool Fail(string text)
    {
        Out(text);
        ExitCode = 1;
        return false;
    }

    public bool UsageFailure(CommandInfo command)
    {
        ExitCode = 1;
        return Usage(command);
    }

    /// <summary>command_usage: prints the usage line without changing the exit status.</summary>
    public bool Usage(CommandInfo command)
    {
        Out(command.UsageLine);
        return false;
    }

    /// <summary>Runs the -c command lines in order until one says quit.</summary>
    public void RunLines(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            if (RunLine(line))
                return;
        }
    }

    /// <summary>
    /// One command line: look the command up, then run it once (one-shot commands) or once per
    /// open file, with that file current, as xfs_io's command loop does.
    /// </summary>
    bool RunLine(string line)
    {
        string[] argv = LineSplitter.Split(line);
        if (argv.Length == 0)
            return false;
        CommandInfo? command = CommandTable.Find(argv[0]);
        if (command is null)
        {
            Err($"command \"{argv[0]}\" not found\n");
            return false;
        }
        if (command.Flags.HasFlag(CommandFlags.OneShot))
            return Execute(command, argv);
        bool done = false;
        for (int i = 0; !done && i < Files.Count; i++)
        {
            CurrentFileIndex = i;
            done = Execute(command, argv);
        }
        return done;
    }

    /// <summary>xfs_io's command(): the file and mapping checks, the word count check, then the handler.</summary>
    bool Execute(CommandInfo command, string[] argv)
    {
        if (CurrentFile is null && !command.Flags.HasFlag(CommandFlags.NoFileOk))
        {
            Err("no files are open, try 'help open'\n");
            return false;
        }
        if (CurrentMapping is null && !command.Flags.HasFlag(CommandFlags.NoMapOk))
        {
            Err("no mapped regions, try 'help mmap'\n");
            return false;
        }
        if (command.Flags.HasFlag(CommandFlags.XfsOnly) && CurrentFile is { AnswersXfsIoctls: false })
        {
            Err($"foreign file active, {command.Name} command is for XFS filesystems only\n");
            return false;
        }
        if (!ArgumentCountFits(command, argv.Length - 1))
            return false;
        return command.Handler(this, argv);
    }

    /// <summary>The "bad argument count" check, in xfs_io's three wordings.</summary>
    bool ArgumentCountFits(CommandInfo command, int count)
    {
        if (count >= command.ArgMin && (command.ArgMax == -1 || count <= command.ArgMax))
            return true;
        string expected = command.ArgMax == -1 ? $"at least {command.ArgMin}"
            : command.ArgMin == command.ArgMax ? $"{command.ArgMin}"
            : $"between {command.ArgMin} and {command.ArgMax}";
        Err($"bad argument count {count} to {command.Name}, expected {expected} arguments\n");
        return false;
    }

    /// <summary>Closes every file and unmaps every mapping, as process exit would.</summary>
    public void CloseAll()
    {
        foreach (MappingEntry entry in Mappings)
            entry.Mapping.Dispose();
        Mappings.Clear();
        foreach (IIoFile file in Files)
            file.Dispose();
        Files.Clear();
    }
}
