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

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
