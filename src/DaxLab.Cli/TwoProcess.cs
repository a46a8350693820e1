using System.Diagnostics;
using DaxLab.Base;

namespace DaxLab.Cli;

/// <summary>
/// `daxlab torture DEVICE --two-process N`: two loops, each starting N `daxlab io` processes in
/// turn on the same device, so that the two sides' processes overlap: each writes a file, fsyncs
/// it and exits. A device has one owner at a time: a process that finds it held must be refused
/// with "Device or resource busy" and say so; every process that exited 0 after its fsync must
/// have its file on the device afterwards, byte for byte.
/// </summary>
/// <remarks>
/// A command counts as acknowledged only when it exited 0, printed its whole write and nothing
/// on stderr. Outcomes other than acknowledged or refused-busy (another error, a refusal that
/// printed nothing) are printed and make the status 1, as does any acknowledged file missing
/// or different afterwards.
/// </remarks>
public static class TwoProcess
{
    /// <summary>The device each run makes: room for every file of a long run.</summary>
    private const long DeviceSize = 64L << 20;

    /// <summary>Each command writes this much: three blocks, so a lost allocation shows.</summary>
    private const int FileBytes = 12 << 10;

    private const int Sides = 2;

    private sealed record Command(string File, byte Value, int Status, string Stdout, string Stderr);

    public static int Run(string device, int commandsPerSide, TextWriter stdout)
    {
        DaxFileSystem.Create(device, DeviceSize).Dispose();
        try
        {
            var sides = Enumerable.Range(0, Sides).Select(side => Task.Factory.StartNew(() => Loop(device, side, commandsPerSide), TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(sides);
            return Judge(device, sides.SelectMany(s => s.Result).ToList(), stdout);
        }
        finally
        {
            File.Delete(device);
        }
    }

    /// <summary>One side: starts its commands one after the other, each a new process.</summary>
    private static List<Command> Loop(string device, int side, int commands)
    {
        var done = new List<Command>();
        for (int i = 0; i < commands; i++)
        {
            string file = $"side{side}-{i}";
            byte value = (byte)((side * commands + i) % 255 + 1);
            var start = SelfProcess.StartInfo(["io", "--device", device, "-f", "-c", $"pwrite -S 0x{value:x2} -b {FileBytes} 0 {FileBytes}", "-c", "fsync", file]);
            using var child = Process.Start(start)!;
            var errors = child.StandardError.ReadToEndAsync();
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            done.Add(new Command(file, value, child.ExitCode, output, errors.Result));
        }
        return done;
    }

    /// <summary>Sorts the commands by outcome, checks every acknowledged file on the device, prints the summary.</summary>
    private static int Judge(string device, List<Command> commands, TextWriter stdout)
    {
        var acknowledged = commands.Where(c => c.Status == 0 && c.Stderr.Length == 0 && c.Stdout.Contains($"wrote {FileBytes}/{FileBytes} bytes")).ToList();
        var busy = commands.Where(c => c.Status != 0 && c.Stderr.Contains("Device or resource busy")).ToList();
        var silent = commands.Where(c => c.Status != 0 && c.Stderr.Trim().Length == 0 && c.Stdout.Trim().Length == 0).ToList();
        var other = commands.Except(acknowledged).Except(busy).Except(silent).ToList();
        foreach (Command c in other)
            stdout.Write($"{c.File}: exit {c.Status}: {(c.Stderr + c.Stdout).Trim()}\n");
        foreach (Command c in silent)
            stdout.Write($"{c.File}: exit {c.Status} with nothing printed\n");
        int lost = 0;
        using (var fs = DaxFileSystem.Open(device))
        {
            foreach (string problem in fs.Check())
                stdout.Write($"fsck: {problem}\n");
            foreach (Command c in acknowledged)
            {
                if (Lost(fs, c) is { } why)
                {
                    lost++;
                    stdout.Write($"{c.File}: fsync returned, but {why}\n");
                }
            }
            if (fs.Check().Count > 0)
                lost++;
        }
        stdout.Write($"{Sides} processes x {commands.Count / Sides} commands: {acknowledged.Count} acknowledged after fsync, {busy.Count} refused busy, "
            + $"{other.Count} failed otherwise, {silent.Count} without a message; {lost} of {acknowledged.Count} fsync'ed files lost\n");
        return lost == 0 && other.Count == 0 && silent.Count == 0 ? 0 : 1;
    }

    /// <summary>Why the acknowledged file is not on the device as written, or null.</summary>
    private static string? Lost(DaxFileSystem fs, Command c)
    {
        DaxFile file;
        try
        {
            file = fs.OpenFile(c.File);
        }
        catch (ErrnoException e) when (e.Errno == Errno.ENOENT)
        {
            return "the file is missing";
        }
        using (file)
        {
            var bytes = new byte[FileBytes];
            if (file.Length != FileBytes || file.Read(0, bytes) != FileBytes)
                return $"its size is {file.Length}, not {FileBytes}";
            int wrong = Array.FindIndex(bytes, b => b != c.Value);
            return wrong < 0 ? null : $"byte {wrong} is 0x{bytes[wrong]:x2}, not 0x{c.Value:x2}";
        }
    }
}
