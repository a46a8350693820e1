using DaxLab.Base;
using DaxLab.Io.Backends;

namespace DaxLab.Io.Commands;

/// <summary>open, close, stat, print, help and quit: the commands about the session itself.</summary>
public static class SessionCommands
{
    /// <summary>What xfs_io shows for a file that is not on XFS, opened without O_SYNC or O_DIRECT, read-write or (-r) read-only.</summary>
    static string FileFlags(IoSession s) => s.Backend.ReadOnly ? "non-sync,non-direct,read-only" : "non-sync,non-direct,read-write";

    /// <summary>open [-f] [path]: with no path, stat of the current file; else the new file becomes current.</summary>
    public static bool Open(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "f", ReadWriteCommands.ErrorsOf(s));
        bool create = false;
        while (options.Next() is ParsedOption option)
        {
            if (option.Letter != 'f')
                return s.UsageFailure(CommandTable.Open);
            create = true;
        }
        if (options.Operands.Count == 0 && argv.Length == 1 && s.CurrentFile is not null)
            return Stat(s, argv);
        if (options.Operands.Count != 1)
            return s.UsageFailure(CommandTable.Open);
        if (TryOpen(s, options.Operands[0], create) is IIoFile file)
            s.AddFile(file);
        return false;
    }

    /// <summary>Opens a file, printing "path: error" and failing the run when it cannot be opened.</summary>
    public static IIoFile? TryOpen(IoSession s, string path, bool create)
    {
        try
        {
            return s.Backend.Open(path, create);
        }
        catch (ErrnoException error)
        {
            s.Err($"{path}: {IoSession.ErrnoText(error.Errno)}\n");
            s.ExitCode = 1;
            return null;
        }
    }

    /// <summary>close: closes the current file; the next (or new last) becomes current and the rest are listed.</summary>
    public static bool Close(IoSession s, string[] argv)
    {
        s.CurrentFile!.Dispose();
        s.RemoveCurrentFile();
        if (s.Files.Count > 0)
            ListFiles(s);
        return false;
    }

    /// <summary>filelist_f: "[NNN] name (flags)" per open file, the current one in brackets.</summary>
    static void ListFiles(IoSession s)
    {
        for (int i = 0; i < s.Files.Count; i++)
        {
            string tag = i == s.CurrentFileIndex ? $"[{i:000}]" : $" {i:000} ";
            s.Out($"{tag} {s.Files[i].Path,-14} (foreign,{FileFlags(s)})\n");
        }
    }

    /// <summary>print: the open files, then the mappings.</summary>
    public static bool Print(IoSession s, string[] argv)
    {
        ListFiles(s);
        return MappingCommands.ListMappings(s);
    }

    /// <summary>stat [-v|-r]: the basic fields xfs_io prints for a file that is not on XFS.</summary>
    public static bool Stat(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "rv", ReadWriteCommands.ErrorsOf(s));
        while (options.Next() is ParsedOption option)
        {
            if (option.IsError)
                return s.UsageFailure(CommandTable.Stat);
        }
        IIoFile file = s.CurrentFile!;
        if (!s.TryCall("fstat", file.Stat, out IoStat stat))
            return false;
        s.Out($"fd.path = \"{file.Path}\"\nfd.flags = {FileFlags(s)}\nstat.ino = {stat.Ino}\n"
            + $"stat.type = regular file\nstat.size = {stat.Size}\nstat.blocks = {stat.Blocks}\n");
        return false;
    }

    /// <summary>help [command]: every command's usage line, or one command's line and notes.</summary>
    public static bool Help(IoSession s, string[] argv)
    {
        if (argv.Length == 1)
        {
            foreach (CommandInfo command in CommandTable.All.OrderBy(c => c.Name, StringComparer.Ordinal))
                s.Out(command.UsageLine);
            s.Out("\nUse 'help commandname' for extended help.\n");
            return false;
        }
        CommandInfo? found = CommandTable.Find(argv[1]);
        if (found is null)
        {
            s.Out($"command {argv[1]} not found\n");
            return false;
        }
        s.Out(found.UsageLine + found.Help);
        return false;
    }

    /// <summary>quit: stops running the remaining commands.</summary>
    public static bool Quit(IoSession s, string[] argv) => true;
}
