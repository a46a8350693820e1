using DaxLab.Dax;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Vfs;

/// <summary>
/// The VFS half of an inode: the locks of struct inode and xfs_inode that the file operations
/// take, its address_space, and the fault entry point of its mappings.
/// </summary>
/// <remarks>
/// Locks declared here (order in <see cref="DaxCore"/>):
/// <list type="bullet">
/// <item><see cref="IRwsem"/> (i_rwsem): write(2), truncate, fallocate exclusive; read(2)
/// shared. Guards i_size changes and the unflushed-write record.</item>
/// <item><see cref="MmapSem"/> (i_mmap_sem, XFS_MMAPLOCK): faults shared; truncate, hole
/// punch and zero range exclusive, so no fault maps blocks that are being freed.</item>
/// </list>
/// </remarks>
public sealed class DaxInode : IVmOperations
{
    /// <param name="newLocks">The design's locks for this inode (see <see cref="InodeLocks"/>).</param>
    public DaxInode(DaxCore core, Inode inode, Func<DaxInode, InodeLocks> newLocks)
    {
        Core = core;
        Inode = inode;
        Mapping = new AddressSpace(core.Seam, inode);
        IRwsem = core.Seam.NewRwSemaphore("i_rwsem");
        MmapSem = core.Seam.NewRwSemaphore("i_mmap_sem");
        Locks = newLocks(this);
    }

    /// <summary>The locks the locking design adds to i_rwsem and i_mmap_sem for this inode.</summary>
    public InodeLocks Locks { get; }

    public DaxCore Core { get; }
    public Inode Inode { get; }
    public AddressSpace Mapping { get; }
    public RwSemaphore IRwsem { get; }
    public RwSemaphore MmapSem { get; }

    /// <summary>Device ranges written by write(2) or zeroing and not yet flushed.</summary>
    public DeviceRanges Unflushed { get; } = new();

    /// <summary>i_size_write through the file system (truncate). Faults read i_size without a lock.</summary>
    public void SetSize(long size) => Core.Fs.SetSize(Inode, size);

    /// <summary>Raises i_size after a write or an allocation past EOF.</summary>
    public void ExtendSize(long end) => Core.Fs.ExtendSize(Inode, end);

    /// <summary>xfs_filemap_fault / xfs_filemap_huge_fault: the DAX handlers under what the design takes (v4.12: i_mmap_sem shared).</summary>
    public VmFault Fault(in FaultContext vmf, PageEntrySize size)
    {
        using var held = Locks.LockFault(vmf, size);
        return size == PageEntrySize.Pmd ? Core.IomapPmdFault(vmf) : Core.IomapPteFault(vmf);
    }

    /// <summary>xfs_filemap_pfn_mkwrite: the DAX handler under the design's fault locks, SIGBUS past EOF.</summary>
    public VmFault PfnMkwrite(in FaultContext vmf, Pte pte)
    {
        using var held = Locks.LockFault(vmf, PageEntrySize.Pte);
        return Core.PfnMkwrite(vmf, pte);
    }
}
