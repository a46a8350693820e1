using System.Text.RegularExpressions;

namespace DaxLab.Tests.Engine;

/// <summary>
/// Two loops of real `daxlab io` processes on one device (issue #11): one owner at a time, every
/// refusal says "Device or resource busy", and every command that exited 0 after its fsync has
/// its file on the device afterwards. The documented longer run is in docs/fs.md.
/// </summary>
public class TwoProcessTests
{
    [Fact]
    public void Every_fsynced_file_survives_and_every_refusal_says_busy()
    {
        string device = Path.Combine(Path.GetTempPath(), $"daxlab-two-process-{Environment.ProcessId}.img");
        File.Delete(device);
        var output = new StringWriter();
        int status = DaxLab.Cli.TwoProcess.Run(device, commandsPerSide: 6, output);
        Assert.True(status == 0, output.ToString());
        var summary = Regex.Match(output.ToString(),
            @"^2 processes x 6 commands: (\d+) acknowledged after fsync, (\d+) refused busy, 0 failed otherwise, 0 without a message; 0 of \1 fsync'ed files lost\n$");
        Assert.True(summary.Success, output.ToString());
        int acknowledged = int.Parse(summary.Groups[1].Value);
        // A process is refused only while another holds the device, and that one goes through.
        Assert.True(acknowledged >= 1, output.ToString());
        Assert.Equal(12, acknowledged + int.Parse(summary.Groups[2].Value));
        Assert.False(File.Exists(device));
    }
}
