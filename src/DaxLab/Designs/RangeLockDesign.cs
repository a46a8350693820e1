using DaxLab.Mm;
using DaxLab.Sync;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// Option 2 with a reader/writer range lock instead of i_mmap_sem: write faults and write(2)
/// take the range they touch for writing, read faults for reading, so only overlapping ones
/// wait. i_mmap_sem stays shared in faults, to keep excluding truncate and hole punch.
/// </summary>
public sealed class RangeLockDesign : Design
{
    public override string Name => "range-lock";

    public override string Summary => "a reader/writer range lock over the touched range replaces i_mmap_sem's write side";

    public override string Source => "Jan Kara, 2017-04-26 (\"if we later replaced it with a range lock\"); Davidlohr Bueso's range lock (2017)";

    public override bool IomapBeforeEntryLock => true;

    public override object? NewInodeState(Seam seam) => seam.NewRangeLock("i_range_lock");

    public override Held LockFault(DaxInode inode, in FaultContext vmf, PageEntrySize size)
    {
        var mmapSem = Held.Read(inode.MmapSem);
        long span = size == PageEntrySize.Pmd ? Geometry.PmdSize : Geometry.PageSize;
        long start = vmf.Pos & ~(span - 1);
        return Held.Both(mmapSem, RangeOf(inode).Acquire(start, start + span, vmf.Write));
    }

    public override Held LockWrite(DaxInode inode, long pos, long length) =>
        Held.Both(default, RangeOf(inode).Acquire(Geometry.PageAlignDown(pos), Geometry.PageAlignUp(pos + length), write: true));

    private static RangeLock RangeOf(DaxInode inode) => (RangeLock)inode.DesignState!;
}
