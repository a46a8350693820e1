using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

public class PersistenceTests
{
    /// <summary>A mix of every record type.</summary>
    private static void Populate(FileSystem fs, int files)
    {
        for (int i = 0; i < files; i++)
        {
            var f = fs.Create($"file-{i}");
            fs.ExtendSize(f, (i + 1) * 3 * Mib);
            Write(fs, f, 0, 2 * Mib);
            Write(fs, f, 2 * Mib + 4096 * i, 4096);
            fs.Allocate(f, 3 * Mib, Mib);
            fs.ZeroRange(f, 4096, 8 * 4096);
            fs.PunchRange(f, 64 * 4096, 4 * 4096);
            if (i % 3 == 2)
                fs.SetSize(f, Mib + 5);
        }
        fs.Unlink(fs.Lookup("file-1")!);
    }

    [Fact]
    public void FileDeviceReopensWithIdenticalMetadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"daxlab-fs-{Guid.NewGuid():N}.daxdev");
        try
        {
            string before;
            using (var device = PmemDevice.CreateFile(path, 64 * Mib))
            {
                var fs = FileSystem.Format(device, Seam.RealThreads);
                Populate(fs, 5);
                before = Describe(fs);
                Assert.Empty(fs.Check());
                fs.Sync(fs.Inodes[0]);
                fs.Dispose();
            }
            Assert.Equal(Errno.EEXIST, Assert.Throws<ErrnoException>(() => PmemDevice.CreateFile(path, 64 * Mib)).Errno);
            using (var device = PmemDevice.OpenFile(path))
            {
                var fs = FileSystem.Mount(device, Seam.RealThreads);
                Assert.Equal(before, Describe(fs));
                Assert.Empty(fs.Check());
                Write(fs, fs.Create("after"), 0, 4096);
                before = Describe(fs);
                fs.Dispose();
            }
            using (var device = PmemDevice.OpenFile(path))
            {
                var fs = FileSystem.Mount(device, Seam.RealThreads);
                Assert.Equal(before, Describe(fs));
                fs.Dispose();
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SmallLogWrapsThroughCheckpointsAndStillReopensIdentically()
    {
        var fs = NewFs(32 * Mib, logBytes: 4096);
        Populate(fs, 12);
        var f = fs.Lookup("file-0")!;
        for (int i = 0; i < 300; i++)
            Write(fs, f, 8 * Mib + i * 4096L * 3, 4096);
        string before = Describe(fs);
        byte[] image = Snapshot(fs.Device);
        var again = MountCopy(image);
        Assert.Equal(before, Describe(again));
        Assert.Empty(again.Check());
        // And once more, after the mount-time checkpoint.
        var third = MountCopy(Snapshot(again.Device));
        Assert.Equal(before, Describe(third));
        fs.Destroy();
        again.Destroy();
        third.Destroy();
    }

    [Fact]
    public void DeviceSizesAreValidated()
    {
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => PmemDevice.CreateAnonymous(3 * Mib)).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => PmemDevice.CreateAnonymous(0)).Errno);
        using var small = PmemDevice.CreateAnonymous(4 * Mib);
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => FileSystem.Format(small, Seam.RealThreads)).Errno);
    }

    [Fact]
    public void LargeSparseDeviceFormatsAndAllocatesAnAlignedRun()
    {
        string path = Path.Combine(Path.GetTempPath(), $"daxlab-fs-{Guid.NewGuid():N}.daxdev");
        try
        {
            using var device = PmemDevice.CreateFile(path, 64L << 30);
            var fs = FileSystem.Format(device, Seam.RealThreads);
            var f = fs.Create("big");
            Iomap w = fs.IomapBegin(f, 0, 2 * Mib, IomapOp.Write | IomapOp.Fault);
            Assert.Equal((2 * Mib, 0L), (w.Length, w.Addr % (2 * Mib)));
            fs.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
