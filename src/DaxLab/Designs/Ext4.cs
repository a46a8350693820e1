using DaxLab.Dax;
using DaxLab.Fs;
using DaxLab.Mm;
using DaxLab.Sync;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// ext4 as v4.11 shipped it over v4.11's fs/dax.c (the <c>v4.10</c> design's DAX core): faults
/// ask ->iomap_begin before the entry lock (9f141d6ef625), and ext4_iomap_begin starts and stops
/// its journal handle there (1db175428ee3), so no handle is ever started under an entry lock.
/// </summary>
public sealed class Ext4V411 : Design
{
    public override string Name => "ext4-v4.11";

    public override string Summary => "ext4 as in v4.11: the handle starts in ext4_iomap_begin, which faults call before the entry lock";

    public override string Source => "commits 9f141d6ef625 and 1db175428ee3 (v4.10); fs/dax.c and fs/ext4 of v4.11";

    public override FsFlavour Fs => FsFlavour.Ext4;

    public override DaxPolicy Dax { get; } = new V410().Dax;
}

/// <summary>
/// The landed fix without its patch 3/4: faults lock the entry before ->iomap_begin again
/// (13e451fdc1af), while ext4 still starts its handle inside ext4_iomap_begin, i.e. under the
/// entry lock. That is the "entry lock → transaction start" order 9f141d6ef625 moved
/// ->iomap_begin out to avoid: a write(2) holds its handle while its invalidation waits for an
/// entry lock, so a fault holding that entry and waiting to start a handle behind a commit closes
/// the cycle.
/// </summary>
public sealed class Ext4V411EntryFirst : Design
{
    public override string Name => "ext4-v4.11-entry-first";

    public override string Summary => "v4.11's ext4 under the fix's fault order: the handle starts under the entry lock (no patch 3/4)";

    public override string Source => "9f141d6ef625's message and Jan Kara, linux-mm, 2017-04-26 (\"it would create lock inversion wrt transaction start\")";

    public override FsFlavour Fs => FsFlavour.Ext4;
}

/// <summary>
/// The landed fix with patch 3/4 (fb26a1cbed8c, "ext4: Return back to starting transaction in
/// ext4_dax_huge_fault()"): a write fault starts its handle after i_mmap_sem and before
/// dax_iomap_fault takes the entry lock; ext4_iomap_begin's start then nests and cannot wait.
/// One order everywhere: i_mmap_sem → handle → entry lock.
/// </summary>
public sealed class Ext4V412 : Design
{
    public override string Name => "ext4-v4.12";

    public override string Summary => "the fix on ext4: write faults start the handle before the entry lock; ext4_iomap_begin nests in it";

    public override string Source => "Jan Kara, \"ext4: Return back to starting transaction in ext4_dax_huge_fault()\" (fb26a1cbed8c, v4.12)";

    public override FsFlavour Fs => FsFlavour.Ext4;

    public override InodeLocks NewInodeLocks(DaxInode inode) => new HandleAroundWriteFaults(inode);

    /// <summary>ext4_dax_huge_fault of v4.12: i_mmap_sem shared, then, for a write, a handle (EXT4_HT_WRITE_PAGE).</summary>
    private sealed class HandleAroundWriteFaults(DaxInode inode) : InodeLocks(inode)
    {
        public override Held LockFault(in FaultContext vmf, PageEntrySize size)
        {
            var mmapSem = Held.Read(Inode.MmapSem);
            if (!vmf.Write)
                return mmapSem;
            var journal = Inode.Core.Journal ?? throw new InvalidOperationException("an ext4 design mounted without a journal");
            return Held.Both(mmapSem, new Stopper(journal, journal.Start(Ext4IomapOps.WritePageCredits, "ext4_journal_start_sb")));
        }
    }

    /// <summary>ext4_journal_stop of the fault's handle, before up_read(i_mmap_sem) as ext4_dax_huge_fault orders them.</summary>
    private sealed class Stopper(Journal journal, JournalHandle handle) : IDisposable
    {
        public void Dispose() => journal.Stop(handle);
    }
}
