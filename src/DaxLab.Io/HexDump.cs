using System.Text;

namespace DaxLab.Io;

/// <summary>xfs_io's dump_buffer: the format of pread -v and mread -v.</summary>
public static class HexDump
{
    /// <summary>Bytes per dump line.</summary>
    const int LineWidth = 16;

    /// <summary>
    /// "%08llx:  " then "%02x " per byte, a space, and the bytes as text (isalnum in the C locale,
    /// '.' otherwise). A short last line is not padded, exactly as xfs_io prints it.
    /// </summary>
    public static string Format(long offset, ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 5);
        for (int line = 0; line < bytes.Length; line += LineWidth)
        {
            ReadOnlySpan<byte> chunk = bytes.Slice(line, Math.Min(LineWidth, bytes.Length - line));
            text.Append((offset + line).ToString("x8")).Append(":  ");
            foreach (byte b in chunk)
                text.Append(b.ToString("x2")).Append(' ');
            text.Append(' ');
            foreach (byte b in chunk)
                text.Append(IsCAlnum(b) ? (char)b : '.');
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>isalnum in the C locale: ASCII letters and digits only.</summary>
    static bool IsCAlnum(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';
}
