using System.Diagnostics;
using DaxLab.Base;
using DaxLab.Mm;

namespace DaxLab.Tests.Engine;

/// <summary>
/// A child process doing metadata-heavy work is killed with SIGKILL at a random point; the
/// device must mount afterwards and pass fsck, with every file the child had finished creating.
/// </summary>
public class KillTests
{
    [Theory]
    [InlineData(1, 40)]
    [InlineData(2, 150)]
    [InlineData(3, 400)]
    [InlineData(4, 777)]
    public void Device_mounts_consistent_after_kill_9_mid_work(int seed, int linesBeforeKill)
    {
        string device = Path.Combine(Path.GetTempPath(), $"daxlab-kill-{Environment.ProcessId}-{seed}.img");
        File.Delete(device);
        try
        {
            DaxFileSystem.Create(device, 64L << 20).Dispose();
            RunAndKill(device, seed, linesBeforeKill);
            using var fs = DaxFileSystem.Open(device);
            Assert.Empty(fs.Check());
            Assert.Superset(FilesCreatedBy(seed, linesBeforeKill), fs.FileNames.ToHashSet());
            foreach (string name in fs.FileNames)
            {
                using var file = fs.OpenFile(name);
                var buffer = new byte[64 << 10];
                // Every byte up to i_size reads back after the kill: no short read, no EIO.
                for (long at = 0; at < file.Length; at += buffer.Length)
                    Assert.Equal((int)Math.Min(buffer.Length, file.Length - at), file.Read(at, buffer));
            }
        }
        finally
        {
            File.Delete(device);
        }
    }

    /// <summary>
    /// `daxlab torture --kill` at a count CI can afford (the documented run is 1,000): every image
    /// a kill leaves mounts, passes fsck, and holds, byte by byte, the state after the last
    /// operation reported done or after the next.
    /// </summary>
    [Fact]
    public void Kill_runs_leave_every_image_consistent()
    {
        string device = Path.Combine(Path.GetTempPath(), $"daxlab-killruns-{Environment.ProcessId}.img");
        var output = new StringWriter();
        int status = DaxLab.Cli.KillRuns.Run(device, seed: 5, runs: 12, output);
        Assert.True(status == 0, output.ToString());
        Assert.Equal("12 kill -9 runs: 12 consistent, 0 refused, 0 damaged, 0 lost\n", output.ToString());
    }

    /// <summary>The judge is not blind: a byte changed behind the engine's back on a killed image is reported lost.</summary>
    [Fact]
    public void A_byte_no_state_explains_is_reported_lost()
    {
        string device = Path.Combine(Path.GetTempPath(), $"daxlab-killjudge-{Environment.ProcessId}.img");
        File.Delete(device);
        try
        {
            using (var fs = DaxFileSystem.Create(device, 64L << 20))
                DaxLab.Cli.Torture.Run(fs, seed: 3, operations: 60, TextWriter.Null);
            using (var fs = DaxFileSystem.Open(device))
            {
                string name = fs.FileNames.First(n => { using var f = fs.OpenFile(n); return f.Length > 0; });
                using var file = fs.OpenFile(name);
                file.Write(0, [0xee]);
            }
            var (outcome, detail) = DaxLab.Cli.KillRuns.Judge(device, workloadSeed: 3, done: 60);
            Assert.Equal(DaxLab.Cli.KillRuns.Outcome.Lost, outcome);
            Assert.Contains("byte 0 is 0xee", detail);
        }
        finally
        {
            File.Delete(device);
        }
    }

    /// <summary>The files the same workload has created after <paramref name="operations"/> operations, replayed in memory.</summary>
    private static HashSet<string> FilesCreatedBy(int seed, int operations)
    {
        using var fs = DaxFileSystem.CreateInMemory(64L << 20);
        DaxLab.Cli.Torture.Run(fs, seed, operations, TextWriter.Null);
        return fs.FileNames.ToHashSet();
    }

    /// <summary>Starts `daxlab torture`, reads its progress lines, and kills it after <paramref name="lines"/> of them.</summary>
    private static void RunAndKill(string device, int seed, int lines)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "daxlab.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath!, [cli, "torture", device, "--seed", seed.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var child = Process.Start(start)!;
        int done = 0;
        while (done < lines && child.StandardOutput.ReadLine() is { } line)
        {
            Assert.StartsWith("done ", line);
            done++;
        }
        child.Kill();
        child.WaitForExit();
        Assert.True(done == lines, "the child stopped early: " + child.StandardError.ReadToEnd());
    }
}

/// <summary>Files, data and mapped data survive an unmount and a mount of a device file.</summary>
public class ReopenTests
{
    [Fact]
    public void Written_and_stored_data_and_sizes_survive_a_remount()
    {
        string device = Path.Combine(Path.GetTempPath(), $"daxlab-reopen-{Environment.ProcessId}.img");
        File.Delete(device);
        try
        {
            var data = Inspect.Pattern(3 * 4096 + 5, 9);
            using (var fs = DaxFileSystem.Create(device, 64L << 20))
            {
                using var a = fs.OpenFile("a", DaxOpenFlags.Create);
                a.Write(0, data);
                using var b = fs.OpenFile("b", DaxOpenFlags.Create);
                b.Truncate(4L << 20);
                using var map = b.Map(0, 4L << 20, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
                map.Store(2L << 20, "stored"u8);
                a.Fsync();
                b.Fsync();
            }
            using (var fs = DaxFileSystem.Open(device))
            {
                Assert.Equal(["a", "b"], fs.FileNames.Order());
                using var a = fs.OpenFile("a");
                var read = new byte[data.Length];
                Assert.Equal(data.Length, a.Read(0, read));
                Assert.Equal(data, read);
                using var b = fs.OpenFile("b");
                Assert.Equal(4L << 20, b.Length);
                using var map = b.Map(0, 4L << 20, MapProtection.Read, MapSharing.Shared);
                var stored = new byte[6];
                map.Load(2L << 20, stored);
                Assert.Equal("stored"u8.ToArray(), stored);
                Assert.Empty(fs.Check());
            }
        }
        finally
        {
            File.Delete(device);
        }
    }

    [Fact]
    public void A_foreign_file_is_refused_with_a_clear_error_and_left_alone()
    {
        string device = Path.Combine(Path.GetTempPath(), $"daxlab-foreign-{Environment.ProcessId}.img");
        var junk = Inspect.Pattern(4 << 20, 1);
        File.WriteAllBytes(device, junk);
        try
        {
            var error = Assert.Throws<ErrnoException>(() => DaxFileSystem.Open(device));
            Assert.Contains("not a DaxLab", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(junk, File.ReadAllBytes(device));
        }
        finally
        {
            File.Delete(device);
        }
    }
}
