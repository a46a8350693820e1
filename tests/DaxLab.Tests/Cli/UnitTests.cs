using DaxLab.Io;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>Number parsing, getopt, hex dumps, report lines, stdout buffering and the filter, against values read off xfs_io 6.1.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData("1k", 1024)]
    [InlineData("1K", 1024)]
    [InlineData("0x10", 16)]
    [InlineData("010", 8)]
    [InlineData("1s", 512)]
    [InlineData("1S", 512)]
    [InlineData("1b", 4096)]
    [InlineData("1B", 4096)]
    [InlineData("1m", 1048576)]
    [InlineData("1g", 1073741824)]
    [InlineData("1t", 1099511627776)]
    [InlineData("1e", 1L << 60)]
    [InlineData("16e", 0)]
    [InlineData("8e", long.MinValue)]
    [InlineData("+5", 5)]
    [InlineData("0k", 0)]
    [InlineData("99999999999999999999", long.MaxValue)]
    [InlineData("1.5k", -1)]
    [InlineData("-1", -1)]
    [InlineData("1kb", -1)]
    [InlineData("k", -1)]
    [InlineData("0x", -1)]
    [InlineData("08", -1)]
    [InlineData("1kk", -1)]
    [InlineData("4x", -1)]
    public void CvtnumMatchesXfsIo(string text, long expected) => Assert.Equal(expected, CNumbers.Cvtnum(text));

    [Fact]
    public void GetoptPermutesAndClusters()
    {
        var errors = new StringWriter();
        var getopt = new Getopt(["pread", "0", "-vb1k", "10", "-q"], "b:qv", errors);
        var seen = new List<string>();
        while (getopt.Next() is ParsedOption option)
            seen.Add($"{option.Letter}{option.Argument}");
        Assert.Equal(["v", "b1k", "q"], seen);
        Assert.Equal(["0", "10"], getopt.Operands);
        Assert.Equal("", errors.ToString());
    }

    [Theory]
    [InlineData(new[] { "pwrite", "-z", "0", "1" }, "pwrite: invalid option -- 'z'\n")]
    [InlineData(new[] { "pwrite", "0", "1", "-S" }, "pwrite: option requires an argument -- 'S'\n")]
    [InlineData(new[] { "pread", "--foo", "0", "1" }, "pread: invalid option -- '-'\n")]
    [InlineData(new[] { "pread", "0", "-1" }, "pread: invalid option -- '1'\n")]
    public void GetoptErrorsInGlibcWords(string[] argv, string expected)
    {
        var errors = new StringWriter();
        var getopt = new Getopt(argv, "b:qvS:", errors);
        ParsedOption? last = null;
        while (getopt.Next() is ParsedOption option && !(last = option).Value.IsError)
        {
        }
        Assert.True(last?.IsError);
        Assert.Equal(expected, errors.ToString());
    }

    [Fact]
    public void GetoptDoubleDashEndsOptions()
    {
        var getopt = new Getopt(["pread", "0", "--", "-5"], "b:", new StringWriter());
        Assert.Null(getopt.Next());
        Assert.Equal(["0", "-5"], getopt.Operands);
    }

    [Fact]
    public void HexDumpMatchesXfsIo()
    {
        byte[] bytes = [.. Enumerable.Range(0x30, 16).Select(i => (byte)i), 0x20, 0x41, 0xcd];
        string expected =
            "00000100:  30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f  0123456789......\n"
            + "00000110:  20 41 cd  .A.\n";
        Assert.Equal(expected, HexDump.Format(0x100, bytes));
    }

    [Theory]
    [InlineData(4096.0, "4 KiB")]
    [InlineData(3000.0, "3 KiB")]
    [InlineData(40.0, "40.000000 bytes")]
    [InlineData(178086912.5, "169.837 MiB")]
    public void SizeTextMatchesCvtstr(double value, string expected) => Assert.Equal(expected, IoReport.SizeText(value));

    [Fact]
    public void ReportLinesPassTheFilter()
    {
        string report = IoReport.Format("wrote", 0, 4096, 4096, 1, TimeSpan.FromTicks(241));
        Assert.StartsWith("wrote 4096/4096 bytes at offset 0\n4 KiB, 1 ops; 0.0000 sec (", report);
        Assert.Equal("wrote 4096/4096 bytes at offset 0\nXXX Bytes, X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)\n",
            XfsIoFilter.FilterXfsIo(report));
    }

    [Theory]
    [InlineData("0.000000 bytes, 0 ops; 0.0000 sec (-nan bytes/sec and -nan ops/sec)")]
    [InlineData("40.000000 bytes, 1 ops; 0.0000 sec (12.716 MiB/sec and 333333.3333 ops/sec)")]
    [InlineData("16 KiB, 4 ops; 0.0001 sec (306.373 MiB/sec and 78431.3725 ops/sec)")]
    public void FilterRewritesRealTimingLines(string line) =>
        Assert.Equal("XXX Bytes, X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)", XfsIoFilter.FilterXfsIo(line));

    [Fact]
    public void FullBufferingFlushesWholeBuffersOnly()
    {
        var sink = new StringWriter();
        var stdout = new CStdout(sink, CBuffering.Full);
        stdout.Write(new string('a', 5000));
        Assert.Equal(CStdout.BufferSize, sink.ToString().Length);
        stdout.Discard();
        stdout.Flush();
        Assert.Equal(CStdout.BufferSize, sink.ToString().Length);
    }

    [Theory]
    [InlineData("pwrite  0   1", new[] { "pwrite", "0", "1" })]
    [InlineData("pwrite \"0\" 1", new[] { "pwrite", "\"0\"", "1" })]
    [InlineData("pwrite 0\t1", new[] { "pwrite", "0\t1" })]
    public void LinesSplitOnSpacesOnly(string line, string[] expected) => Assert.Equal(expected, LineSplitter.Split(line));
}
