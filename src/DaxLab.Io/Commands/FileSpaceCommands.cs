using DaxLab.Base;

namespace DaxLab.Io.Commands;

/// <summary>truncate, the fallocate family, and the sync calls on the current file.</summary>
public static class FileSpaceCommands
{
    /// <summary>truncate size: no options; anything cvtnum rejects is "non-numeric truncate argument".</summary>
    public static bool Truncate(IoSession s, string[] argv)
    {
        long size = CNumbers.Cvtnum(argv[1]);
        if (size < 0)
            return ReadWriteCommands.NonNumeric(s, "truncate", argv[1], exitOnError: true);
        return SystemCall(s, "ftruncate", () => s.CurrentFile!.Truncate(size), setsExitCode: true);
    }

    /// <summary>falloc [-k] [-p] off len; -c (collapse) and -u (unshare) are parsed but unsupported here.</summary>
    public static bool Falloc(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "ckpu", ReadWriteCommands.ErrorsOf(s));
        bool keepSize = false, punch = false, unsupported = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'k': keepSize = true; break;
                case 'p': punch = true; break;
                case 'c' or 'u': unsupported = true; break;
                // xfs_io 6.1's falloc prints its usage for a bad option and then carries on.
                default: s.UsageFailure(CommandTable.Falloc); break;
            }
        }
        if (!ReadWriteCommands.TryRange(s, options, CommandTable.Falloc, out long offset, out long length))
            return false;
        return SystemCall(s, "fallocate", () =>
        {
            if (unsupported)
                throw new ErrnoException(Errno.EOPNOTSUPP, "fallocate");
            if (punch)
                s.CurrentFile!.PunchHole(offset, length);
            else
                s.CurrentFile!.Allocate(offset, length, keepSize);
        }, setsExitCode: true);
    }

    /// <summary>fpunch off len: no options, always FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE.</summary>
    public static bool Fpunch(IoSession s, string[] argv)
    {
        if (!ReadWriteCommands.TryOffsetLength(s, argv[1], argv[2], exitOnError: true, out long offset, out long length))
            return false;
        return SystemCall(s, "fallocate", () => s.CurrentFile!.PunchHole(offset, length), setsExitCode: true);
    }

    /// <summary>fzero [-k] off len. xfs_io 6.1's fzero never sets the exit status, even on failure.</summary>
    public static bool Fzero(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "k", ReadWriteCommands.ErrorsOf(s));
        bool keepSize = false;
        while (options.Next() is ParsedOption option)
        {
            // xfs_io 6.1's fzero prints its usage for a bad option and then carries on.
            if (option.Letter != 'k')
                s.Usage(CommandTable.Fzero);
            else
                keepSize = true;
        }
        if (options.Operands.Count != 2)
            return s.Usage(CommandTable.Fzero);
        if (!ReadWriteCommands.TryOffsetLength(s, options.Operands[0], options.Operands[1], exitOnError: false, out long offset, out long length))
            return false;
        return SystemCall(s, "fallocate", () => s.CurrentFile!.ZeroRange(offset, length, keepSize), setsExitCode: false);
    }

    /// <summary>fsync.</summary>
    public static bool Fsync(IoSession s, string[] argv) =>
        SystemCall(s, "fsync", () => s.CurrentFile!.Fsync(), setsExitCode: true);

    /// <summary>fdatasync.</summary>
    public static bool Fdatasync(IoSession s, string[] argv) =>
        SystemCall(s, "fdatasync", () => s.CurrentFile!.Fdatasync(), setsExitCode: true);

    /// <summary>Runs one system call; on failure prints perror's line and, where xfs_io does, fails the run.</summary>
    static bool SystemCall(IoSession s, string call, Action action, bool setsExitCode)
    {
        s.TryCall(call, action, setsExitCode);
        return false;
    }
}
