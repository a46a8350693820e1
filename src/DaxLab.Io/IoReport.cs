using System.Globalization;

namespace DaxLab.Io;

/// <summary>
/// xfs_io's report_io_times: the "wrote/read N/M bytes at offset O" line and the timing line
/// "S, N ops; T sec (R/sec and Q ops/sec)" whose numbers fstests' _filter_xfs_io masks.
/// </summary>
public static class IoReport
{
    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Both report lines for one pread/pwrite, timed by the caller.</summary>
    public static string Format(string verb, long offset, long count, long total, int ops, TimeSpan elapsed)
    {
        double seconds = elapsed.Ticks / (double)TimeSpan.TicksPerSecond;
        string size = SizeText(total);
        string rate = SizeText(total / seconds);
        string opsRate = FormatFixed(ops / seconds, 4);
        return $"{verb} {total}/{count} bytes at offset {offset}\n"
             + $"{size}, {ops} ops; {TimeText(elapsed)} ({rate}/sec and {opsRate} ops/sec)\n";
    }

    /// <summary>cvtstr: binary units from KiB up, three decimals unless the value is a whole number.</summary>
    public static string SizeText(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            return FormatFixed(value, 6) + " bytes";
        string[] units = ["EiB", "PiB", "TiB", "GiB", "MiB", "KiB"];
        for (int i = 0; i < units.Length; i++)
        {
            double unit = Math.Pow(2, 60 - 10 * i);
            if (value >= unit)
                return FormatFixed(value / unit, IsWholeNumber(value) ? 0 : 3) + " " + units[i];
        }
        return FormatFixed(value, 6) + " bytes";
    }

    /// <summary>cvtstr's "precise" test compares the value with its (int) cast, which fails past int range.</summary>
    static bool IsWholeNumber(double value) => value < int.MaxValue && value == Math.Floor(value);

    /// <summary>timestr without flags: "S.FFFF sec" under a minute, then "MM:SS.FF" and "H:MM:SS.FF".</summary>
    public static string TimeText(TimeSpan elapsed)
    {
        long seconds = (long)elapsed.TotalSeconds;
        long tenThousandths = (elapsed.Ticks % TimeSpan.TicksPerSecond) / 1000;
        long hundredths = tenThousandths / 100;
        if (seconds > 3600)
            return string.Create(C, $"{seconds / 3600}:{seconds % 3600 / 60:00}:{seconds % 60:00}.{hundredths:00}");
        if (seconds > 60)
            return string.Create(C, $"{seconds / 60:00}:{seconds % 60:00}.{hundredths:00}");
        return string.Create(C, $"{seconds}.{tenThousandths:0000} sec");
    }

    /// <summary>printf's %.Nf, including glibc's spelling of NaN ("-nan" for 0/0) and infinity.</summary>
    public static string FormatFixed(double value, int decimals)
    {
        if (double.IsNaN(value))
            return "-nan";
        if (double.IsPositiveInfinity(value))
            return "inf";
        return value.ToString("F" + decimals, C);
    }
}
