using DaxLab.Base;
using DaxLab.Designs;
using DaxLab.Index;
using DaxLab.Mm;
using static DaxLab.Mutation.Tests.Bytes;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// Single-threaded checks of read(2), write(2), zeroing and the entry changes a fault or an
/// allocating write makes, on v4.12 (the default design): what the scenarios' races do not
/// look at. Each kills a mutant of Dax/Rw.cs or Dax/Entries.cs that the checker
/// lets live (docs/checker.md, "The rest of Entries.cs, Rw.cs and DaxCore.cs").
/// </summary>
public class ReadWriteTests
{
    private const int Page = 4096;

    /// <summary>
    /// read(2) returns the bytes up to EOF and no more, 0 at or past EOF, and zeros for a hole
    /// between written pages; a read that ends inside an extent copies only what was asked
    /// (dax_iomap_rw clamps the length to i_size, each chunk to what is left). The scenarios
    /// read whole pages inside the file.
    /// </summary>
    [Fact]
    public void Read_returns_the_bytes_up_to_EOF_and_zeros_for_a_hole()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(Page, 0x11));
        file.Write(2 * Page, Filled(100, 0x22));
        long size = 2 * Page + 100;

        var tail = new byte[Page];
        Assert.Equal(50, file.Read(size - 50, tail));
        Assert.All(tail.AsSpan(0, 50).ToArray(), b => Assert.Equal(0x22, b));
        Assert.Equal(0, file.Read(size, tail));
        Assert.Equal(0, file.Read(size + 5000, tail));

        // The hole's extent, [4 KiB, 8 KiB), goes on past the read's end at 6 KiB.
        var head = new byte[Page + Page / 2];
        Assert.Equal(head.Length, file.Read(0, head));
        Assert.All(head.AsSpan(0, Page).ToArray(), b => Assert.Equal(0x11, b));
        Assert.All(head.AsSpan(Page).ToArray(), b => Assert.Equal(0, b));
    }

    /// <summary>
    /// A write that fills the device part-way returns the bytes it wrote (ENOSPC from
    /// ->iomap_begin after some went in), and one that can write nothing fails with ENOSPC. No
    /// scenario fills its device.
    /// </summary>
    [Fact]
    public void A_write_that_fills_the_device_returns_its_part_then_fails_with_ENOSPC()
    {
        using var fs = DaxFileSystem.CreateInMemory(8 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);

        int written = file.Write(0, Filled(16 << 20, 0x11));

        Assert.InRange(written, 1, (8 << 20) - 1);
        Assert.Equal(written, file.Stat().Size);
        Assert.Equal(Errno.ENOSPC, Assert.Throws<ErrnoException>(() => file.Write(written, Filled(Page, 0x22))).Errno);
    }

    /// <summary>
    /// A read(2) or write(2) whose user buffer faults for good (here SIGBUS: the buffer is a
    /// mapping of a second file past its EOF) returns the bytes copied before the fault, or
    /// fails with EFAULT when there were none (dax_iomap_rw). The scenarios' buffers never fault.
    /// </summary>
    [Fact]
    public void A_copy_whose_user_buffer_faults_returns_what_it_copied_or_EFAULT()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        using var other = fs.OpenFile("buffer", DaxOpenFlags.Create);
        other.Truncate(Page);
        using var buffer = other.Map(0, 2 * Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);

        Assert.Equal(Page, file.Read(0, buffer, 0, 2 * Page));
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => file.Read(0, buffer, Page, Page)).Errno);
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => file.Write(0, buffer, Page, Page)).Errno);
    }

    /// <summary>
    /// Zeroing part of a written page (fallocate's FALLOC_FL_ZERO_RANGE edges, dax_zero_range)
    /// zeroes exactly that range, and the fsync after makes the zeros durable (they are added to
    /// what write(2) left to flush; seen only by the power-fail model, docs/fs.md).
    /// </summary>
    [Fact]
    public void Zeroing_part_of_a_page_zeroes_that_range_and_fsync_makes_it_durable()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        file.Fsync();

        file.ZeroRange(100, 200, keepSize: true);
        file.Fsync();

        var bytes = new byte[2 * Page];
        file.Read(0, bytes);
        Assert.All(bytes.AsSpan(0, 100).ToArray(), b => Assert.Equal(0x11, b));
        Assert.All(bytes.AsSpan(100, 200).ToArray(), b => Assert.Equal(0, b));
        Assert.All(bytes.AsSpan(300).ToArray(), b => Assert.Equal(0x11, b));
        Assert.Empty(model.UncertainLines());
    }

    /// <summary>
    /// A 4 KiB fault inside a zero-page PMD entry downgrades it (grab_mapping_entry): the huge
    /// zero page is unmapped from every mapping, so a store through a 4 KiB mapping is then seen
    /// by a load through the 2 MiB one. The scenarios fault a 2 MiB range only through one mapping.
    /// </summary>
    [Fact]
    public void Downgrading_a_zero_PMD_entry_unmaps_the_huge_zero_page()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(Geometry.PmdSize);
        using var huge = file.Map(0, Geometry.PmdSize, MapProtection.Read, MapSharing.Shared);
        huge.Load(0, new byte[8]);
        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
        {
            var zero = mapping.Entries.Load(0);
            Assert.True(zero.IsPmd && zero.IsZero, $"the read fault made {zero}, not a zero-page PMD entry");
        }
        using var small = file.Map(Page, Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);

        small.Store(0, Filled(8, 0x22));

        var seen = new byte[8];
        huge.Load(Page, seen);
        Assert.All(seen, b => Assert.Equal(0x22, b));
    }

    /// <summary>
    /// Filling a hole that a shared mapping reads through a hole page, by a write fault
    /// (dax_insert_mapping_entry) or by an allocating write(2) (invalidate_inode_pages2_range),
    /// unmaps the hole page but not a private copy-on-write copy of it (even_cows is 0): the
    /// private mapping keeps its own bytes. No scenario has a private mapping beside a shared one.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Filling_a_hole_keeps_a_private_copy_of_its_hole_page(bool pwrite)
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(Page);
        using var shared = file.Map(0, Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        using var priv = file.Map(0, Page, MapProtection.Read | MapProtection.Write, MapSharing.Private);
        shared.Load(0, new byte[8]);
        priv.Load(0, new byte[8]);
        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
            Assert.True(mapping.Entries.Load(0).IsHolePage, "the read faults left no hole page");
        priv.Store(0, Filled(8, 0x33));

        if (pwrite)
            file.Write(0, Filled(Page, 0x22));
        else
            shared.Store(0, Filled(8, 0x22));

        var own = new byte[8];
        priv.Load(0, own);
        Assert.All(own, b => Assert.Equal(0x33, b));
    }

    /// <summary>
    /// ext4's write(2) stops the journal handle its ->iomap_begin started in ->iomap_end: none
    /// is left open once the call returns (a handle left open would hold off every commit).
    /// </summary>
    [Fact]
    public void An_ext4_write_leaves_no_journal_handle_open()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20, new DaxOptions { Design = DesignCatalog.Find("ext4-v4.11") });
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);

        file.Write(0, Filled(2 * Page, 0x11));

        Assert.Null(file.Inode.Core.Journal!.CurrentHandle);
    }
}
