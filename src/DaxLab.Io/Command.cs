namespace DaxLab.Io;

/// <summary>xfs_io's per-command flags, which decide when a command may run and how often.</summary>
[Flags]
public enum CommandFlags
{
    None = 0,
    /// <summary>May run with no file open (otherwise: "no files are open").</summary>
    NoFileOk = 1,
    /// <summary>May run with no mapping (otherwise: "no mapped regions").</summary>
    NoMapOk = 2,
    /// <summary>Runs once; other commands run once for every open file in turn.</summary>
    OneShot = 4,
    /// <summary>Lacks xfs_io's CMD_FOREIGN_OK: refused on a file that does not answer XFS's ioctls.</summary>
    XfsOnly = 8,
}

/// <summary>Runs one command line; returns true when the interpreter should stop (quit).</summary>
public delegate bool CommandHandler(IoSession session, string[] argv);

/// <summary>
/// One command: its names, how many words may follow it (before options are parsed, as xfs_io
/// counts them; -1 for no limit), the usage text xfs_io prints, and its handler.
/// </summary>
public sealed record CommandInfo(
    string Name,
    string? AltName,
    int ArgMin,
    int ArgMax,
    CommandFlags Flags,
    string Args,
    string OneLine,
    CommandHandler Handler,
    string Help = "")
{
    /// <summary>command_usage's line: "name args -- oneline" (no args part when there are none).</summary>
    public string UsageLine => Args.Length == 0 ? $"{Name} -- {OneLine}\n" : $"{Name} {Args} -- {OneLine}\n";
}
