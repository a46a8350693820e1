using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Mm;
using DaxLab.Vfs;
using static DaxLab.Mutation.Tests.Bytes;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// The Vfs layer's system-call semantics on v4.12, checked single-threaded at each boundary:
/// the errno Linux returns, the bytes read back, what is durable under the power-fail model and
/// which translations stay. The scenarios only make calls that succeed, over whole pages of a
/// mapping at offset 0, so a wrong argument check or range computation here went unseen.
/// </summary>
public class SyscallTests
{
    private const int Page = 4096;
    private const MapProtection ReadWrite = MapProtection.Read | MapProtection.Write;

    /// <summary>
    /// do_mmap: an unaligned or negative offset or a zero length is EINVAL, a length beyond
    /// TASK_SIZE ENOMEM, and a range past the largest file EOVERFLOW (file_mmap_ok); a range
    /// ending exactly at it is allowed.
    /// </summary>
    [Fact]
    public void Mmap_checks_its_arguments()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        Assert.Equal(Errno.EINVAL, MapErrno(file, 100, Page));
        Assert.Equal(Errno.EINVAL, MapErrno(file, -Page, Page));
        Assert.Equal(Errno.EINVAL, MapErrno(file, 0, 0));
        Assert.Equal(Errno.EINVAL, MapErrno(file, 0, -Page));
        Assert.Equal(Errno.ENOMEM, MapErrno(file, 0, MmapOps.TaskSize + 1));
        Assert.Equal(Errno.EOVERFLOW, MapErrno(file, Geometry.MaxFileSize, Page));
        Assert.Equal(Errno.EOVERFLOW, MapErrno(file, Geometry.MaxFileSize - Page, Page + 1));

        using var last = file.Map(Geometry.MaxFileSize - Page, Page, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(Geometry.MaxFileSize - Page, last.FileOffset);
        Assert.Equal(Page, last.Length);
    }

    /// <summary>mmap links the mapping into the file's reverse map and munmap unlinks it, zapping every translation and private copy; a second munmap is a no-op.</summary>
    [Fact]
    public void Munmap_zaps_and_unlinks_the_mapping()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        var map = file.Map(0, 2 * Page, ReadWrite, MapSharing.Private);
        var vma = map.Vma;
        Assert.Contains(vma, file.Inode.Mapping.Mappings);
        map.Load(0, new byte[8]);
        map.Store(Page, Filled(8, 0x22));
        Assert.True(vma.HasPrivatePages);

        map.Dispose();

