using DaxLab.Io.Commands;

namespace DaxLab.Io;

/// <summary>
/// The commands `daxlab io` knows, with xfs_io 6.1's names, short names, word counts, one-shot
/// flags and usage texts (the usage texts are printed verbatim on errors, so they must match).
/// </summary>
public static class CommandTable
{
    const CommandFlags FileCommand = CommandFlags.NoMapOk;
    const CommandFlags MapCommand = CommandFlags.NoFileOk;
    const CommandFlags Anytime = CommandFlags.NoFileOk | CommandFlags.NoMapOk | CommandFlags.OneShot;

    public static readonly CommandInfo Pread = new("pread", "r", 2, -1, FileCommand,
        "[-b bs] [-qv] [-i N] [-FBR [-Z N]] off len", "reads a number of bytes at a specified offset",
        ReadWriteCommands.Pread,
        "\n reads a range of bytes in block-size steps and reports the bytes read and the time taken\n"
        + " -b bs -- the size of each read (default 4096)\n -q -- no report\n -v -- dump the bytes read in hex\n\n");

    public static readonly CommandInfo Pwrite = new("pwrite", "w", 2, -1, FileCommand,
        "[-i infile [-qdDwNOW] [-s skip]] [-b bs] [-S seed] [-FBR [-Z N]] [-V N] off len",
        "writes a number of bytes at a specified offset", ReadWriteCommands.Pwrite,
        "\n writes a range of bytes filled with one byte value, in block-size steps\n"
        + " -b bs -- the size of each write (default 4096)\n -S seed -- the fill byte (default 0xcd)\n"
        + " -q -- no report\n -w -- fdatasync afterwards\n -W -- fsync afterwards\n\n");

    public static readonly CommandInfo Mmap = new("mmap", "mm", 0, -1, Anytime,
        "[N] | [-rwxS] [-s size] [off len]", "mmap a range in the current file, show mappings", MappingCommands.Mmap,
        "\n maps a range of the current file (MAP_SHARED); with no arguments lists the mappings,\n"
        + " with one makes mapping N current\n -r, -w, -x -- PROT_READ, PROT_WRITE, PROT_EXEC (default: all three)\n"
        + " -S -- MAP_SYNC\n -s size -- accepted for compatibility; has no effect\n\n");

    public static readonly CommandInfo Mread = new("mread", "mr", 0, -1, MapCommand,
        "[-r] [off len]", "reads data from a region in the current memory mapping", MappingCommands.Mread,
        "\n loads every byte of a range of the current mapping (file offsets)\n"
        + " -v -- dump with offsets relative to the mapping\n -f -- dump with file offsets\n -r -- go backwards\n\n");

    public static readonly CommandInfo Msync = new("msync", "ms", 0, -1, MapCommand,
        "[-ais] [off len]", "flush a region in the current memory mapping", MappingCommands.Msync,
        "\n msync(2) of a page-aligned range of the current mapping\n"
        + " -a -- MS_ASYNC\n -i -- MS_INVALIDATE\n -s -- MS_SYNC\n\n");

    public static readonly CommandInfo Munmap = new("munmap", "mu", 0, 0, MapCommand,
        "", "unmaps the current memory mapping", MappingCommands.Munmap);

    public static readonly CommandInfo Mwrite = new("mwrite", "mw", 0, -1, MapCommand,
        "[-r] [-S seed] [off len]", "writes data into a region in the current memory mapping", MappingCommands.Mwrite,
        "\n stores a byte value (default 'X') over a range of the current mapping (file offsets)\n"
        + " -S seed -- the byte value\n -r -- go backwards\n\n");

    public static readonly CommandInfo Madvise = new("madvise", "ma", 0, -1, MapCommand,
        "[-drsw] [off len]", "give advice about use of memory", MappingCommands.Madvise,
        "\n madvise(2) of a page-aligned range of the current mapping\n"
        + " -d -- MADV_DONTNEED\n -r -- MADV_RANDOM\n -s -- MADV_SEQUENTIAL\n -w -- MADV_WILLNEED\n\n");

    public static readonly CommandInfo Truncate = new("truncate", "t", 1, 1, FileCommand,
        "off", "truncates the current file at the given offset", FileSpaceCommands.Truncate);

