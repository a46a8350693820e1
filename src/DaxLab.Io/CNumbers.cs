namespace DaxLab.Io;

/// <summary>
/// The C library's number parsing (strtoll/strtoul with base 0) and xfs_io's cvtnum on top of it.
/// xfs_io's error messages depend on exactly where these stop parsing, so the rules are copied
/// from their documented behaviour rather than from .NET's parsers.
/// </summary>
public static class CNumbers
{
    /// <summary>xfs_io's block size for the 'b' suffix on a file that is not on XFS.</summary>
    public const long ForeignBlockSize = 4096;

    /// <summary>xfs_io's sector size for the 's' suffix on a file that is not on XFS.</summary>
    public const long ForeignSectorSize = 512;

    /// <summary>
    /// cvtnum: a strtoll number with at most one unit suffix (b, s, k, m, g, t, p, e; any case),
    /// or -1 when the text is not such a number. Overflow wraps as the C code's shifts do.
    /// </summary>
    public static long Cvtnum(string text)
    {
        long value = StrToLL(text, out int end);
        if (value == 0 && end == 0)
            return -1;
        if (end == text.Length)
            return value;
        if (text.Length - end != 1)
            return -1;
        return ApplySuffix(value, char.ToLowerInvariant(text[end]));
    }

    /// <summary>
    /// cvtnum for input that must mean what it says (scenario files): false where cvtnum would
    /// return -1, where strtoll clamped, or where the unit suffix would wrap the value
    /// (xfs_io's "16e" is 0).
    /// </summary>
    public static bool TryCvtnumExact(string text, out long value)
    {
        value = Cvtnum(text);
        long digits = StrToLL(text, out int end);
        if (value < 0 || digits == long.MaxValue || end == 0)
            return false;
        long unit = end == text.Length ? 1 : ApplySuffix(1, char.ToLowerInvariant(text[end]));
        return value / unit == digits;
    }

    /// <summary>The unit suffix of cvtnum; -1 for a letter that is not a unit.</summary>
    static long ApplySuffix(long value, char suffix) => unchecked(suffix switch
    {
        'b' => value * ForeignBlockSize,
        's' => value * ForeignSectorSize,
        'k' => value << 10,
        'm' => value << 20,
        'g' => value << 30,
        't' => value << 40,
        'p' => value << 50,
        'e' => value << 60,
        _ => -1,
    });

    /// <summary>strtoll(text, &amp;end, 0): clamps on overflow; end is 0 when no digits were read.</summary>
    public static long StrToLL(string text, out int end)
    {
        ulong magnitude = ParseMagnitude(text, out end, out bool negative, out bool overflow);
        if (end == 0)
            return 0;
        if (negative)
            return overflow || magnitude > (ulong)long.MaxValue + 1 ? long.MinValue : unchecked(-(long)magnitude);
        return overflow || magnitude > long.MaxValue ? long.MaxValue : (long)magnitude;
    }

    /// <summary>strtoul(text, &amp;end, 0): a minus sign negates modulo 2^64, overflow gives ULONG_MAX.</summary>
    public static ulong StrToUL(string text, out int end)
    {
        ulong magnitude = ParseMagnitude(text, out end, out bool negative, out bool overflow);
        if (end == 0)
            return 0;
        if (overflow)
            return ulong.MaxValue;
        return negative ? unchecked(0 - magnitude) : magnitude;
    }

    /// <summary>The shared scanner: whitespace, sign, base prefix (0x hex, 0 octal), digits.</summary>
    static ulong ParseMagnitude(string text, out int end, out bool negative, out bool overflow)
    {
        int i = 0;
        while (i < text.Length && IsCSpace(text[i]))
            i++;
        negative = false;
        if (i < text.Length && (text[i] == '+' || text[i] == '-'))
            negative = text[i++] == '-';
        int numberBase = DetectBase(text, ref i);
        int digitsStart = i;
        ulong magnitude = 0;
        overflow = false;
        for (; i < text.Length && DigitValue(text[i]) is int d && d < numberBase; i++)
        {
            ulong next = unchecked(magnitude * (ulong)numberBase + (ulong)d);
            if (magnitude > (ulong.MaxValue - (ulong)d) / (ulong)numberBase)
                overflow = true;
            magnitude = next;
        }
        // "0x" with no hex digit after it parses as the number 0 ending before the 'x'.
        bool parsedLeadingZero = numberBase == 16 && i == digitsStart;
        end = i > digitsStart ? i : parsedLeadingZero ? digitsStart - 1 : 0;
        return magnitude;
    }

    /// <summary>Base 0 rules: "0x"/"0X" followed by a hex digit is hex, a leading 0 is octal.</summary>
    static int DetectBase(string text, ref int i)
    {
        if (i < text.Length && text[i] == '0')
        {
            bool hexPrefix = i + 1 < text.Length && (text[i + 1] == 'x' || text[i + 1] == 'X');
            if (hexPrefix)
            {
                i += 2;
                return 16;
            }
            return 8;
        }
        return 10;
    }

    /// <summary>A digit or letter's value in bases up to 36; int.MaxValue for anything else.</summary>
    static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => int.MaxValue,
    };

    /// <summary>isspace in the C locale.</summary>
    static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
