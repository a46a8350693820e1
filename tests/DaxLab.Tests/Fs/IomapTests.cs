using DaxLab.Base;
using DaxLab.Fs;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

public class IomapTests
{
    [Fact]
    public void EmptyFileReadsAsOneHoleUpToTheRequestEnd()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        Iomap map = fs.IomapBegin(f, 5000, 10000, IomapOp.Read);
        Assert.Equal(new Iomap(IomapType.Hole, 4096, 3 * 4096, Iomap.NoAddr, IomapFlags.None), map);
        fs.Destroy();
    }

    [Fact]
    public unsafe void WriteAllocatesZeroedNewBlocksThenReturnsThemMappedWithoutNew()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        long free = fs.Space.FreeBlocks;
        // Dirty the whole data area so zeroing is observable wherever the allocator puts the blocks.
        long dataStart = fs.Layout.FirstDataBlock * 4096L;
        fs.Device.Span(dataStart, (int)(fs.Device.Size - dataStart)).Fill(0xAB);
        Iomap w = Write(fs, f, 4096, 3 * 4096);
        Assert.Equal(IomapType.Mapped, w.Type);
        Assert.True(w.IsNew);
        Assert.Equal(4096, w.Offset);
        Assert.Equal(3 * 4096, w.Length);
        Assert.Equal(free - 3, fs.Space.FreeBlocks);
        Assert.True(fs.Device.Span(w.Addr, (int)w.Length).IndexOfAnyExcept((byte)0) < 0);
        Iomap again = Write(fs, f, 4096 + 100, 10);
        Assert.Equal(IomapType.Mapped, again.Type);
        Assert.False(again.IsNew);
        Assert.Equal(w.Addr, again.Addr);
        Iomap read = fs.IomapBegin(f, 2 * 4096, 10 * 4096, IomapOp.Read);
        Assert.Equal(new Iomap(IomapType.Mapped, 2 * 4096, 2 * 4096, w.Addr + 4096, IomapFlags.None), read);
        Iomap hole = fs.IomapBegin(f, 0, 10 * 4096, IomapOp.Read);
        Assert.Equal(new Iomap(IomapType.Hole, 0, 4096, Iomap.NoAddr, IomapFlags.None), hole);
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void ReadsPastEofNeverAllocate()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        long free = fs.Space.FreeBlocks;
        Iomap map = fs.IomapBegin(f, 10 * Mib, Mib, IomapOp.Read | IomapOp.Fault);
        Assert.Equal(IomapType.Hole, map.Type);
        Assert.Equal(Mib, map.Length);
        Assert.Equal(free, fs.Space.FreeBlocks);
        fs.Destroy();
    }

    [Fact]
    public unsafe void UnwrittenReadsAsUnwrittenAndWriteConvertsItZeroedWithNew()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        fs.Allocate(f, 0, 8 * 4096);
        Iomap u = fs.IomapBegin(f, 0, 8 * 4096, IomapOp.Read);
        Assert.Equal(IomapType.Unwritten, u.Type);
        Assert.Equal(8 * 4096, u.Length);
        Assert.NotEqual(Iomap.NoAddr, u.Addr);
        new Span<byte>(fs.Device.Base + u.Addr, 8 * 4096).Fill(0xCD);
        Iomap w = Write(fs, f, 2 * 4096, 4096);
        Assert.Equal(new Iomap(IomapType.Mapped, 2 * 4096, 4096, u.Addr + 2 * 4096, IomapFlags.New), w);
        Assert.True(new Span<byte>(fs.Device.Base + w.Addr, 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(IomapType.Unwritten, fs.IomapBegin(f, 0, 8 * 4096, IomapOp.Read).Type);
        Assert.Equal(2 * 4096, fs.IomapBegin(f, 0, 8 * 4096, IomapOp.Read).Length);
        Iomap rest = fs.IomapBegin(f, 3 * 4096, 8 * 4096, IomapOp.Read);
        Assert.Equal((IomapType.Unwritten, 5L * 4096), (rest.Type, rest.Length));
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void PmdRequestGetsAnAlignedTwoMegabyteRun()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        Write(fs, fs.Create("small"), 0, 4096);
        Iomap w = fs.IomapBegin(f, 2 * Mib, 2 * Mib, IomapOp.Write | IomapOp.Fault);
        Assert.Equal(IomapType.Mapped, w.Type);
        Assert.True(w.IsNew);
        Assert.Equal(2 * Mib, w.Length);
        Assert.Equal(0, w.Addr % (2 * Mib));
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void SequentialFourKilobyteWritesBecomeOneAlignedPmdExtent()
    {
        var fs = NewFs();
        var a = fs.Create("a");
        var b = fs.Create("b");
        // Interleave two files so a naive first-free allocator would fragment both.
        for (long pos = 0; pos < 4 * Mib; pos += 4096)
        {
            Write(fs, a, pos, 4096);
            Write(fs, b, pos, 4096);
        }
        foreach (var f in new[] { a, b })
        {
            for (long pmd = 0; pmd < 4 * Mib; pmd += 2 * Mib)
            {
                Iomap r = fs.IomapBegin(f, pmd, 2 * Mib, IomapOp.Read | IomapOp.Fault);
                Assert.Equal(IomapType.Mapped, r.Type);
                Assert.Equal(2 * Mib, r.Length);
                Assert.Equal(0, r.Addr % (2 * Mib));
            }
        }
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void RandomOrderFourKilobyteWritesStillFillOneAlignedRegion()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        var order = Enumerable.Range(0, 512).OrderBy(i => (i * 7919) % 512).ToArray();
        foreach (int i in order)
            Write(fs, f, i * 4096L, 4096);
        Iomap r = fs.IomapBegin(f, 0, 2 * Mib, IomapOp.Read);
        Assert.Equal((IomapType.Mapped, 2 * Mib, 0L), (r.Type, r.Length, r.Addr % (2 * Mib)));
        fs.Destroy();
    }

    [Fact]
    public void FullDeviceIsEnospcAndLeavesMetadataUnchanged()
    {
        var fs = NewFs(8 * Mib);
        var f = fs.Create("a");
        long pos = 0;
        while (fs.Space.FreeBlocks > 0)
            pos = Write(fs, f, pos, 64 * Mib).End;
        string before = Describe(fs);
        var e = Assert.Throws<ErrnoException>(() => Write(fs, f, pos, 4096));
        Assert.Equal(Errno.ENOSPC, e.Errno);
        Assert.Equal(before, Describe(fs));
        var g = fs.Create("b");
        Assert.Equal(Errno.ENOSPC, Assert.Throws<ErrnoException>(() => fs.Allocate(g, 0, 4096)).Errno);
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void AllocateWithTooLittleSpaceAllocatesNothing()
    {
        var fs = NewFs(8 * Mib);
        var f = fs.Create("a");
        Write(fs, f, 0, 4096);
        long free = fs.Space.FreeBlocks;
        Assert.Equal(Errno.ENOSPC, Assert.Throws<ErrnoException>(() => fs.Allocate(f, 0, (free + 2) * 4096)).Errno);
        Assert.Equal(free, fs.Space.FreeBlocks);
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void TruncatePunchAndZeroRangeFreeOrConvertWholeBlocks()
    {
        var fs = NewFs();
        var f = fs.Create("a");
        fs.ExtendSize(f, 16 * 4096);
        Write(fs, f, 0, 16 * 4096);
        long free = fs.Space.FreeBlocks;
        fs.PunchRange(f, 4096 + 1, 3 * 4096);   // wholly inside: blocks 2 and 3
        Assert.Equal(free + 2, fs.Space.FreeBlocks);
        Assert.Equal(IomapType.Hole, fs.IomapBegin(f, 2 * 4096, 4096, IomapOp.Read).Type);
        Assert.Equal(IomapType.Mapped, fs.IomapBegin(f, 1 * 4096, 4096, IomapOp.Read).Type);
        Assert.Equal(IomapType.Mapped, fs.IomapBegin(f, 4 * 4096, 4096, IomapOp.Read).Type);
        fs.ZeroRange(f, 8 * 4096, 2 * 4096);
        Assert.Equal(free + 2, fs.Space.FreeBlocks);
        Iomap z = fs.IomapBegin(f, 8 * 4096, 16 * 4096, IomapOp.Read);
        Assert.Equal((IomapType.Unwritten, 2L * 4096), (z.Type, z.Length));
        fs.SetSize(f, 12 * 4096 + 1);            // block 12 partial: stays
        Assert.Equal(12 * 4096 + 1, f.Size);
        Assert.Equal(IomapType.Mapped, fs.IomapBegin(f, 12 * 4096, 4096, IomapOp.Read).Type);
        Assert.Equal(IomapType.Hole, fs.IomapBegin(f, 13 * 4096, 4096, IomapOp.Read).Type);
        Assert.Equal(free + 2 + 3, fs.Space.FreeBlocks);
        fs.ExtendSize(f, 100);
        Assert.Equal(12 * 4096 + 1, f.Size);
        Assert.Empty(fs.Check());
        fs.Unlink(f);
        Assert.Null(fs.Lookup("a"));
        Assert.Equal(fs.Space.TotalBlocks, fs.Space.FreeBlocks);
        Assert.Equal(Errno.ENOENT, Assert.Throws<ErrnoException>(() => Write(fs, f, 0, 1)).Errno);
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    [Fact]
    public void NamesAreValidated()
    {
        var fs = NewFs();
        fs.Create("x");
        Assert.Equal(Errno.EEXIST, Assert.Throws<ErrnoException>(() => fs.Create("x")).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => fs.Create("")).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => fs.Create("a/b")).Errno);
        Assert.Equal(Errno.ENAMETOOLONG, Assert.Throws<ErrnoException>(() => fs.Create(new string('é', 128))).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => fs.Create("bad\uD800")).Errno);
        fs.Create(new string('é', 127));
        fs.Create("ok\uD83D\uDE00");
        fs.Destroy();
    }

    [Fact]
    public void InodeTableFullIsEnospc()
    {
        var fs = NewFs(8 * Mib);
        int max = fs.Limits.Inodes;
        for (int i = 0; i < max; i++)
            fs.Create("f" + i);
        Assert.Equal(Errno.ENOSPC, Assert.Throws<ErrnoException>(() => fs.Create("one-more")).Errno);
        Assert.Empty(fs.Check());
        fs.Destroy();
    }
}
