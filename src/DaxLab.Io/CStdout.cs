using System.Text;

namespace DaxLab.Io;

/// <summary>How the C library buffers a stream (setvbuf's modes).</summary>
public enum CBuffering
{
    /// <summary>A pipe or file: flushed only in whole buffers, and at exit.</summary>
    Full,
    /// <summary>A terminal: flushed at every newline.</summary>
    Line,
}

/// <summary>
/// stdout as xfs_io's C library buffers it. On a pipe or file glibc flushes stdout only in whole
/// 4096-byte buffers while stderr is unbuffered, so in "2>&amp;1" output an error message lands at a
/// 4096-byte boundary of stdout, and a process killed by SIGBUS loses its last partial buffer.
/// Mirroring that keeps combined output identical to xfs_io's.
/// </summary>
public sealed class CStdout
{
    /// <summary>glibc's buffer for a stream on a pipe or an ext4 file (st_blksize).</summary>
    public const int BufferSize = 4096;

    readonly TextWriter sink;
    readonly CBuffering buffering;
    readonly StringBuilder pending = new();

    /// <summary>Buffers text for <paramref name="sink"/>, which receives it only when C would write it.</summary>
    public CStdout(TextWriter sink, CBuffering buffering)
    {
        this.sink = sink;
        this.buffering = buffering;
    }

    /// <summary>printf to stdout.</summary>
    public void Write(string text)
    {
        pending.Append(text);
        if (buffering == CBuffering.Line)
        {
            int lastNewline = LastIndexOf(pending, '\n');
            if (lastNewline >= 0)
                Emit(lastNewline + 1);
            return;
        }
        int whole = pending.Length / BufferSize * BufferSize;
        if (whole > 0)
            Emit(whole);
    }

    /// <summary>exit(): whatever is buffered is written.</summary>
    public void Flush() => Emit(pending.Length);

    /// <summary>Death by a signal: the buffered text is never written.</summary>
    public void Discard() => pending.Clear();

    /// <summary>Writes the first <paramref name="length"/> buffered characters to the sink.</summary>
    void Emit(int length)
    {
        if (length == 0)
            return;
        sink.Write(pending.ToString(0, length));
        sink.Flush();
        pending.Remove(0, length);
    }

    /// <summary>StringBuilder has no LastIndexOf.</summary>
    static int LastIndexOf(StringBuilder text, char c)
    {
        for (int i = text.Length - 1; i >= 0; i--)
            if (text[i] == c)
                return i;
        return -1;
    }
}
