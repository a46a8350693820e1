using System.Diagnostics;
using DaxLab.Io.Backends;

namespace DaxLab.Io.Commands;

/// <summary>pread and pwrite: buffered I/O in block-size steps, reported as xfs_io reports it.</summary>
public static class ReadWriteCommands
{
    /// <summary>xfs_io's I/O buffer size on a file that is not on XFS.</summary>
    const long DefaultBlockSize = 4096;

    /// <summary>pwrite's default fill byte.</summary>
    const byte DefaultWriteSeed = 0xcd;

    /// <summary>pwrite [-q] [-w|-W] [-b bs] [-S seed] off len.</summary>
    public static bool Pwrite(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "b:qS:wW", ErrorsOf(s));
        long blockSize = DefaultBlockSize;
        byte seed = DefaultWriteSeed;
        bool quiet = false, dataSyncAfter = false, syncAfter = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'b':
                    if (!TryBlockSize(s, option.Argument!, out blockSize))
                        return false;
                    break;
                case 'S':
                    if (!TrySeed(s, option.Argument!, out seed))
                        return false;
                    break;
                case 'q': quiet = true; break;
                case 'w': dataSyncAfter = true; break;
                case 'W': syncAfter = true; break;
                default: return s.UsageFailure(CommandTable.Pwrite);
            }
        }
        if (!TryRange(s, options, CommandTable.Pwrite, out long offset, out long count))
            return false;
        var timer = Stopwatch.StartNew();
        if (!WriteLoop(s, offset, count, blockSize, seed, out long total, out int ops))
            return false;
        if (!SyncAfterWrite(s, dataSyncAfter, syncAfter))
            return false;
        if (!quiet)
            s.Out(IoReport.Format("wrote", offset, count, total, ops, timer.Elapsed));
        return false;
    }

    /// <summary>write_buffer: block-size pwrites until done, a short write, or an error (perror, no report).</summary>
    static bool WriteLoop(IoSession s, long offset, long count, long blockSize, byte seed, out long total, out int ops)
    {
        byte[] buffer = new byte[Math.Min(blockSize, Math.Max(count, 0))];
        Array.Fill(buffer, seed);
        total = 0;
        ops = 0;
        while (count > 0)
        {
            int want = (int)Math.Min(count, blockSize);
            if (!s.TryCall("pwrite", () => s.CurrentFile!.Write(offset, buffer.AsSpan(0, want)), out int written))
                return false;
            if (written == 0)
                break;
            ops++;
            total += written;
            offset += written;
            count -= written;
            if (written < want)
                break;
        }
        return true;
    }

    /// <summary>pwrite -w / -W: fdatasync or fsync once the data is written.</summary>
    static bool SyncAfterWrite(IoSession s, bool dataSync, bool sync) =>
        (!dataSync || s.TryCall("fdatasync", s.CurrentFile!.Fdatasync, setsExitCode: true))
        && (!sync || s.TryCall("fsync", s.CurrentFile!.Fsync, setsExitCode: true));

    /// <summary>pread [-q] [-v] [-b bs] off len.</summary>
    public static bool Pread(IoSession s, string[] argv)
    {
        var options = new Getopt(argv, "b:qv", ErrorsOf(s));
        long blockSize = DefaultBlockSize;
        bool quiet = false, verbose = false;
        while (options.Next() is ParsedOption option)
        {
            switch (option.Letter)
            {
                case 'b':
                    if (!TryBlockSize(s, option.Argument!, out blockSize))
                        return false;
                    break;
                case 'q': quiet = true; break;
                case 'v': verbose = true; break;
                default: return s.UsageFailure(CommandTable.Pread);
            }
        }
        if (options.Operands.Count != 2)
            return s.UsageFailure(CommandTable.Pread);
        // xfs_io 6.1's pread does not check its numbers: a bad offset reaches pread(2) as -1
        // (EINVAL), and a bad or negative length means "read to EOF".
        long offset = CNumbers.Cvtnum(options.Operands[0]);
        long count = CNumbers.Cvtnum(options.Operands[1]);
        var timer = Stopwatch.StartNew();
        if (!ReadLoop(s, offset, count, blockSize, verbose, out long total, out int ops))
            return false;
        if (!quiet)
            s.Out(IoReport.Format("read", offset, count < 0 ? total : count, total, ops, timer.Elapsed));
        return false;
    }

    /// <summary>read_buffer: block-size preads until done, EOF, a short read, or an error; -v dumps each.</summary>
    static bool ReadLoop(IoSession s, long offset, long count, long blockSize, bool verbose, out long total, out int ops)
    {
        bool toEof = count < 0;
        byte[] buffer = new byte[toEof ? blockSize : Math.Min(blockSize, count)];
        total = 0;
        ops = 0;
        while (toEof || count > 0)
        {
            int want = (int)(toEof ? blockSize : Math.Min(count, blockSize));
            if (!s.TryCall("pread", () => s.CurrentFile!.Read(offset, buffer.AsSpan(0, want)), out int read))
                return false;
            if (read == 0)
                break;
            ops++;
            if (verbose)
                s.Out(HexDump.Format(offset, buffer.AsSpan(0, read)));
            total += read;
            offset += read;
            count -= read;
            if (read < want)
                break;
        }
        return true;
    }

    /// <summary>
    /// -b: a cvtnum size; "non-numeric bsize" (and exit status 1) otherwise. A size no buffer here can
    /// have fails as xfs_io's memalign does when the host refuses one.
    /// </summary>
    static bool TryBlockSize(IoSession s, string text, out long blockSize)
    {
        blockSize = CNumbers.Cvtnum(text);
        if (blockSize >= 0 && blockSize <= Array.MaxLength)
            return true;
        if (blockSize < 0)
            return s.Fail($"non-numeric bsize -- {text}\n");
        s.Err("memalign: Cannot allocate memory\n");
        s.ExitCode = 1;
        return false;
    }

    /// <summary>-S: strtoul with base 0, any trailing text ignored; the low byte is the fill byte.</summary>
    static bool TrySeed(IoSession s, string text, out byte seed)
    {
        seed = (byte)CNumbers.StrToUL(text, out int end);
        if (end > 0)
            return true;
        return s.Fail($"non-numeric seed -- {text}\n");
    }

    /// <summary>The "off len" operands of pwrite and the fallocate family, with xfs_io's messages.</summary>
    public static bool TryRange(IoSession s, Getopt options, CommandInfo command, out long offset, out long length)
    {
        offset = length = 0;
        if (options.Operands.Count != 2)
            return s.UsageFailure(command);
        return TryOffsetLength(s, options.Operands[0], options.Operands[1], exitOnError: true, out offset, out length);
    }

    /// <summary>cvtnum of an offset and a length, each rejected if negative with its own message.</summary>
    public static bool TryOffsetLength(IoSession s, string offsetText, string lengthText, bool exitOnError, out long offset, out long length)
    {
        length = 0;
        offset = CNumbers.Cvtnum(offsetText);
        if (offset < 0)
            return NonNumeric(s, "offset", offsetText, exitOnError);
        length = CNumbers.Cvtnum(lengthText);
        if (length < 0)
            return NonNumeric(s, "length", lengthText, exitOnError);
        return true;
    }

    /// <summary>"non-numeric offset/length argument -- X", marking the run failed where xfs_io does.</summary>
    internal static bool NonNumeric(IoSession s, string what, string text, bool exitOnError)
    {
        string complaint = $"non-numeric {what} argument -- {text}\n";
        if (exitOnError)
            return s.Fail(complaint);
        s.Out(complaint);
        return false;
    }

    /// <summary>getopt's complaints go to stderr, through the session so they interleave as in C.</summary>
    public static TextWriter ErrorsOf(IoSession s) => new SessionErrorWriter(s);
}

/// <summary>A TextWriter that forwards to the session's unbuffered stderr.</summary>
sealed class SessionErrorWriter(IoSession session) : TextWriter
{
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value) => session.Err(value.ToString());

    public override void Write(string? value) => session.Err(value ?? "");
}
