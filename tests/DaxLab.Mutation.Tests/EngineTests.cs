using DaxLab.Base;
using DaxLab.Designs;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;
using DaxLab.Sync;
using static DaxLab.Mutation.Tests.Bytes;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// What the scenarios cannot see because no race is needed to see it: single-threaded checks of
/// the engine on v4.12 (the default design), each killing a mutant that the checker lets live.
/// </summary>
public class EngineTests
{
    private const int Page = 4096;

    /// <summary>
    /// truncate_pagecache unmaps private copies only from the new EOF on (unmap_mapping_range's
    /// range starts at the first page wholly past it): a copy-on-write page inside the new size
    /// keeps the process's own data. No scenario reads a private copy back after a truncate, so
    /// an unmap that started at the mapping's first page instead went unseen.
    /// </summary>
    [Fact]
    public void Truncate_keeps_private_copies_inside_the_new_size()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(3 * Page, 0x11));
        using var map = file.Map(0, 3 * Page, MapProtection.Read | MapProtection.Write, MapSharing.Private);
        map.Store(0, Filled(Page, 0x22));
        map.Store(Page, Filled(Page, 0x33));

        file.Truncate(Page);

        var copy = new byte[Page];
        map.Load(0, copy);
        Assert.All(copy, b => Assert.Equal(0x22, b));
    }

    /// <summary>
    /// xfs_setattr_size's arguments: a negative size is EINVAL, one past the largest file EFBIG,
    /// and the largest file itself is allowed (scenarios never truncate to the edges).
    /// </summary>
    [Fact]
    public void Truncate_checks_the_size_at_both_edges()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        Assert.Equal(Errno.EINVAL, Assert.Throws<ErrnoException>(() => file.Truncate(-1)).Errno);
        Assert.Equal(Errno.EFBIG, Assert.Throws<ErrnoException>(() => file.Truncate(Geometry.MaxFileSize + 1)).Errno);
        file.Truncate(Geometry.MaxFileSize);
        Assert.Equal(Geometry.MaxFileSize, file.Stat().Size);
    }

    /// <summary>
    /// A truncate to a size inside a page zeroes the rest of that page (xfs_setattr_size's
    /// iomap_truncate_page): a mapping of the last page shows zeros past EOF, not the old bytes.
    /// The scenarios truncate to whole pages only, and read(2) never shows bytes past EOF.
    /// </summary>
    [Fact]
    public void Truncate_inside_a_page_zeroes_its_tail()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        using var map = file.Map(0, 2 * Page, MapProtection.Read, MapSharing.Shared);

        file.Truncate(Page + 100);

        var last = new byte[Page];
        map.Load(Page, last);
        Assert.All(last.AsSpan(0, 100).ToArray(), b => Assert.Equal(0x11, b));
        Assert.All(last.AsSpan(100).ToArray(), b => Assert.Equal(0, b));
    }

    /// <summary>
    /// An extending truncate zeroes the old last page past the old EOF (xfs_zero_eof), where a
    /// store through a mapping may have left bytes: read(2) of the new range shows zeros.
    /// </summary>
    [Fact]
    public void Extending_truncate_zeroes_past_the_old_size()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(100, 0x11));
        using var map = file.Map(0, Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(200, Filled(8, 0x33));

        file.Truncate(Page);

        var grown = new byte[Page - 100];
        file.Read(100, grown);
        Assert.All(grown, b => Assert.Equal(0, b));
    }

    /// <summary>
    /// A mapping at a file offset past 0 (vm_pgoff): truncate unmaps its pages wholly past the
    /// new size, so a load there raises SIGBUS. The scenarios map every file from offset 0,
    /// where adding vm_pgoff and subtracting it agree.
    /// </summary>
    [Fact]
    public void Truncate_unmaps_a_mapping_at_a_file_offset()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(3 * Page, 0x11));
        using var map = file.Map(Page, 2 * Page, MapProtection.Read, MapSharing.Shared);
        var bytes = new byte[8];
        map.Load(Page, bytes);

        file.Truncate(2 * Page);

        Assert.Throws<SigBusException>(() => map.Load(Page, bytes));
    }

    /// <summary>
    /// fsync makes a store through a shared mapping durable: dax_writeback_one flushes the
    /// entry's device range (the power-fail model, docs/fs.md). The checker's oracle reads the
    /// device as the CPUs see it, so a missing or misplaced flush is invisible to it.
    /// </summary>
    [Fact]
    public void Fsync_flushes_a_store_through_a_mapping()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(2 * Page, 0x11));
        file.Fsync();
        using var map = file.Map(0, 2 * Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(Page + 64, Filled(8, 0x22));
        map.Store(2 * Page - 8, Filled(8, 0x33));
        Assert.NotEmpty(model.UncertainLines());

        file.Fsync();

        Assert.Empty(model.UncertainLines());
    }

    /// <summary>
    /// truncate_inode_pages_range flushes a dirty PMD entry that it deletes only in part (the
    /// truncate keeps its first half, the punch its second): the fsync after finds no entry
    /// there, so without that flush the stores to the blocks that stay would never be made
    /// durable. Seen only by the power-fail model, as above.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dropping_part_of_a_dirty_PMD_entry_flushes_the_rest(bool punch)
    {
        const long half = Geometry.PmdSize / 2;
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(Geometry.PmdSize);
        using var map = file.Map(0, Geometry.PmdSize, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        long kept = punch ? half : 0;
        map.Store(kept + 64, Filled(8, 0x22));
        map.Store(kept + half - 8, Filled(8, 0x33));
        var mapping = file.Inode.Mapping;
        DaxEntry entry;
        using (mapping.XaLock.Hold())
            entry = mapping.Entries.Load(0);
        Assert.True(entry.IsPmd && entry.IsDirty, $"the stores made {entry}, not a dirty PMD entry");

        if (punch)
            file.PunchHole(0, half);
        else
            file.Truncate(half);
        file.Fsync();

        long keptAt = (entry.Pfn << Geometry.PageShift) + kept;
        Assert.DoesNotContain(model.UncertainLines(), line => line.Offset >= keptAt && line.Offset < keptAt + half);
    }

    /// <summary>
    /// __dax_invalidate_mapping_entry without trunc (invalidate_inode_pages2_range) leaves an
    /// entry tagged DIRTY or TOWRITE, whose data writeback still owes the device, and drops
    /// the xa_lock on the way out. On v4.12 its callers invalidate only new blocks, which have
    /// no dirty entry yet, so no scenario reaches this: the entry is tagged here directly.
    /// </summary>
    [Theory]
    [InlineData(DaxEntry.TagDirty)]
    [InlineData(DaxEntry.TagToWrite)]
    public void Invalidation_keeps_an_entry_writeback_owes(ulong tag)
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(Page, 0x11));
        using (var map = file.Map(0, Page, MapProtection.Read, MapSharing.Shared))
            map.Load(0, new byte[8]);
        var mapping = file.Inode.Mapping;
        DaxEntry tagged;
        using (mapping.XaLock.Hold())
        {
            var clean = mapping.Entries.Load(0);
            Assert.True(clean.IsMapped && !clean.IsDirty, $"the read fault made {clean}, not a clean mapped entry");
            tagged = clean.With(tag);
            mapping.Entries.Store(0, tagged);
        }

        Assert.True(file.Inode.Core.InvalidateEntry(mapping, 0, truncate: false).IsNone);

        Assert.False(mapping.XaLock.IsHeld);
        using (mapping.XaLock.Hold())
            Assert.Equal(tagged, mapping.Entries.Load(0));
    }

    /// <summary>
    /// Truncate checks for pinned pages only behind entries that map blocks: a zero-page PMD
    /// entry has no blocks (its pfn field is 0), so deleting it says nothing about the device's
    /// first 2 MiB. The allocator gives a file blocks there (after the metadata) only once no
    /// other 2 MiB region is free, so the device is filled first.
    /// </summary>
    [Fact]
    public void Truncating_a_zero_page_entry_reports_no_pinned_page()
    {
        using var fs = DaxFileSystem.CreateInMemory(8 << 20);
        using (var filler = fs.OpenFile("filler", DaxOpenFlags.Create))
            filler.Write(0, Filled(6 << 20, 0x55));
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(Page, 0x11));
        file.Truncate(2 * Geometry.PmdSize);
        using var map = file.Map(0, 2 * Geometry.PmdSize, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        using var pins = map.Pin(0, Page);
        map.Load(Geometry.PmdSize, new byte[8]);
        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
        {
            var low = mapping.Entries.Load(0);
            Assert.True(low.IsMapped && low.Pfn < Geometry.PagesPerPmd, $"the pinned page is {low}, not a block in the device's first 2 MiB");
            Assert.True(mapping.Entries.Load(Geometry.PagesPerPmd).IsZero, "the read fault past 2 MiB left no zero-page entry");
        }

        file.Truncate(Geometry.PmdSize);

        Assert.Empty(fs.FreedWhilePinned);
    }

    /// <summary>
    /// dax_iomap_pmd_fault maps 2 MiB with one PMD wherever the mapping and the file allow it: a
    /// 4 MiB file mapped whole gets a huge entry for each half, the second ending exactly at EOF.
    /// The scenarios' verdicts do not depend on a PMD where PTEs would do, so a fallback check
    /// that fell back too often (at EOF, or at every other 2 MiB of the file) went unseen.
    /// </summary>
    [Fact]
    public void A_PMD_fault_maps_each_2_MiB_the_file_and_mapping_hold_whole()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(2 * Geometry.PmdSize);
        using var map = file.Map(0, 2 * Geometry.PmdSize, MapProtection.Read, MapSharing.Shared);

        map.Load(0, new byte[8]);
        map.Load(Geometry.PmdSize, new byte[8]);

        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
            foreach (long pgoff in new[] { 0, Geometry.PagesPerPmd })
            {
                var entry = mapping.Entries.Load(pgoff);
                Assert.True(entry.IsPmd, $"the read fault at page {pgoff} made {entry}, not a PMD entry");
            }
    }

    /// <summary>
    /// A PMD never maps past the mapping: a 4 KiB mapping of a 2 MiB file, and the first 2 MiB of
    /// a mapping that starts 4 KiB into its 2 MiB, are faulted with PTEs. The scenarios map 2 MiB
    /// where they fault PMDs, and smaller mappings only of smaller files (which fall back at EOF).
    /// </summary>
    [Fact]
    public void A_PMD_fault_falls_back_where_the_mapping_does_not_hold_2_MiB()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        // Two files, as a PTE entry in a 2 MiB range makes its PMD fault fall back anyway.
        foreach (long fileOffset in new[] { 0L, Page })
        {
            using var file = fs.OpenFile($"file-at-{fileOffset}", DaxOpenFlags.Create);
            file.Truncate(2 * Geometry.PmdSize);
            long length = fileOffset == 0 ? Page : 2 * Geometry.PmdSize - fileOffset;
            using (var map = file.Map(fileOffset, length, MapProtection.Read, MapSharing.Shared))
                map.Load(0, new byte[8]);

            var mapping = file.Inode.Mapping;
            using (mapping.XaLock.Hold())
            {
                var entry = mapping.Entries.Load(0);
                Assert.False(entry.IsPmd, $"a read fault through {length} bytes mapped from {fileOffset} made {entry}, a PMD wider than its mapping");
            }
        }
    }

    /// <summary>
    /// A store that is the first touch of a page of a private mapping copies the file's data
    /// into the private page (dax_iomap_pte_fault's COW path copies from the device): the bytes
    /// around the store are the file's. The scenarios store whole pages or read back only what
    /// they stored, so a copy of zeros went unseen.
    /// </summary>
    [Fact]
    public void A_private_write_fault_copies_the_file_s_data()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(Page, 0x11));
        using var map = file.Map(0, Page, MapProtection.Read | MapProtection.Write, MapSharing.Private);

        map.Store(64, Filled(8, 0x22));

        var copy = new byte[Page];
        map.Load(0, copy);
        bool kept = copy.AsSpan(0, 64).IndexOfAnyExcept((byte)0x11) < 0 && copy.AsSpan(72).IndexOfAnyExcept((byte)0x11) < 0;
        Assert.True(kept, "the private copy does not hold the file's bytes around the store");
    }

    /// <summary>
    /// dax_pmd_load_hole maps the huge zero page over a zero-page PMD entry that another mapping's
    /// PMD fault left: a second mapping of a 2 MiB hole reads it through a huge PMD too, and the
    /// entry stays one zero-page PMD entry. No scenario reads one hole through two mappings.
    /// </summary>
    [Fact]
    public void A_second_mapping_of_a_2_MiB_hole_maps_the_huge_zero_page()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(Geometry.PmdSize);
        using var first = file.Map(0, Geometry.PmdSize, MapProtection.Read, MapSharing.Shared);
        using var second = file.Map(0, Geometry.PmdSize, MapProtection.Read, MapSharing.Shared);

        first.Load(0, new byte[8]);
        second.Load(Page, new byte[8]);

        foreach (var map in new[] { first, second })
        {
            var pmd = map.Vma.ReadPmd(map.Vma.Start);
            Assert.True(pmd.IsHuge && pmd.Kind == PageKind.ZeroPage, $"the read of a 2 MiB hole left {pmd}, not the huge zero page");
        }
        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
        {
            var entry = mapping.Entries.Load(0);
            Assert.True(entry.IsPmd && entry.IsZero, $"the reads left {entry}, not a zero-page PMD entry");
        }
    }

    /// <summary>
    /// dax_finish_sync_fault: a write fault through a MAP_SYNC mapping, by a PTE (a 2-page file,
    /// whose PMD fault falls back at EOF) or by a PMD (a 2 MiB file), makes the file's metadata
    /// durable before the page is mapped writable: the image a power failure leaves right after
    /// the store already has the file (the power-fail model, docs/fs.md; the checker's oracle
    /// cannot see durability). No scenario maps MAP_SYNC.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_MAP_SYNC_write_fault_forces_the_log_first(bool pmd)
    {
        long size = pmd ? Geometry.PmdSize : 2 * Page;
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(size);
        using var map = file.Map(0, size, MapProtection.Read | MapProtection.Write, MapSharing.SharedSync);

        map.Store(Page + 64, Filled(8, 0x22));

        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
            Assert.Equal(pmd, mapping.Entries.Load(pmd ? 0 : 1).IsPmd);
        Assert.True(SurvivesPowerFailure(fs, model, "testfile"), "a MAP_SYNC write fault mapped a page before the log was forced");
    }

    /// <summary>
    /// From v4.14 ->pfn_mkwrite runs the whole PTE fault (dax_iomap_fault), so a store through a
    /// read-only page of a MAP_SYNC mapping forces the log as a write fault does (generic/470):
    /// the blocks write(2) allocated, whose record only the log holds, are durable before the
    /// page turns writable. Only the designs after v4.12 take that path (no scenario of theirs
    /// stores through a read-only page), so it is checked on v6.
    /// </summary>
    [Fact]
    public void A_store_through_a_read_only_MAP_SYNC_page_forces_the_log_from_v4_14()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20, new DaxOptions { Design = DesignCatalog.Find("v6") });
        var model = fs.Fs.Device.EnablePowerFailModel();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled(Page, 0x11));
        using var map = file.Map(0, Page, MapProtection.Read | MapProtection.Write, MapSharing.SharedSync);
        map.Load(0, new byte[8]);
        Assert.False(SurvivesPowerFailure(fs, model, "testfile"), "write(2) forced the log itself");

        map.Store(64, Filled(8, 0x22));

        Assert.True(SurvivesPowerFailure(fs, model, "testfile"), "a store through a read-only MAP_SYNC page made it writable before the log was forced");
    }

    /// <summary>
    /// From v4.14 dax_load_hole maps the shared zero page read-only for a 4 KiB hole and records
    /// a clean zero-page PTE entry (v4.12 uses a hole page). No scenario on those designs reads a
    /// 4 KiB hole, so the fault is called as a racing CPU would leave it, on a 1-page file.
    /// </summary>
    [Fact]
    public void A_read_of_a_4_KiB_hole_maps_the_zero_page_from_v4_14()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20, new DaxOptions { Design = DesignCatalog.Find("v6") });
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(Page);
        using var map = file.Map(0, Page, MapProtection.Read, MapSharing.Shared);
        var vma = map.Vma;

        Assert.Equal(VmFault.NoPage, file.Inode.Core.IomapPteFault(new FaultContext(vma, vma.Start, 0, Write: false)));

        var pte = vma.ReadPte(vma.Start);
        Assert.True(pte.Kind == PageKind.ZeroPage && pte.IsPresent && !pte.IsWritable && !pte.IsHuge, $"the read of a hole mapped {pte}, not the zero page read-only");
        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
        {
            var entry = mapping.Entries.Load(0);
            Assert.True(entry.IsZero && !entry.IsPmd && !entry.IsDirty && !entry.IsLocked, $"the read of a hole left {entry}, not a clean 4 KiB zero-page entry");
        }
    }

    /// <summary>
    /// The May 2017 re-check (dax_iomap_pte_fault): a PTE fault that gets the entry lock after a
    /// PMD fault mapped the range retries rather than map a page under the huge PMD. The race
    /// that leads here on v4.12 (a private read PMD fault against a copy-on-write PTE fault)
    /// ends in a copy that is dropped anyway, so the fault is called directly on a shared
    /// mapping whose huge PMD is in place.
    /// </summary>
    [Fact]
    public void A_PTE_fault_under_a_huge_PMD_retries()
    {
        using var fs = DaxFileSystem.CreateInMemory(16 << 20);
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Write(0, Filled((int)Geometry.PmdSize, 0x11));
        using var map = file.Map(0, Geometry.PmdSize, MapProtection.Read, MapSharing.Shared);
        map.Load(0, new byte[8]);
        var vma = map.Vma;
        Assert.True(vma.ReadPmd(vma.Start).IsHuge, "the read fault mapped no huge PMD");

        Assert.Equal(VmFault.NoPage, file.Inode.Core.IomapPteFault(new FaultContext(vma, vma.Start + Page, 1, Write: false)));
        Assert.True(vma.ReadPmd(vma.Start).IsHuge, "the PTE fault removed the huge PMD");
    }

    /// <summary>
    /// A write fault that ->iomap_begin cannot give blocks (ENOSPC) raises SIGBUS, and the fault
    /// goes no further with an extent it did not get. No scenario fills the device.
    /// </summary>
    [Fact]
    public void A_write_fault_on_a_full_device_raises_SIGBUS()
    {
        using var fs = DaxFileSystem.CreateInMemory(8 << 20);
        using (var filler = fs.OpenFile("filler", DaxOpenFlags.Create))
        {
            long offset = 0;
            foreach (int chunk in new[] { 1 << 20, Page })
            {
                try
                {
                    for (; ; offset += chunk)
                        filler.Write(offset, Filled(chunk, 0x55));
                }
                catch (ErrnoException e) when (e.Errno == Errno.ENOSPC)
                {
                }
            }
        }
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(Page);
        using var map = file.Map(0, Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);

        Assert.Throws<SigBusException>(() => map.Store(0, Filled(8, 0x22)));
    }

    /// <summary>The power-fail model's durable image, mounted: does it hold <paramref name="name"/>?</summary>
    private static bool SurvivesPowerFailure(DaxFileSystem fs, PowerFailModel model, string name)
    {
        using var image = PmemDevice.CreateAnonymous(fs.Fs.Device.Size);
        model.CopyDurableTo(image);
        using var crashed = FileSystem.MountReadOnly(image, Seam.RealThreads);
        return crashed.Lookup(name) is not null;
    }
}
