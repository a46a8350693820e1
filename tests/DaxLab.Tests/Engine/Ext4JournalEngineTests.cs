using DaxLab.Mm;

namespace DaxLab.Tests.Engine;

/// <summary>
/// The ext4 flavour on real threads: every handle the file operations start is stopped by the
/// time they return (none left on the calling thread, none open in the transaction), and fsync
/// commits the transaction they filled.
/// </summary>
public class Ext4JournalEngineTests
{
    [Theory]
    [InlineData("ext4-v4.11")]
    [InlineData("ext4-v4.11-entry-first")]
    [InlineData("ext4-v4.12")]
    public void Writes_faults_and_copies_from_a_mapping_leave_no_handle_open_and_fsync_commits(string design)
    {
        using var fs = Inspect.NewFs(design);
        var journal = fs.Core.Journal!;
        using var file = fs.OpenFile("f", DaxOpenFlags.Create);
        file.Truncate(16 * 1024);
        Assert.Equal(4096, file.Write(0, Inspect.Pattern(4096, 1)));
        using var map = file.Map(0, 16 * 1024, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(8192, Inspect.Pattern(8, 2));
        Assert.Equal(4096, file.Write(4096, map, 8192, 4096));
        AssertNoHandle(journal);
        Assert.Equal(0, journal.CommittedTid);

        file.Fsync();
        Assert.Equal(1, journal.CommittedTid);
        Assert.False(journal.IsLocked);
        file.Fsync();
        Assert.Equal(1, journal.CommittedTid);

        var back = new byte[8];
        file.Read(4096, back);
        Assert.Equal(Inspect.Pattern(8, 2), back);
        Assert.DoesNotContain(Inspect.Entries(file), e => e.Entry.IsLocked);
    }

    [Fact]
    public void An_xfs_design_mounts_without_a_journal()
    {
        using var fs = Inspect.NewFs("v4.12");
        Assert.Null(fs.Core.Journal);
    }

    private static void AssertNoHandle(Sync.Journal journal)
    {
        Assert.Null(journal.CurrentHandle);
        Assert.Equal(0, journal.OpenHandles);
    }
}
