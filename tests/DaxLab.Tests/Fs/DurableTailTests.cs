using System.Buffers.Binary;
using DaxLab.Base;
using DaxLab.Fs;
using DaxLab.Sync;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

/// <summary>
/// The durability rule for the log tail (docs/fs.md): replay that stops before the point fsync
/// made durable is damage (EUCLEAN); anything past it is an unacknowledged tail, dropped with a
/// warning; and a read-only mount writes nothing.
/// </summary>
public class DurableTailTests
{
    private const long DeviceSize = 8 * Mib;

    /// <summary>
    /// A remounted file system whose log holds fsync'ed records of its epoch, ending at
    /// <c>Synced</c> (bytes into the log); the last of them is the SetSize at [LastStart, Synced).
    /// </summary>
    private static (FileSystem Fs, string State, long LastStart, long Synced) Synced()
    {
        var first = NewFs(DeviceSize);
        Write(first, first.Create("a"), 0, 3 * Block);
        var fs = MountCopy(Snapshot(first.Device));
        first.Destroy();
        var b = fs.Create("b");
        Write(fs, b, 0, 2 * Block);
        long lastStart = fs.LogTail;
        fs.SetSize(b, 8000);
        fs.Sync(b);
        return (fs, Describe(fs), lastStart, fs.LogTail);
    }

    [Fact]
    public void DamageToAnFsyncedRecordIsRefused()
    {
        (var fs, _, long lastStart, long synced) = Synced();
        long log = fs.Layout.LogOffset;
        byte[] image = Snapshot(fs.Device);
        fs.Destroy();
        for (long offset = log + lastStart; offset < log + synced; offset += 3)
        {
            byte[] damaged = (byte[])image.Clone();
            damaged[offset] ^= (byte)(1 << (int)(offset % 8));
            var e = MountFails(damaged);
            Assert.Equal(Errno.EUCLEAN, e.Errno);
            Assert.Contains($"log is damaged at offset {lastStart}", e.Message);
            Assert.Contains($"durable to offset {synced}", e.Message);
        }
    }

    [Fact]
    public void ZeroedLogWithADurableTailIsRefused()
    {
        (var fs, _, _, long synced) = Synced();
        byte[] image = Snapshot(fs.Device);
        image.AsSpan((int)fs.Layout.LogOffset, (int)fs.Layout.LogBytes).Clear();
        fs.Destroy();
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains($"log is damaged at offset 0", e.Message);
        Assert.Contains($"durable to offset {synced}", e.Message);
    }

    [Fact]
    public void TornRecordPastTheDurableTailIsDroppedWithAWarning()
    {
        (var fs, _, _, long synced) = Synced();
        var b = fs.Lookup("b")!;
        fs.ExtendSize(b, 9000);
        string acknowledgedAndIntact = Describe(fs);
        long tornStart = fs.LogTail;
        fs.SetSize(b, 100);
        long tornEnd = fs.LogTail;
        byte[] image = Snapshot(fs.Device);
        long log = fs.Layout.LogOffset;
        fs.Destroy();
        // The power failed with the first half of the last record durable, the rest lost.
        image.AsSpan((int)(log + (tornStart + tornEnd) / 2), (int)((tornEnd - tornStart) / 2)).Clear();
        var again = MountCopy(image);
        Assert.Equal(acknowledgedAndIntact, Describe(again));
        Assert.Empty(again.Check());
        Assert.Equal(tornStart, again.Recovery.ReplayedBytes);
        Assert.Equal(synced, again.Recovery.DurableBytes);
        Assert.Contains($"after offset {tornStart}", again.Recovery.Warning);
        again.Destroy();
    }

    /// <summary>Writeback may persist later unacknowledged records and lose an earlier one: all of them past the hole are dropped, not called damage (the weak spot of #11).</summary>
    [Fact]
    public void IntactRecordsPastALostUnacknowledgedOneAreDropped()
    {
        (var fs, string acknowledged, _, _) = Synced();
        var b = fs.Lookup("b")!;
        long lostStart = fs.LogTail;
        fs.ExtendSize(b, 9000);
        long lostEnd = fs.LogTail;
        fs.SetSize(b, 100);
        fs.Unlink(fs.Lookup("a")!);
        byte[] image = Snapshot(fs.Device);
        long log = fs.Layout.LogOffset;
        fs.Destroy();
        image.AsSpan((int)(log + lostStart), (int)(lostEnd - lostStart)).Clear();
        var again = MountCopy(image);
        Assert.Equal(acknowledged, Describe(again));
        Assert.NotNull(again.Recovery.Warning);
        again.Destroy();
    }

    /// <summary>A kill -9 leaves every record it wrote intact: they all replay, and the clean end past them needs no warning.</summary>
    [Fact]
    public void IntactUnacknowledgedRecordsReplayWithoutAWarning()
    {
        (var fs, _, _, _) = Synced();
        fs.ExtendSize(fs.Lookup("b")!, 9000);
        string state = Describe(fs);
        var again = MountCopy(Snapshot(fs.Device));
        fs.Destroy();
        Assert.Equal(state, Describe(again));
        Assert.Null(again.Recovery.Warning);
        Assert.Equal(0, again.Recovery.DroppedBytes);
        again.Destroy();
    }

