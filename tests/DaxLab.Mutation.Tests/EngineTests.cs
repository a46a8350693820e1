using DaxLab.Base;
using DaxLab.Mm;

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

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
