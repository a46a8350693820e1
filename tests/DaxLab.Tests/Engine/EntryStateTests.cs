using DaxLab.Mm;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>Each transition of the mapping-entry state machine, driven by the system calls that cause it.</summary>
public class EntryStateTests
{
    private static void AssertNoLockedEntries(DaxFile file) =>
        Assert.All(Entries(file), e => Assert.False(e.Entry.IsLocked, $"entry {e.Index} left locked: {e.Entry}"));

    [Fact]
    public void Read_fault_on_a_4k_hole_adds_a_hole_page_until_v4_14()
    {
        using var fs = NewFs("v4.12");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(8192);
        using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        var buffer = new byte[16];
        map.Load(4096, buffer);
        Assert.All(buffer, b => Assert.Equal(0, b));
        var entry = EntryAt(file, 4096);
        Assert.True(entry.IsHolePage && !entry.IsPmd && !entry.IsMapped, entry.ToString());
        var pte = PteAt(map, 4096);
        Assert.Equal(PageKind.HolePage, pte.Kind);
        Assert.False(pte.IsWritable);
        AssertNoLockedEntries(file);
        // A write fault replaces the hole page with blocks; a write(2) over another hole page drops it.
        map.Store(4096, "x"u8);
        Assert.True(EntryAt(file, 4096).IsMapped && EntryAt(file, 4096).IsDirty);
        Assert.Equal(PageKind.Device, PteAt(map, 4096).Kind);
        map.Load(0, buffer);
        Assert.True(EntryAt(file, 0).IsHolePage);
        file.Write(0, "y"u8);
        Assert.True(EntryAt(file, 0).IsNone, "write(2) into a hole page's range leaves it in the page cache");
        Assert.True(PteAt(map, 0).IsNone, "the hole page stays mapped over the new block");
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Read_fault_on_a_4k_hole_adds_a_zero_entry_and_maps_the_zero_page_from_v4_14()
    {
        using var fs = NewFs("v4.14");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(8192);
        using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        var buffer = new byte[16];
        map.Load(4096, buffer);
        Assert.All(buffer, b => Assert.Equal(0, b));
        var entry = EntryAt(file, 4096);
        Assert.True(entry.IsZero && !entry.IsPmd, entry.ToString());
        var pte = PteAt(map, 4096);
        Assert.Equal(PageKind.ZeroPage, pte.Kind);
        Assert.False(pte.IsWritable);
        Assert.True(EntryAt(file, 0).IsNone);
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Write_fault_on_the_zero_page_allocates_replaces_the_entry_and_maps_writable()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(8192);
        using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Load(0, new byte[1]);
        map.Store(0, "hello"u8);
        var entry = EntryAt(file, 0);
        Assert.True(entry.IsMapped && entry.IsDirty && !entry.IsPmd, entry.ToString());
        var pte = PteAt(map, 0);
        Assert.Equal(PageKind.Device, pte.Kind);
        Assert.True(pte.IsWritable);
        Assert.Equal(entry.Pfn, pte.Frame);
        var read = new byte[5];
        file.Read(0, read);
        Assert.Equal("hello"u8.ToArray(), read);
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Read_fault_on_a_2m_hole_maps_the_huge_zero_page()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(4 * MiB);
        using var map = file.Map(0, 4 * MiB, MapProtection.Read, MapSharing.Shared);
        map.Load(2 * MiB + 100, new byte[8]);
        var entry = EntryAt(file, 2 * MiB + 4096);
        Assert.True(entry.IsZero && entry.IsPmd, entry.ToString());
        var pmd = PmdAt(map, 2 * MiB);
        Assert.True(pmd.IsHuge && pmd.Kind == PageKind.ZeroPage);
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Pte_fault_inside_a_zero_pmd_entry_downgrades_it_and_unmaps_the_huge_zero_page()
    {
        using var fs = NewFs("v4.14");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(4 * MiB);
        using var huge = file.Map(0, 4 * MiB, MapProtection.Read, MapSharing.Shared);
        huge.Load(0, new byte[1]);
        Assert.True(PmdAt(huge, 0).IsHuge);
        // A mapping at a 4 KiB offset can never map a PMD: its faults are PTE faults.
        using var small = file.Map(4096, 8192, MapProtection.Read, MapSharing.Shared);
        small.Load(0, new byte[1]);
        Assert.True(PmdAt(huge, 0).IsNone, "huge zero page still mapped after the downgrade");
        var entry = EntryAt(file, 4096);
        Assert.True(entry.IsZero && !entry.IsPmd, entry.ToString());
        Assert.True(EntryAt(file, 0).IsNone);
        // The PMD fault now finds PTE entries in its 2 MiB and falls back to PTEs.
        huge.Load(8192, new byte[1]);
        Assert.False(PmdAt(huge, 0).IsHuge);
        Assert.Equal(PageKind.ZeroPage, PteAt(huge, 8192).Kind);
        Assert.False(EntryAt(file, 8192).IsPmd);
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Write_fault_on_a_2m_hole_allocates_a_pmd_and_a_pte_write_inside_only_dirties_it()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(4 * MiB);
        using var huge = file.Map(0, 4 * MiB, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        huge.Store(2 * MiB, "pmd"u8);
        var entry = EntryAt(file, 2 * MiB);
        Assert.True(entry.IsMapped && entry.IsPmd && entry.IsDirty, entry.ToString());
        Assert.True(PmdAt(huge, 2 * MiB).IsHuge && PmdAt(huge, 2 * MiB).IsWritable);
        file.Fsync();
        Assert.False(EntryAt(file, 2 * MiB).IsDirty);
        using var small = file.Map(2 * MiB + 4096, 4096, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        small.Store(0, "pte"u8);
        var after = EntryAt(file, 2 * MiB + 4096);
        Assert.True(after.IsPmd && after.IsMapped && after.IsDirty, after.ToString());
        Assert.Equal(entry.Pfn, after.Pfn);
        var read = new byte[3];
        huge.Load(2 * MiB + 4096, read);
        Assert.Equal("pte"u8.ToArray(), read);
        AssertNoLockedEntries(file);
    }

    /// <summary>v4.12's dax_pfn_mkwrite and v4.14's whole fault must reach the same end state.</summary>
    [Theory]
    [InlineData("v4.12")]
    [InlineData("v4.14")]
    public void Writeback_cleans_and_write_protects_and_the_next_store_dirties_again(string design)
    {
        using var fs = NewFs(design);
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Write(0, new byte[8192]);
        using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(10, "x"u8);
        Assert.True(EntryAt(file, 0).IsDirty);
        map.Sync(0, 8192, MsyncFlags.Sync);
        Assert.False(EntryAt(file, 0).IsDirty);
        Assert.False(EntryAt(file, 0).IsToWrite);
        Assert.False(PteAt(map, 0).IsWritable);
        var cleaned = PteAt(map, 0);
        map.Store(11, "y"u8);
        Assert.True(EntryAt(file, 0).IsDirty);
        Assert.True(PteAt(map, 0).IsWritable);
        Assert.Equal(cleaned.Frame, PteAt(map, 0).Frame);
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Write_into_a_hole_drops_the_zero_entry_and_unmaps_it_so_the_mapping_sees_the_data()
    {
        using var fs = NewFs("v4.14");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(8192);
        using var map = file.Map(0, 8192, MapProtection.Read, MapSharing.Shared);
        map.Load(0, new byte[1]);
        Assert.True(EntryAt(file, 0).IsZero);
        file.Write(0, "data"u8);
        Assert.True(EntryAt(file, 0).IsNone);
        Assert.True(PteAt(map, 0).IsNone);
        var seen = new byte[4];
        map.Load(0, seen);
        Assert.Equal("data"u8.ToArray(), seen);
        Assert.True(EntryAt(file, 0).IsMapped);
    }

    [Fact]
    public void Truncate_deletes_entries_past_eof_and_a_later_access_there_is_sigbus()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Write(0, new byte[3 * 4096]);
        using var map = file.Map(0, 3 * 4096, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(2 * 4096, "z"u8);
        file.Truncate(4096 + 10);
        Assert.True(EntryAt(file, 2 * 4096).IsNone);
        Assert.True(PteAt(map, 2 * 4096).IsNone);
        Assert.Throws<SigBusException>(() => map.Load(2 * 4096, new byte[1]));
        map.Load(4096 + 100, new byte[1]);
        Assert.Equal(4096 + 10, file.Length);
    }

    [Fact]
    public void Hole_punch_deletes_entries_and_the_page_reads_zeros_again()
    {
        using var fs = NewFs("v4.14");
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Write(0, Pattern(3 * 4096, 1));
        using var map = file.Map(0, 3 * 4096, MapProtection.Read, MapSharing.Shared);
        map.Load(4096, new byte[1]);
        Assert.True(EntryAt(file, 4096).IsMapped);
        file.PunchHole(4096, 4096);
        Assert.True(EntryAt(file, 4096).IsNone);
        var seen = new byte[4096];
        map.Load(4096, seen);
        Assert.All(seen, b => Assert.Equal(0, b));
        Assert.True(EntryAt(file, 4096).IsZero);
        var first = new byte[4096];
        map.Load(0, first);
        Assert.Equal(Pattern(3 * 4096, 1)[..4096], first);
    }

    [Fact]
    public void Private_mapping_reads_through_a_pmd_and_a_write_copies_to_a_private_pte()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Write(0, Pattern((int)(2 * MiB), 3));
        using var map = file.Map(0, 2 * MiB, MapProtection.Read | MapProtection.Write, MapSharing.Private);
        map.Load(0, new byte[1]);
        var pmd = PmdAt(map, 0);
        Assert.True(pmd.IsHuge && !pmd.IsWritable && pmd.Kind == PageKind.Device);
        map.Store(4096, "mine"u8);
        Assert.False(PmdAt(map, 0).IsHuge);
        Assert.Equal(PageKind.Anon, PteAt(map, 4096).Kind);
        var fromFile = new byte[4];
        file.Read(4096, fromFile);
        Assert.Equal(Pattern((int)(2 * MiB), 3).AsSpan(4096, 4).ToArray(), fromFile);
        var fromMap = new byte[4096];
        map.Load(4096, fromMap);
        Assert.Equal("mine"u8.ToArray(), fromMap[..4]);
        Assert.Equal(Pattern((int)(2 * MiB), 3).AsSpan(4096 + 4, 100).ToArray(), fromMap.AsSpan(4, 100).ToArray());
        AssertNoLockedEntries(file);
    }

    [Fact]
    public void Store_without_prot_write_is_sigsegv_and_load_after_munmap_too()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(4096);
        var map = file.Map(0, 4096, MapProtection.Read, MapSharing.Shared);
        Assert.Throws<SigSegvException>(() => map.Store(0, "x"u8));
        map.Dispose();
        Assert.Throws<SigSegvException>(() => map.Load(0, new byte[1]));
    }
}
