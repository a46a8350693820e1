using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using DaxLab.Cli;
using DaxLab.Io;
using DaxLab.Io.Backends;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// Damaged and torn images through the command line (issue #18 items 1 and 2): `daxlab io`
/// refuses damage before the durable log tail, `daxlab fsck` reports with fsck's exit codes,
/// and neither fsck nor `daxlab io -r` changes a byte of the image.
/// </summary>
public sealed class FsckTests : IDisposable
{
    private readonly string directory = XfsIo.NewScratchDirectory();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        return (status, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// The issue's device: a 16 MiB mkfs, then one `daxlab io` session that writes files with
    /// pwrite and fsync, the last ending with truncate 8000, falloc 64k 64k, fsync. Not mounted since.
    /// </summary>
    private string IssueDevice()
    {
        string device = PathOf("issue.img");
        Assert.Equal(0, Run("mkfs", device, "--size", "16m").Status);
        var (status, _, stderr) = Run("io", "--device", device, "-f",
            "-c", "pwrite 0 4k", "-c", "fsync",
            "-c", "open -f b", "-c", "pwrite 0 64k", "-c", "fsync",
            "-c", "open -f c", "-c", "pwrite 0 64k", "-c", "truncate 8000", "-c", "falloc 64k 64k", "-c", "fsync",
            "a");
        Assert.True(status == 0, stderr);
        return device;
    }

    /// <summary>Superblock fields (docs/fs.md): the log's offset and size, and the tail block's offset.</summary>
    private static (long LogOffset, long LogBytes, long TailOffset) Geometry(byte[] image) =>
        (BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(56)), BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(64)),
         BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(88)));

    /// <summary>How far the log is durable: the larger offset of the two durable-tail copies.</summary>
    private static long DurableBytes(byte[] image)
    {
        long tail = Geometry(image).TailOffset;
        return Math.Max(BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan((int)tail + 16)),
            BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan((int)tail + 64 + 16)));
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void FlippedBitInTheLastFsyncedRecordIsRefusedNotRolledBack()
    {
        string device = IssueDevice();
        byte[] image = File.ReadAllBytes(device);
        (long log, _, _) = Geometry(image);
        long durable = DurableBytes(image);
        Assert.True(durable > 0, "fsync recorded a durable tail");
        // The last record ends at the durable point and is at least 64 bytes long.
        image[log + durable - 40] ^= 0x10;
        File.WriteAllBytes(device, image);
        var (status, stdout, stderr) = Run("io", "--device", device, "-c", "stat", "c");
        Assert.Equal(1, status);
        Assert.DoesNotContain("stat.size", stdout);
        Assert.Contains("Structure needs cleaning", stderr);
        Assert.Contains($"durable to offset {durable}", stderr);
        Assert.Equal(image, File.ReadAllBytes(device));
    }

    [Fact]
    public void IntactIssueDeviceKeepsTheFallocatedSize()
    {
        string device = IssueDevice();
        var (status, stdout, stderr) = Run("io", "--device", device, "-r", "-c", "stat", "c");
        Assert.Equal(0, status);
        Assert.Contains("stat.size = 131072", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void ZeroedLogIsRefusedNotAnEmptyFileSystem()
    {
        string device = IssueDevice();
        byte[] image = File.ReadAllBytes(device);
        (long log, long logBytes, _) = Geometry(image);
        image.AsSpan((int)log, (int)logBytes).Clear();
        File.WriteAllBytes(device, image);
        var (status, _, stderr) = Run("io", "--device", device, "-c", "stat", "c");
        Assert.Equal(1, status);
        Assert.Contains("log is damaged at offset 0", stderr);
        var fsck = Run("fsck", device);
        Assert.Equal(Fsck.ExitErrorsLeft, fsck.Status);
        Assert.Contains("error: Structure needs cleaning: log is damaged at offset 0", fsck.Stdout);
    }

    [Fact]
    public void TornTailPastTheDurablePointMountsWithAWarning()
    {
        string device = IssueDevice();
        byte[] image = File.ReadAllBytes(device);
        (long log, _, _) = Geometry(image);
        // Bytes of a record that was being written when the power failed, never fsync'ed.
        image.AsSpan((int)(log + DurableBytes(image)), 40).Fill(0x5a);
        File.WriteAllBytes(device, image);
        var (status, stdout, stderr) = Run("io", "--device", device, "-c", "stat", "c");
        Assert.Equal(0, status);
        Assert.Contains("stat.size = 131072", stdout);
        Assert.Contains("daxlab io: warning: log of generation", stderr);
        Assert.Contains("dropped 40 bytes", stderr);
    }

    [Fact]
    public void FsckOfACleanImageSaysCleanAndChangesNothing()
    {
        string device = IssueDevice();
        string before = Hash(device);
        var (status, stdout, stderr) = Run("fsck", "-n", device);
        Assert.Equal(Fsck.ExitClean, status);
        Assert.EndsWith("clean\n", stdout);
        Assert.Contains("3 files", stdout);
        Assert.Equal("", stderr);
        Assert.Equal(before, Hash(device));
    }

    /// <summary>An image with records to replay and a torn tail: a read-write mount would checkpoint and zero the log; fsck and io -r must not.</summary>
    [Fact]
    public void FsckAndReadOnlyIoLeaveAnImageWithATornTailUntouched()
    {
        string device = IssueDevice();
        byte[] image = File.ReadAllBytes(device);
        image.AsSpan((int)(Geometry(image).LogOffset + DurableBytes(image)), 24).Fill(0x77);
        File.WriteAllBytes(device, image);
        string before = Hash(device);
        var fsck = Run("fsck", "--json", device);
        Assert.Equal(Fsck.ExitClean, fsck.Status);
        Assert.Equal(before, Hash(device));
        var io = Run("io", "-r", "--device", device, "-c", "pread 0 4k", "-c", "pwrite 0 4k", "-c", "truncate 0", "-c", "fsync", "b");
        Assert.Equal(1, io.Status);
        Assert.Contains("pwrite: Bad file descriptor\nftruncate: Invalid argument\n", io.Stderr);
        Assert.Equal(before, Hash(device));
    }

    [Fact]
    public void FsckJsonIsCamelCaseWithASchemaVersion()
    {
        string device = IssueDevice();
        var (status, stdout, _) = Run("fsck", "--json", device);
        Assert.Equal(0, status);
        using var json = JsonDocument.Parse(stdout);
        JsonElement root = json.RootElement;
        Assert.Equal(Fsck.SchemaVersion, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("clean", root.GetProperty("status").GetString());
        Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
        Assert.Equal(3, root.GetProperty("files").GetInt32());
        Assert.True(root.GetProperty("log").GetProperty("durableBytes").GetInt64() > 0);
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public void FsckExitCodesFollowFsck()
    {
        Assert.Equal(Fsck.ExitOperationalError, Run("fsck", PathOf("missing.img")).Status);
        string zeros = PathOf("zeros.img");
        File.WriteAllBytes(zeros, new byte[8 << 20]);
        var foreign = Run("fsck", "--json", zeros);
        Assert.Equal(Fsck.ExitOperationalError, foreign.Status);
        Assert.Contains("not a DaxLab file system", foreign.Stdout);
        Assert.Contains("\"status\": \"operational-error\"", foreign.Stdout);
        string device = IssueDevice();
        byte[] image = File.ReadAllBytes(device);
        image[Geometry(image).TailOffset + 8] ^= 1;
        image[Geometry(image).TailOffset + 64 + 8] ^= 1;
        File.WriteAllBytes(device, image);
        var damaged = Run("fsck", device);
        Assert.Equal(Fsck.ExitErrorsLeft, damaged.Status);
        Assert.Contains("log tail block is damaged", damaged.Stdout);
        Assert.Equal(Fsck.ExitUsage, Run("fsck").Status);
        Assert.Equal(Fsck.ExitUsage, Run("fsck", "-y", device).Status);
        Assert.Equal(Fsck.ExitUsage, Run("fsck", device, device).Status);
        var help = Run("fsck", "--help");
        Assert.Equal(0, help.Status);
        Assert.Contains("usage: daxlab fsck", help.Stdout);
    }

    /// <summary>A read-only view of a device a writer holds would be inconsistent: each side refuses the other.</summary>
    [Fact]
    public void ReadersAndAWriterExcludeEachOther()
    {
        string device = IssueDevice();
        using (DaxFileSystem.Open(device))
        {
            var fsck = Run("fsck", device);
            Assert.Equal(Fsck.ExitOperationalError, fsck.Status);
            Assert.Contains("Device or resource busy", fsck.Stderr);
        }
        using (DaxFileSystem.OpenReadOnly(device))
        using (DaxFileSystem.OpenReadOnly(device))
        {
            var writer = Run("io", "--device", device, "-c", "stat", "a");
            Assert.Equal(1, writer.Status);
            Assert.Contains("Device or resource busy", writer.Stderr);
            Assert.Equal(Fsck.ExitClean, Run("fsck", device).Status);
        }
    }

    [Fact]
    public void ReadOnlyIoNeitherCreatesADeviceNorAFile()
    {
        string missing = PathOf("none.img");
        var (status, _, stderr) = Run("io", "-r", "--device", missing, "-c", "stat", "f");
        Assert.Equal(1, status);
        Assert.Contains("no such device file", stderr);
        Assert.False(File.Exists(missing));
        string device = IssueDevice();
        var create = Run("io", "-r", "-f", "--device", device, "-c", "stat", "new");
        Assert.Equal(1, create.Status);
        Assert.Equal("new: Read-only file system\n", create.Stderr);
    }

    /// <summary>The commands that change a file, through an O_RDONLY descriptor, as xfs_io -r prints them.</summary>
    private static readonly string[] ReadOnlyCommands =
        ["pread 0 4k", "pwrite 0 4k", "truncate 0", "falloc 0 4k", "fpunch 0 4k", "fzero 0 4k", "mmap -w 0 4k", "mmap -r 0 4k", "mread -v 0 4", "fsync", "stat"];

    /// <summary>xfs_io 6.1 -r on ext4, read off the real tool (after _filter_xfs_io).</summary>
    private const string ReadOnlyErrors =
        "pwrite: Bad file descriptor\nftruncate: Invalid argument\nfallocate: Bad file descriptor\n"
        + "fallocate: Bad file descriptor\nfallocate: Bad file descriptor\nmmap: Permission denied\n";

    [Fact]
    public void ReadOnlyIoOnTheDeviceFailsAsXfsIoDoes()
    {
        string device = PathOf("ro.img");
        using (var fs = DaxFileSystem.Create(device, 16 << 20))
        using (var file = fs.OpenFile("f", DaxOpenFlags.Create))
            file.Write(0, new byte[8192]);
        using var backend = new DaxBackend(DaxFileSystem.OpenReadOnly(device), ownsFileSystem: true, readOnly: true);
        RunResult ours = XfsIo.RunOurs(backend, ReadOnlyCommands, create: false);
        Assert.Equal(ReadOnlyErrors, ours.Errors);
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains("fd.flags = non-sync,non-direct,read-only\n", ours.Output);
        Assert.Contains("stat.size = 8192\n", ours.Output);
    }

    [XfsIoFact]
    public void ReadOnlyIoOnTheHostMatchesInstalledXfsIo()
    {
        File.WriteAllBytes(PathOf("f"), new byte[8192]);
        using var backend = new HostBackend(directory, readOnly: true);
        RunResult ours = XfsIo.RunOurs(backend, ReadOnlyCommands, create: false);
        RunResult real = XfsIo.RunReal(directory, ReadOnlyCommands, create: false, readOnly: true);
        Assert.Equal(ReadOnlyErrors, real.Errors);
        Assert.Equal(real.Comparable, ours.Comparable);
    }
}
