using System.Text;
using DaxLab.Base;
using DaxLab.Io;

namespace DaxLab.Cli.Fuzz;

/// <summary>
/// `daxlab fuzz --target io`: random `daxlab io` command lines (an input is the -c commands, one
/// a line) made of the commands' names, their options and numbers at the edges of parsing, run
/// on a fresh device. Every run must end with a status, and a non-zero status must come with
/// something printed, as xfs_io does; only an errno from the engine may escape the interpreter
/// (the top level prints it as one line).
/// </summary>
public sealed class IoFuzz : IFuzzTarget
{
    /// <summary>The fresh device each input runs on: the smallest the format takes.</summary>
    private const long DeviceSize = 8L << 20;

    /// <summary>Options and operands: every option letter the commands take, and numbers that break parsers (none so large that a valid read of it would run for hours).</summary>
    private static readonly string[] Words =
    [
        "-b", "-S", "-v", "-q", "-r", "-w", "-W", "-k", "-f", "-a", "-i", "-s", "-d", "-x", "-n", "-l", "-F", "-B", "-R", "-Z", "-V", "-rw", "-z", "--",
        "0", "1", "7", "512", "4095", "4096", "4097", "8k", "64k", "1m", "2m", "3m", "-1", "-4096", "x", "1e", "1kk", "0x1000", "0x", "010", "4096.5",
        "9223372036854775807", "9223372036854775808", "18446744073709551616", "", "\"", "'", "\\", "é", "f", "g", "0xcd", "255", "256",
    ];

    public string Name => "io";

    public string Extension => "io";

    public byte[] Generate(Random random)
    {
        var names = CommandTable.All.SelectMany(c => c.AltName is null ? [c.Name] : new[] { c.Name, c.AltName }).Append("nosuch").ToArray();
        var lines = new List<string>();
        int count = random.Next(1, 9);
        for (int i = 0; i < count; i++)
        {
            var words = new List<string> { names[random.Next(names.Length)] };
            int operands = random.Next(0, 6);
            for (int j = 0; j < operands; j++)
                words.Add(Words[random.Next(Words.Length)]);
            lines.Add(string.Join(' ', words));
        }
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    public FuzzResult Run(byte[] input)
    {
        string device = Scratch.NewPath("fuzz-io");
        try
        {
            DaxFileSystem.Create(device, DeviceSize).Dispose();
            var args = new List<string> { "--device", device, "-f" };
            foreach (string line in Encoding.UTF8.GetString(input).Split('\n'))
                args.AddRange(["-c", line]);
            args.Add("fuzzfile");
            return Judge(args.ToArray());
        }
        finally
        {
            File.Delete(device);
        }
    }

    /// <summary>Runs the interpreter; an errno that escapes it is the top level's one-line message, anything else a failure.</summary>
    private static FuzzResult Judge(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status;
        IoDeath death;
        try
        {
            status = IoRunner.Run(args, stdout, stderr, CBuffering.Full, out death);
        }
        catch (ErrnoException e)
        {
            return e.Message.Trim().Length == 0 ? FuzzResult.Failed($"{e.Errno} escaped with no message") : FuzzResult.Passed($"errno {e.Errno}", e.Message);
        }
        string printed = stdout.ToString() + stderr;
        if (printed.Contains("   at "))
            return FuzzResult.Failed("a stack trace was printed: " + printed[..Math.Min(printed.Length, 400)]);
        if (status != 0 && death == IoDeath.None && printed.Trim().Length == 0)
            return FuzzResult.Failed($"exit status {status} with nothing printed");
        return FuzzResult.Passed(death == IoDeath.None ? $"exit {status}" : death.ToString(), stderr.ToString());
    }
}