    public static readonly CommandInfo Falloc = new("falloc", null, 2, -1, FileCommand,
        "[-c] [-k] [-p] [-u] off len", "allocates space associated with part of a file via fallocate",
        FileSpaceCommands.Falloc,
        "\n fallocate(2)\n -k -- FALLOC_FL_KEEP_SIZE\n -p -- FALLOC_FL_PUNCH_HOLE\n"
        + " -c, -u -- collapse and unshare: not supported by daxlab\n\n");

    public static readonly CommandInfo Fpunch = new("fpunch", null, 2, 2, FileCommand,
        "off len", "de-allocates space associated with part of a file via fallocate", FileSpaceCommands.Fpunch);

    public static readonly CommandInfo Fzero = new("fzero", null, 2, 3, FileCommand,
        "[-k] off len", "zeroes space and eliminates holes by preallocating", FileSpaceCommands.Fzero);

    public static readonly CommandInfo Fiemap = new("fiemap", null, 0, -1, FileCommand,
        "[-alv] [-n nx] [offset [len]]", "print block mapping for a file", ExtentCommands.Fiemap,
        "\n prints the extents and holes of the file (FS_IOC_FIEMAP), in 512-byte units\n"
        + " -a -- the attribute fork (empty on the DaxLab device)\n -l -- also print each length\n"
        + " -n nx -- at most nx lines, for this and every later fiemap\n -v -- table with the FIEMAP_EXTENT flags\n"
        + " offset [len] -- only the extents overlapping this range\n\n");

    public static readonly CommandInfo Bmap = new("bmap", null, 0, -1, FileCommand | CommandFlags.XfsOnly,
        "[-acelpv] [-n nx]", "print block mapping for an XFS file", ExtentCommands.Bmap,
        "\n prints the extents and holes of the file (XFS_IOC_GETBMAPX), in 512-byte units\n"
        + " -a, -c -- the attribute and copy-on-write forks (empty; -c fails, as without reflink)\n"
        + " -e -- a file without extents shows one hole\n -l -- also print each length\n -n nx -- at most nx lines\n"
        + " -p -- flag unwritten extents (with -v)\n -v -- table with allocation groups (one, AG 0, on the DaxLab device); -vv adds the flag legend\n\n");

    public static readonly CommandInfo Fsync = new("fsync", "s", 0, 0, FileCommand,
        "", "calls fsync(2) to flush all in-core file state to disk", FileSpaceCommands.Fsync);

    public static readonly CommandInfo Fdatasync = new("fdatasync", "ds", 0, 0, FileCommand,
        "", "calls fdatasync(2) to flush the files in-core data to disk", FileSpaceCommands.Fdatasync);

    public static readonly CommandInfo Stat = new("stat", null, 0, 1, FileCommand,
        "[-v|-r]", "statistics on the currently open file", SessionCommands.Stat);

    public static readonly CommandInfo Open = new("open", "o", 0, -1, Anytime,
        "[-acdrstxRTPL] [-m mode] [path]", "open the file specified by path", SessionCommands.Open,
        "\n opens a file read-write and makes it current; later commands run on every open file\n"
        + " -f -- create the file if it does not exist\n With no path, shows the current file (as stat).\n\n");

    public static readonly CommandInfo Close = new("close", "c", 0, 0, CommandFlags.NoMapOk | CommandFlags.OneShot,
        "", "close the current open file", SessionCommands.Close);

    public static readonly CommandInfo Print = new("print", "p", 0, 0, Anytime,
        "", "list current open files and memory mappings", SessionCommands.Print);

    public static readonly CommandInfo Help = new("help", "?", 0, 1, Anytime,
        "[command]", "help for one or all commands", SessionCommands.Help);

    public static readonly CommandInfo Quit = new("quit", "q", 0, -1, Anytime,
        "", "exit the program", SessionCommands.Quit);

    /// <summary>Every command, in no particular order.</summary>
    public static IReadOnlyList<CommandInfo> All { get; } =
    [
        Pread, Pwrite, Mmap, Mread, Msync, Munmap, Mwrite, Madvise, Truncate, Falloc, Fpunch, Fzero,
        Fiemap, Bmap, Fsync, Fdatasync, Stat, Open, Close, Print, Help, Quit,
    ];

    /// <summary>find_command: by name or short name, exactly.</summary>
    public static CommandInfo? Find(string name) => All.FirstOrDefault(c => c.Name == name || c.AltName == name);
}
