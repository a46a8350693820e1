using DaxLab.Dax;
using DaxLab.Mm;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// Jan Kara's option 2: i_mmap_sem held for write across write faults and write(2), so a fault
/// never overlaps a write; faults keep v4.10's order, which is what the option was meant to
/// allow (no ext4 lock inversion).
/// </summary>
public sealed class MmapSem : Design
{
    public override string Name => "mmap-sem";

    public override string Summary => "i_mmap_sem held for write by write faults and write(2); faults as in v4.10";

    public override string Source => "Jan Kara, linux-mm, 2017-04-26: \"grab i_mmap_sem for write when doing write fault ... and write(2)\"";

    public override DaxPolicy Dax { get; } = DaxPolicy.V412 with { FaultOrder = FaultOrder.IomapFirst };

    public override InodeLocks NewInodeLocks(DaxInode inode) => new WriteExclusiveMmapSem(inode);

    /// <summary>i_mmap_sem for write where the fault or the write(2) may change the block map.</summary>
    private sealed class WriteExclusiveMmapSem(DaxInode inode) : InodeLocks(inode)
    {
        public override Held LockFault(in FaultContext vmf, PageEntrySize size) =>
            vmf.Write ? Held.Write(Inode.MmapSem) : Held.Read(Inode.MmapSem);

        public override Held LockWrite(long pos, long length) => Held.Write(Inode.MmapSem);
    }
}
