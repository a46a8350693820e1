using DaxLab.Base;
using DaxLab.Fs;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

/// <summary>fsck finds what it claims to find, and the extent limit is ENOSPC, not a crash.</summary>
public class CheckTests
{
    [Fact]
    public void LostBlockIsReported()
    {
        var fs = NewFs(8 * Mib);
        Write(fs, fs.Create("a"), 0, 4096);
        var run = fs.Allocator.Allocate(new AllocRequest(0, 1, -1, -1), 0, out _)!.Value;
        var problems = fs.Check();
        Assert.Contains(problems, p => p.Contains($"device block {run.Start} is lost"));
        fs.Destroy();
    }

    [Fact]
    public void OwnedButFreeBlockIsReported()
    {
        var fs = NewFs(8 * Mib);
        Iomap w = Write(fs, fs.Create("a"), 0, 4096);
        fs.Allocator.Free(new BlockRun(w.Addr / Block, 1));
        Assert.Contains(fs.Check(), p => p.Contains($"device block {w.Addr / Block} is owned by a file but free"));
        fs.Destroy();
    }

    [Fact]
    public void DoublyOwnedBlockAndBadExtentsAreReported()
    {
        var fs = NewFs(8 * Mib);
        Iomap w = Write(fs, fs.Create("a"), 0, 4096);
        var b = fs.Create("b");
        b.Extents.Insert(new Extent(10, w.Addr / Block, 1, Unwritten: false));
        b.Extents.Insert(new Extent(20, fs.Layout.TotalBlocks - 1, 5, Unwritten: false));
        b.Extents.Insert(new Extent(40, 1, 1, Unwritten: false));
        var problems = fs.Check();
        Assert.Contains(problems, p => p.Contains($"device block {w.Addr / Block} is owned twice"));
        Assert.Contains(problems, p => p.Contains("outside the data area") && p.Contains("file block 20"));
        Assert.Contains(problems, p => p.Contains("outside the data area") && p.Contains("file block 40"));
        Assert.Contains(problems, p => p.Contains("extent total"));
        fs.Destroy();
    }

    [Fact]
    public void ExtentLimitIsEnospcAndChangesNothing()
    {
        var fs = FileSystem.Format(DaxLab.Device.PmemDevice.CreateAnonymous(8 * Mib), DaxLab.Sync.Seam.RealThreads, logBytes: null, maxExtents: 10);
        var f = fs.Create("a");
        ErrnoException? full = null;
        for (int i = 0; i < 20 && full is null; i++)
        {
            try
            {
                Write(fs, f, i * 2 * 4096L, 4096);
            }
            catch (ErrnoException e)
            {
                full = e;
            }
        }
        Assert.Equal(Errno.ENOSPC, full?.Errno);
        string before = Describe(fs);
        Assert.Equal(Errno.ENOSPC, Assert.Throws<ErrnoException>(() => fs.Allocate(f, 100 * 4096, 4096)).Errno);
        Assert.Equal(Errno.ENOSPC, Assert.Throws<ErrnoException>(() => fs.ZeroRange(f, 2 * 4096, 4096)).Errno);
        Assert.Equal(before, Describe(fs));
        Assert.Empty(fs.Check());
        // Merging back is always possible: writing the gaps joins extents.
        fs.PunchRange(f, 0, 4096);
        Assert.Empty(fs.Check());
        var again = MountCopy(Snapshot(fs.Device));
        Assert.Equal(Describe(fs), Describe(again));
        fs.Destroy();
        again.Destroy();
    }
}
