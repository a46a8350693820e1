using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

/// <summary>Foreign and damaged images: a clear errno and message, never a raw exception, never a silent rollback.</summary>
public class DamageTests
{
    private const long DeviceSize = 8 * Mib;

    /// <summary>
    /// A file system whose current checkpoint holds files (a remount wrote it) and whose log
    /// holds records of the current epoch, made durable by fsync, and its image.
    /// </summary>
    private static (byte[] Image, string State, FileSystem Fs) Populated()
    {
        var first = NewFs(DeviceSize);
        var a = first.Create("a");
        Write(first, a, 0, 3 * 4096);
        first.ExtendSize(a, 3 * 4096);
        var fs = MountCopy(Snapshot(first.Device));
        first.Destroy();
        Write(fs, fs.Create("b"), Mib, 4096);
        fs.PunchRange(fs.Lookup("a")!, 4096, 4096);
        fs.Sync(fs.Lookup("a")!);
        return (Snapshot(fs.Device), Describe(fs), fs);
    }

    private static void Flip(byte[] image, long offset, int bit = 3) => image[offset] ^= (byte)(1 << bit);

    [Fact]
    public void ZeroedDeviceIsNotADaxLabFileSystem()
    {
        var e = MountFails(new byte[DeviceSize]);
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void ForeignBytesAreNotADaxLabFileSystem()
    {
        var image = new byte[DeviceSize];
        new Random(1).NextBytes(image);
        var e = MountFails(image);
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("not a DaxLab file system", e.Message);
    }

    [Fact]
    public void EveryFlippedSuperblockBitIsRefused()
    {
        (_, _, var fs) = Populated();
        Span<byte> superblock = fs.Device.Span(0, Layout.SuperblockBytes);
        for (int offset = 0; offset < superblock.Length; offset++)
        {
            superblock[offset] ^= (byte)(1 << (offset % 8));
            var e = Assert.Throws<ErrnoException>(() => FileSystem.Mount(fs.Device, Seam.RealThreads));
            superblock[offset] ^= (byte)(1 << (offset % 8));
            Assert.True(e.Errno is Errno.EUCLEAN or Errno.EINVAL, $"offset {offset}: {e.Errno}");
            Assert.True(e.Message.Contains("superblock") || e.Message.Contains("magic"), e.Message);
        }
        fs.Destroy();
    }

    [Fact]
    public void SuperblockForAnotherDeviceSizeIsRefused()
    {
        (byte[] image, _, var fs) = Populated();
        fs.Destroy();
        byte[] bigger = new byte[2 * DeviceSize];
        image.CopyTo(bigger, 0);
        var e = MountFails(bigger);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("device has", e.Message);
    }

    [Fact]
    public void DamagedNewestCheckpointWithRecordsOfItsEpochIsRefused()
    {
        (byte[] image, _, var fs) = Populated();
        long slot = fs.Layout.SlotOffset(fs.Generation % 2);
        fs.Destroy();
        foreach (long offset in new[] { slot + 9, slot + 40, slot + 60 })
        {
            byte[] damaged = (byte[])image.Clone();
            Flip(damaged, offset);
            var e = MountFails(damaged);
            Assert.Equal(Errno.EUCLEAN, e.Errno);
            Assert.Contains("checkpoint", e.Message);
        }
    }

    [Fact]
    public void DamagedOlderCheckpointIsIgnored()
    {
        (byte[] image, string state, var fs) = Populated();
        long slot = fs.Layout.SlotOffset((fs.Generation + 1) % 2);
        fs.Destroy();
        // Inside the header the checksum covers: the flip must be seen, then the slot ignored.
        Flip(image, slot + 9);
        var again = MountCopy(image);
        Assert.Equal(state, Describe(again));
        Assert.Empty(again.Check());
        again.Destroy();
    }

    [Fact]
    public void BothCheckpointsDamagedIsRefused()
    {
        (byte[] image, _, var fs) = Populated();
        Flip(image, fs.Layout.Slot0Offset + 9);
        Flip(image, fs.Layout.Slot1Offset + 9);
        fs.Destroy();
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("no valid checkpoint", e.Message);
    }

    /// <summary>The record was never fsync'ed: damage to it cannot be told from a torn write, so it is dropped, with a warning.</summary>
    [Fact]
    public void DamagedLastLogRecordMountsThePreviousState()
    {
        var fs = NewFs(DeviceSize);
        Write(fs, fs.Create("a"), 0, 4096);
        string previous = Describe(fs);
        long start = fs.Layout.LogOffset + fs.LogTail;
        fs.SetSize(fs.Lookup("a")!, 12345);
        long end = fs.Layout.LogOffset + fs.LogTail;
        byte[] image = Snapshot(fs.Device);
        fs.Destroy();
        for (long offset = start; offset < end; offset += 5)
        {
            byte[] damaged = (byte[])image.Clone();
            Flip(damaged, offset, (int)(offset % 8));
            var again = MountCopy(damaged);
            Assert.Equal(previous, Describe(again));
            Assert.Empty(again.Check());
            Assert.NotNull(again.Recovery.Warning);
            again.Destroy();
        }
    }

    [Fact]
    public void DamagedRecordInTheMiddleOfTheLogIsRefused()
    {
        (byte[] image, _, var fs) = Populated();
        long offset = fs.Layout.LogOffset + LogRecord.HeaderBytes + 8;
        fs.Destroy();
        Flip(image, offset);
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("log is damaged", e.Message);
    }

    [Fact]
    public void ChecksumValidRecordThatDoesNotFitIsRefused()
    {
        var fs = NewFs(DeviceSize);
        Iomap a = Write(fs, fs.Create("a"), 0, 4096);
        var b = fs.Create("b");
        // Forge a record mapping a's block into b, with a valid checksum, at the log tail.
        var forged = LogRecord.Map(b.Ino, new Extent(0, a.Addr / Block, 1, Unwritten: false));
        int length = forged.EncodedBytes;
        forged.Encode(fs.Device.Span(fs.Layout.LogOffset + fs.LogTail, length), fs.Layout.FormatId, fs.Generation, seq: 3);
        byte[] image = Snapshot(fs.Device);
        fs.Destroy();
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("owned by another extent", e.Message);
    }

    [Fact]
    public void ChecksumValidRecordForAMissingInodeIsRefused()
    {
        var fs = NewFs(DeviceSize);
        fs.Create("a");
        var forged = LogRecord.SetSize(99, 5);
        forged.Encode(fs.Device.Span(fs.Layout.LogOffset + fs.LogTail, forged.EncodedBytes), fs.Layout.FormatId, fs.Generation, seq: 1);
        byte[] image = Snapshot(fs.Device);
        fs.Destroy();
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("no such inode", e.Message);
    }

    [Fact]
    public void ReformatHidesTheOldFileSystemCompletely()
    {
        (byte[] image, _, var fs) = Populated();
        fs.Destroy();
        using var device = DeviceFrom(image);
        FileSystem.Format(device, Seam.RealThreads).Dispose();
        var again = FileSystem.Mount(device, Seam.RealThreads);
        Assert.Empty(again.Inodes);
        Assert.Equal(again.Space.TotalBlocks, again.Space.FreeBlocks);
        again.Dispose();
    }

    [Fact]
    public void OpenFileRefusesAMissingOrMisSizedFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"daxlab-fs-{Guid.NewGuid():N}.daxdev");
        Assert.Equal(Errno.ENOENT, Assert.Throws<ErrnoException>(() => PmemDevice.OpenFile(path)).Errno);
        try
        {
            File.WriteAllBytes(path, new byte[12345]);
            Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => PmemDevice.OpenFile(path)).Errno);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
