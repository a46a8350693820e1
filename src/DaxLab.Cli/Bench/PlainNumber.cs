using System.Globalization;

namespace DaxLab.Cli.Bench;

/// <summary>
/// Numbers for the CSV: invariant culture, the shortest text that reads back as the same double
/// ("R"), and never an exponent, so a spreadsheet or a shell tool sees 1343220, not 1.34322E+06.
/// </summary>
public static class PlainNumber
{
    /// <summary>An empty cell for a figure the row does not have.</summary>
    public static string Format(double? value) => value is double v ? Format(v) : "";

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The round-trip digits with any exponent written out; NaN stays "NaN" (a trial that finished no operation).</summary>
    public static string Format(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E');
        if (!double.IsFinite(value) || e < 0)
            return text;
        return Expand(text[..e], int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
    }

    /// <summary>Moves the decimal point of <paramref name="mantissa"/> (e.g. "-1.5") by <paramref name="exponent"/> places, padding with zeros.</summary>
    static string Expand(string mantissa, int exponent)
    {
        string sign = mantissa.StartsWith('-') ? "-" : "";
        string unsigned = mantissa.TrimStart('-');
        int point = unsigned.IndexOf('.') is int at and >= 0 ? at : unsigned.Length;
        string digits = unsigned.Replace(".", "");
        int shifted = point + exponent;
        string plain = shifted <= 0 ? "0." + new string('0', -shifted) + digits
            : shifted >= digits.Length ? digits + new string('0', shifted - digits.Length)
            : digits[..shifted] + "." + digits[shifted..];
        return sign + plain;
    }
}