        Assert.True(vma.Unmapped);
        Assert.Empty(vma.PresentEntries());
        Assert.False(vma.HasPrivatePages);
        Assert.DoesNotContain(vma, file.Inode.Mapping.Mappings);
        map.Dispose();
        Assert.DoesNotContain(vma, file.Inode.Mapping.Mappings);
    }

    /// <summary>
    /// msync(2): an unaligned address, a negative length or MS_ASYNC|MS_SYNC is EINVAL; a range
    /// past the mapping, or a mapping gone, ENOMEM. A range ending exactly at the mapping's end
    /// and an empty one are allowed.
    /// </summary>
    [Fact]
    public void Msync_checks_its_arguments()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        var map = file.Map(0, 2 * Page, ReadWrite, MapSharing.Shared);
        Assert.Equal(Errno.EINVAL, Fails(() => map.Sync(100, Page, MsyncFlags.Sync)));
        Assert.Equal(Errno.EINVAL, Fails(() => map.Sync(0, -1, MsyncFlags.Sync)));
        Assert.Equal(Errno.EINVAL, Fails(() => map.Sync(0, Page, MsyncFlags.Sync | MsyncFlags.Async)));
        Assert.Equal(Errno.ENOMEM, Fails(() => map.Sync(Page, Page + 1, MsyncFlags.Sync)));
        Assert.Equal(Errno.ENOMEM, Fails(() => map.Sync(2 * Page, 1, MsyncFlags.Async)));
        map.Sync(Page, Page, MsyncFlags.Sync);
        map.Sync(2 * Page, 0, MsyncFlags.Sync);
        map.Sync(0, Page, MsyncFlags.Sync | MsyncFlags.Invalidate);
        map.Sync(0, Page, MsyncFlags.Async);
        map.Dispose();
        Assert.Equal(Errno.ENOMEM, Fails(() => map.Sync(0, Page, MsyncFlags.Sync)));
    }

    /// <summary>
    /// msync(MS_SYNC) makes durable the file pages of its range, counted from the mapping's
    /// file offset, the last being the page of the range's last byte; pages outside stay
    /// uncertain under the power-fail model.
    /// </summary>
    [Fact]
    public void Msync_sync_makes_exactly_its_range_durable()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(5 * Page, 0x11));
        file.Fsync();
        using var map = file.Map(Page, 4 * Page, ReadWrite, MapSharing.Shared);
        for (int page = 0; page < 4; page++)
            map.Store(page * Page + Page - 8, Filled(8, 0x22));
        long first = DeviceAddress(file, 2 * Page), last = DeviceAddress(file, 3 * Page);

        map.Sync(0, Page, MsyncFlags.Sync);
        Assert.DoesNotContain(DeviceAddress(file, Page), UncertainPages(model));
        Assert.Contains(first, UncertainPages(model));
        map.Sync(Page, Page + 1, MsyncFlags.Sync);

        var uncertain = UncertainPages(model);
        Assert.DoesNotContain(first, uncertain);
        Assert.DoesNotContain(last, uncertain);
        Assert.Contains(DeviceAddress(file, 4 * Page), uncertain);
    }

    /// <summary>MS_ASYNC, an empty range, and MS_SYNC of a private mapping write nothing back (msync only syncs VM_SHARED mappings).</summary>
    [Fact]
    public void Msync_without_work_leaves_the_file_uncertain()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        file.Fsync();
        using var shared = file.Map(0, 2 * Page, ReadWrite, MapSharing.Shared);
        using var own = file.Map(0, 2 * Page, ReadWrite, MapSharing.Private);
        shared.Store(64, Filled(8, 0x22));
        file.Write(Page + 64, Filled(8, 0x33));
        int before = model.UncertainLines().Count;
        Assert.NotEqual(0, before);

        shared.Sync(0, 2 * Page, MsyncFlags.Async);
        shared.Sync(0, 0, MsyncFlags.Sync);
        own.Sync(0, 2 * Page, MsyncFlags.Sync);

        Assert.Equal(before, model.UncertainLines().Count);
        shared.Sync(0, 2 * Page, MsyncFlags.Sync);
        Assert.Empty(model.UncertainLines());
    }

    /// <summary>madvise(2): EINVAL for an unaligned address or a negative length, ENOMEM past the mapping or once it is gone.</summary>
    [Fact]
    public void Madvise_checks_its_arguments()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        var map = file.Map(0, 2 * Page, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(Errno.EINVAL, Fails(() => map.Advise(100, Page, MapAdvice.DontNeed)));
        Assert.Equal(Errno.EINVAL, Fails(() => map.Advise(0, -1, MapAdvice.DontNeed)));
        Assert.Equal(Errno.ENOMEM, Fails(() => map.Advise(Page, Page + 1, MapAdvice.DontNeed)));
        map.Advise(Page, Page, MapAdvice.DontNeed);
        map.Advise(2 * Page, 0, MapAdvice.DontNeed);
        map.Dispose();
        Assert.Equal(Errno.ENOMEM, Fails(() => map.Advise(0, Page, MapAdvice.DontNeed)));
    }

    /// <summary>
    /// MADV_DONTNEED drops the translations of the pages its range touches, rounded up to a
    /// page, and no others; a private copy is discarded, so the page reads the file again.
    /// </summary>
    [Fact]
    public void Madvise_dontneed_drops_exactly_its_pages()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(4 * Page, 0x11));
        using var map = file.Map(0, 4 * Page, ReadWrite, MapSharing.Private);
        for (int page = 0; page < 4; page++)
            map.Load(page * Page, new byte[8]);
        map.Store(Page, Filled(8, 0x22));

        map.Advise(Page, Page + 1, MapAdvice.DontNeed);

        var present = PresentPages(map);
        Assert.Equal([0L, 3L], present);
        var bytes = new byte[8];
        map.Load(Page, bytes);
        Assert.All(bytes, b => Assert.Equal(0x11, b));
    }

    /// <summary>
    /// fallocate(2): EINVAL for a negative offset or a length not positive, EFBIG past the
    /// largest file. Mode 0 moves i_size to the range's end, FALLOC_FL_KEEP_SIZE does not, and
    /// neither shrinks the file; the blocks are allocated either way.
    /// </summary>
    [Fact]
    public void Fallocate_checks_and_extends()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        Assert.Equal(Errno.EINVAL, Fails(() => file.Allocate(-Page, Page, keepSize: false)));
        Assert.Equal(Errno.EINVAL, Fails(() => file.Allocate(0, 0, keepSize: false)));
        Assert.Equal(Errno.EFBIG, Fails(() => file.Allocate(Geometry.MaxFileSize, 1, keepSize: false)));
        Assert.Equal(Errno.EINVAL, Fails(() => file.PunchHole(-Page, Page)));
        Assert.Equal(Errno.EINVAL, Fails(() => file.ZeroRange(0, 0, keepSize: false)));

        file.Allocate(0, 2 * Page, keepSize: true);
        Assert.Equal(0, file.Stat().Size);
        Assert.Equal(2 * Page / 512, AllocatedBlocksBelow(file, 2 * Page));
        file.Allocate(Page, Page + 100, keepSize: false);
        Assert.Equal(2 * Page + 100, file.Stat().Size);
        Assert.Equal(3 * Page / 512, file.Stat().Blocks);
        file.Allocate(0, Page, keepSize: false);
        Assert.Equal(2 * Page + 100, file.Stat().Size);
    }

    /// <summary>
    /// FALLOC_FL_PUNCH_HOLE zeroes the partial pages at its edges and frees the whole pages
    /// inside, no more; a range wholly past EOF changes nothing.
    /// </summary>
    [Fact]
    public void Punch_hole_frees_exactly_the_whole_pages()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        using var map = WrittenAndFaulted(file, 5);

        file.PunchHole(5 * Page, Page);
        Assert.Equal(5 * Page / 512, file.Stat().Blocks);

        file.PunchHole(Page - 10, 2 * Page + 20);

        Assert.Equal(3 * Page / 512, file.Stat().Blocks);
        Assert.Equal(5 * Page, file.Stat().Size);
        var bytes = new byte[5 * Page];
        file.Read(0, bytes);
        Assert.All(bytes[..(Page - 10)], b => Assert.Equal(0x11, b));
        Assert.All(bytes[(Page - 10)..(3 * Page + 10)], b => Assert.Equal(0, b));
        Assert.All(bytes[(3 * Page + 10)..], b => Assert.Equal(0x11, b));
        var present = PresentPages(map);
        Assert.DoesNotContain(1L, present);
        Assert.DoesNotContain(2L, present);
        Assert.Contains(4L, present);
        var extents = file.Fiemap(0, 5 * Page, 8);
        Assert.Equal([(0L, (long)Page), (3L * Page, 2L * Page)], extents.Select(e => (e.FileOffset, e.Length)).ToList());
    }

    /// <summary>
    /// FALLOC_FL_ZERO_RANGE zeroes its bytes, turns the whole pages inside unwritten (still
    /// allocated) and drops their translations; without FALLOC_FL_KEEP_SIZE it extends i_size
    /// to the range's end.
    /// </summary>
    [Fact]
    public void Zero_range_zeroes_and_maybe_extends()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        using var map = WrittenAndFaulted(file, 4);

        file.ZeroRange(Page, 2 * Page, keepSize: true);

        Assert.Equal(4 * Page, file.Stat().Size);
        Assert.Equal(4 * Page / 512, file.Stat().Blocks);
        var present = PresentPages(map);
        Assert.Equal([0L, 3L], present);
        var extents = file.Fiemap(0, 4 * Page, 8);
        Assert.Contains(extents, e => e.Unwritten && e.FileOffset == Page && e.Length == 2 * Page);
        var bytes = new byte[4 * Page];
        file.Read(0, bytes);
        Assert.All(bytes[..Page], b => Assert.Equal(0x11, b));
        Assert.All(bytes[Page..(3 * Page)], b => Assert.Equal(0, b));
        Assert.All(bytes[(3 * Page)..], b => Assert.Equal(0x11, b));

        file.ZeroRange(4 * Page - 10, 20, keepSize: true);
        Assert.Equal(4 * Page, file.Stat().Size);
        file.ZeroRange(4 * Page - 10, 20, keepSize: false);
        Assert.Equal(4 * Page + 10, file.Stat().Size);
        file.ZeroRange(0, 8, keepSize: false);
        Assert.Equal(4 * Page + 10, file.Stat().Size);
        file.ZeroRange(3 * Page, Page, keepSize: true);
        var one = new byte[Page];
        file.Read(3 * Page, one);
        Assert.All(one, b => Assert.Equal(0, b));
    }

    /// <summary>
    /// rw_verify_area and the size limit: a negative offset, or a range whose end passes
    /// 2^63, is EINVAL; a write ending past the largest file EFBIG; an empty write returns 0
    /// without moving i_size.
    /// </summary>
    [Fact]
    public void Read_and_write_check_the_range()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        Assert.Equal(Errno.EINVAL, Fails(() => file.Read(-1, new byte[8])));
        Assert.Equal(Errno.EINVAL, Fails(() => file.Write(-1, new byte[8])));
        Assert.Equal(Errno.EINVAL, Fails(() => file.Read(long.MaxValue - 4, new byte[8])));
        Assert.Equal(Errno.EINVAL, Fails(() => file.Write(long.MaxValue - 4, new byte[8])));
        Assert.Equal(Errno.EFBIG, Fails(() => file.Write(Geometry.MaxFileSize - 4, new byte[8])));
        Assert.Equal(0, file.Read(long.MaxValue - 8, new byte[8]));
        Assert.Equal(0, file.Write(Page, []));
        Assert.Equal(0, file.Stat().Size);
        Assert.Equal(8, file.Write(Geometry.MaxFileSize - 8, Filled(8, 0x11)));
        Assert.Equal(Geometry.MaxFileSize, file.Stat().Size);
    }

    /// <summary>
    /// A write past EOF zeroes the old last page's bytes past i_size (xfs_zero_eof) up to the
    /// write's start or the page's end, where a store through a mapping may have left data.
    /// </summary>
    [Fact]
    public void Write_past_eof_zeroes_the_old_tail()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(100, 0x11));
        using var map = file.Map(0, 2 * Page, ReadWrite, MapSharing.Shared);
        map.Store(200, Filled(8, 0x33));
        map.Store(Page - 8, Filled(8, 0x33));

        file.Write(300, Filled(8, 0x22));

        var bytes = new byte[308];
        file.Read(0, bytes);
        Assert.All(bytes[100..300], b => Assert.Equal(0, b));
        var tail = new byte[8];
        map.Load(Page - 8, tail);
        Assert.All(tail, b => Assert.Equal(0x33, b));

        file.Write(Page + 8, Filled(8, 0x22));
        file.Read(Page - 8, tail);
        Assert.All(tail, b => Assert.Equal(0, b));
    }

    /// <summary>
    /// FS_IOC_FIEMAP: a zero length is EINVAL, a start outside [0, largest file) EFBIG; a
    /// length past the largest file is cut there. Extents come in file order, holes left out,
    /// at most as many as asked; the last is flagged only when all fit.
    /// </summary>
    [Fact]
    public void Fiemap_checks_and_reports_extents()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(Page, 0x11));
        file.Allocate(2 * Page, Page, keepSize: false);
        file.Write(4 * Page, Filled(Page, 0x11));
        Assert.Equal(Errno.EINVAL, Fails(() => file.Fiemap(0, 0, 4)));
        Assert.Equal(Errno.EFBIG, Fails(() => file.Fiemap(-1, Page, 4)));
        Assert.Equal(Errno.EFBIG, Fails(() => file.Fiemap(Geometry.MaxFileSize, Page, 4)));
        Assert.Empty(file.Fiemap(Geometry.MaxFileSize - 1, long.MaxValue, 4));

        var all = file.Fiemap(0, long.MaxValue, 4);
        Assert.Equal([(0L, false, false), (2L * Page, true, false), (4L * Page, false, true)],
            all.Select(e => (e.FileOffset, e.Unwritten, e.Last)).ToList());
        Assert.All(all, e => Assert.Equal(Page, e.Length));
        var two = file.Fiemap(0, 5 * Page, 2);
        Assert.Equal([(0L, false), (2L * Page, false)], two.Select(e => (e.FileOffset, e.Last)).ToList());
        var exact = file.Fiemap(Page, 2 * Page, 3);
        Assert.Equal([(2L * Page, true)], exact.Select(e => (e.FileOffset, e.Last)).ToList());
        Assert.Empty(file.Fiemap(Page, Page, 1));
    }

    /// <summary>Writes <paramref name="pages"/> pages of 0x11 and maps them shared, each faulted in by a load.</summary>
    private static DaxMapping WrittenAndFaulted(DaxFile file, int pages)
    {
        file.Write(0, Filled(pages * Page, 0x11));
        var map = file.Map(0, pages * Page, MapProtection.Read, MapSharing.Shared);
        for (int page = 0; page < pages; page++)
            map.Load(page * Page, new byte[8]);
        return map;
    }

    /// <summary>The pages of the mapping with a translation, counted from its start.</summary>
    private static List<long> PresentPages(DaxMapping map) =>
        map.Vma.PresentEntries().Select(e => (e.Address - map.Address) / Page).ToList();

    private static Errno MapErrno(DaxFile file, long offset, long length) =>
        Fails(() => file.Map(offset, length, MapProtection.Read, MapSharing.Shared).Dispose());

    private static Errno Fails(Action call) => Assert.Throws<ErrnoException>(call).Errno;

    private static Errno Fails(Func<object> call) => Assert.Throws<ErrnoException>(() => call()).Errno;

    /// <summary>Blocks (512 bytes) allocated below <paramref name="end"/>, written or not, by FIEMAP.</summary>
    private static long AllocatedBlocksBelow(DaxFile file, long end) =>
        file.Fiemap(0, end, 64).Sum(e => Math.Min(e.FileOffset + e.Length, end) - e.FileOffset) / 512;

    /// <summary>The device address of the page holding file byte <paramref name="offset"/>.</summary>
    private static long DeviceAddress(DaxFile file, long offset)
    {
        var extent = file.Fiemap(offset, 1, 1).Single();
        return Geometry.PageAlignDown(extent.DeviceAddress + (offset - extent.FileOffset));
    }

    private static HashSet<long> UncertainPages(PowerFailModel model) =>
        model.UncertainLines().Select(line => Geometry.PageAlignDown(line.Offset)).ToHashSet();
}