    [Fact]
    public void DamagedNewestTailCopyFallsBackToTheOlderOne()
    {
        (var fs, _, _, _) = Synced();
        var b = fs.Lookup("b")!;
        fs.ExtendSize(b, 9000);
        fs.Sync(b);
        string state = Describe(fs);
        byte[] image = Snapshot(fs.Device);
        long newestCopy = fs.Layout.TailOffset + NewestTailCopy(image, fs.Layout) * DurableTail.CopyBytes;
        fs.Destroy();
        image[newestCopy + 16] ^= 1;
        // A torn tail update: the older copy promises less, and the records past it still replay.
        var again = MountCopy(image);
        Assert.Equal(state, Describe(again));
        again.Destroy();
    }

    [Fact]
    public void BothTailCopiesDamagedIsRefused()
    {
        (var fs, _, _, _) = Synced();
        fs.Sync(fs.Lookup("a")!);
        byte[] image = Snapshot(fs.Device);
        long tail = fs.Layout.TailOffset;
        fs.Destroy();
        image[tail + 8] ^= 1;
        image[tail + DurableTail.CopyBytes + 8] ^= 1;
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("log tail block is damaged", e.Message);
    }

    /// <summary>A fresh epoch has no records yet, but its durable tail names it: losing its checkpoint is damage, not a reason to mount the older one.</summary>
    [Fact]
    public void DamagedNewestCheckpointOfAnEmptyEpochIsRefused()
    {
        (var first, string state, _, _) = Synced();
        var fs = MountCopy(Snapshot(first.Device));
        first.Destroy();
        Assert.Equal(0, fs.LogTail);
        byte[] image = Snapshot(fs.Device);
        long slot = fs.Layout.SlotOffset(fs.Generation % 2);
        fs.Destroy();
        image[slot + 60] ^= 4;
        var e = MountFails(image);
        Assert.Equal(Errno.EUCLEAN, e.Errno);
        Assert.Contains("checkpoint generation", e.Message);
        Assert.Contains("durable tail", e.Message);
    }

    [Fact]
    public void ReformattingAnImageLeavesNoTornTailBehind()
    {
        (var fs, _, _, _) = Synced();
        FileSystem.Format(fs.Device, Seam.RealThreads).Dispose();
        var again = MountCopy(Snapshot(fs.Device));
        fs.Destroy();
        Assert.Empty(again.Inodes);
        Assert.Null(again.Recovery.Warning);
        again.Destroy();
    }

    [Fact]
    public void Version1ImageIsRefusedWithAClearMessage()
    {
        (var fs, _, _, _) = Synced();
        byte[] image = Snapshot(fs.Device);
        fs.Destroy();
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(88), Crc32C.Compute(0, image.AsSpan(0, 88)));
        var e = MountFails(image);
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("version 1", e.Message);
        Assert.Contains("daxlab mkfs", e.Message);
    }

    [Fact]
    public void ReadOnlyMountReplaysInMemoryAndWritesNothing()
    {
        (var fs, _, _, _) = Synced();
        var b = fs.Lookup("b")!;
        fs.ExtendSize(b, 9000);
        long tornAt = fs.LogTail;
        fs.SetSize(b, 100);
        byte[] image = Snapshot(fs.Device);
        image[fs.Layout.LogOffset + tornAt + 30] ^= 1;
        fs.Destroy();
        var readWrite = MountCopy(image);
        string state = Describe(readWrite);
        readWrite.Destroy();
        using var device = DeviceFrom(image);
        var ro = FileSystem.MountReadOnly(device, Seam.RealThreads);
        Assert.Equal(state, Describe(ro));
        Assert.Empty(ro.Check());
        Assert.NotNull(ro.Recovery.Warning);
        Inode inode = ro.Lookup("b")!;
        Assert.Equal(Errno.EROFS, Assert.Throws<ErrnoException>(() => ro.Create("c")).Errno);
        Assert.Equal(Errno.EROFS, Assert.Throws<ErrnoException>(() => ro.SetSize(inode, 0)).Errno);
        Assert.Equal(Errno.EROFS, Assert.Throws<ErrnoException>(() => ro.IomapBegin(inode, 0, Block, IomapOp.Write)).Errno);
        Assert.Equal(Errno.EROFS, Assert.Throws<ErrnoException>(() => ro.Allocate(inode, 4 * Block, Block)).Errno);
        ro.Sync(inode);
        ro.Dispose();
        Assert.True(image.AsSpan().SequenceEqual(Snapshot(device)), "the read-only mount changed the device");
    }

    /// <summary>The copy holding the larger (epoch, bytes), as mount picks it.</summary>
    private static int NewestTailCopy(byte[] image, Layout layout)
    {
        (long, long) Read(int copy)
        {
            int at = (int)(layout.TailOffset + copy * DurableTail.CopyBytes);
            return (BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(at + 8)), BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(at + 16)));
        }
        return Read(0).CompareTo(Read(1)) >= 0 ? 0 : 1;
    }
}
