using DaxLab.Mm;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>
/// fstests generic/428 (t_mmap_stale_pmd): a 2 MiB hole read through a mapping, then written
/// with pwrite, must show the data through the mapping. v4.11 left the huge zero page mapped.
/// </summary>
public class Generic428Tests
{
    [Fact]
    public void Mapping_sees_pwrite_into_a_faulted_2m_hole()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("testfile", DaxOpenFlags.Create);
        file.Truncate(0);
        file.Truncate(4 * MiB);
        using var map = file.Map(2 * MiB, 2 * MiB, MapProtection.Read, MapSharing.Shared);
        var first = new byte[1];
        map.Load(0, first);
        Assert.Equal(0, first[0]);
        Assert.True(PmdAt(map, 0).IsHuge, "the read should fault in the huge zero page");
        var hello = "HELLO WORLD!"u8.ToArray();
        Assert.Equal(hello.Length, file.Write(2 * MiB, hello));
        var seen = new byte[hello.Length];
        map.Load(0, seen);
        Assert.Equal(hello, seen);
    }
}
