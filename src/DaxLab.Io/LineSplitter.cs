namespace DaxLab.Io;

/// <summary>xfs_io's breakline: a command line is words separated by spaces.</summary>
public static class LineSplitter
{
    /// <summary>
    /// Splits on spaces only, dropping empty words. xfs_io 6.1 does not treat quotes or tabs
    /// specially: `pwrite "0" 1` has the word "0" in quotes, and a tab is part of a word.
    /// </summary>
    public static string[] Split(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
